import NIOCore

/// SPDY/3 framing, as much of it as a remote-command client needs: the container runtime's streaming server
/// (containerd's, CRI-O's — the kubelet's own streaming library) speaks the channel protocol over websockets only as
/// `v4.channel.k8s.io`, which cannot end stdin; over SPDY every stream half-closes on its own (a data frame with FIN),
/// so `kubectl cp` into a pod and `exec -i < file` see their input end.
enum SPDYFrame: Equatable {
    static let version: UInt16 = 3
    /// Control frame types (SPDY/3 §2.6).
    enum ControlType: UInt16 {
        case synStream = 1, synReply = 2, rstStream = 3, settings = 4, ping = 6, goAway = 7, headers = 8, windowUpdate = 9
    }
    static let flagFin: UInt8 = 0x01
    /// Control frame header: version word, type, flags and 24-bit length; data frames: stream ID, flags, length.
    static let headerBytes = 8

    case data(streamID: UInt32, flags: UInt8, payload: ByteBuffer)
    /// A control frame whose type this client has no use for keeps only its raw type.
    case control(type: UInt16, flags: UInt8, payload: ByteBuffer)

    /// Takes one whole frame off the front of `buffer`, or nil (and takes nothing) while it has not all arrived.
    static func decode(_ buffer: inout ByteBuffer) -> SPDYFrame? {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
            let flagsAndLength = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt32.self)
        else { return nil }
        let length = Int(flagsAndLength & 0x00ff_ffff)
        guard let payload = buffer.getSlice(at: buffer.readerIndex + headerBytes, length: length) else { return nil }
        buffer.moveReaderIndex(forwardBy: headerBytes + length)
        let flags = UInt8(flagsAndLength >> 24)
        if first & 0x8000_0000 != 0 {
            return .control(type: UInt16(first & 0xffff), flags: flags, payload: payload)
        }
        return .data(streamID: first & 0x7fff_ffff, flags: flags, payload: payload)
    }

    /// The frame as it goes on the wire.
    func write(into buffer: inout ByteBuffer) {
        switch self {
        case .data(let streamID, let flags, let payload):
            buffer.writeInteger(streamID & 0x7fff_ffff)
            buffer.writeInteger(UInt32(flags) << 24 | UInt32(payload.readableBytes))
            buffer.writeImmutableBuffer(payload)
        case .control(let type, let flags, let payload):
            buffer.writeInteger(0x8000_0000 | UInt32(SPDYFrame.version) << 16 | UInt32(type))
            buffer.writeInteger(UInt32(flags) << 24 | UInt32(payload.readableBytes))
            buffer.writeImmutableBuffer(payload)
        }
    }

    static func writeData(streamID: UInt32, payload: ByteBufferView, fin: Bool, into buffer: inout ByteBuffer) {
        buffer.writeInteger(streamID & 0x7fff_ffff)
        buffer.writeInteger(UInt32(fin ? flagFin : 0) << 24 | UInt32(payload.count))
        buffer.writeBytes(payload)
    }

    static func writeControl(_ type: ControlType, flags: UInt8 = 0, payload: ByteBuffer, into buffer: inout ByteBuffer) {
        buffer.writeInteger(0x8000_0000 | UInt32(version) << 16 | UInt32(type.rawValue))
        buffer.writeInteger(UInt32(flags) << 24 | UInt32(payload.readableBytes))
        buffer.writeImmutableBuffer(payload)
    }
}

/// Writes SPDY header blocks. SPDY compresses every header block of a connection as one zlib stream, which the peer
/// inflates with a preset dictionary; a zlib stream that does not ask for the dictionary (FDICT unset) and holds only
/// stored (uncompressed) deflate blocks is a valid such stream, so no compressor is needed for the few short blocks a
/// remote-command session sends. Each block ends as zlib's sync flush ends one, with an empty stored block: that is
/// where an inflater hands over what it has (Go's holds stored data back until then). Header names must be lowercase.
struct SPDYHeaderBlockWriter {
    /// CMF 0x78 (deflate, 32 KiB window) and FLG 0x01 (no dictionary; the check bits make the pair a multiple of 31).
    static let zlibHeader: [UInt8] = [0x78, 0x01]
    private var started = false

    /// The name/value block before compression: a count, then each name and value behind its 32-bit length.
    static func nameValueBlock(_ headers: [(name: String, value: String)]) -> ByteBuffer {
        var plain = ByteBuffer()
        plain.writeInteger(UInt32(headers.count))
        for (name, value) in headers {
            plain.writeInteger(UInt32(name.utf8.count))
            plain.writeString(name)
            plain.writeInteger(UInt32(value.utf8.count))
            plain.writeString(value)
        }
        return plain
    }

    mutating func block(_ headers: [(name: String, value: String)]) -> ByteBuffer {
        var plain = Self.nameValueBlock(headers)
        var block = ByteBuffer()
        if !started {
            block.writeBytes(Self.zlibHeader)
            started = true
        }
        // A stored block, not final: BFINAL 0 and BTYPE 00 padded to a byte, then LEN and its complement, little-endian.
        precondition(plain.readableBytes <= Int(UInt16.max), "a remote-command header block is a few dozen bytes")
        let length = UInt16(plain.readableBytes)
        block.writeInteger(UInt8(0))
        block.writeInteger(length, endianness: .little)
        block.writeInteger(~length, endianness: .little)
        block.writeBuffer(&plain)
        block.writeBytes([0x00, 0x00, 0x00, 0xff, 0xff])
        return block
    }
}
