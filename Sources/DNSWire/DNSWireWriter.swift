/// Writes a message's fields, compressing names (RFC 1035 4.1.4): every name suffix written at an offset a pointer
/// can reach is remembered, and a later equal suffix becomes a two-byte pointer to it.
struct DNSWireWriter {
    private(set) var bytes: [UInt8]
    /// Where each name suffix written so far starts, matched ignoring case.
    private var suffixOffsets: [NameSuffix: UInt16] = [:]

    /// A compression pointer holds a 14-bit offset.
    static let maximumPointerTarget = 0x3FFF

    /// The labels of a name from one label on, a key that hashes and compares like `DNSName` without copying them.
    private struct NameSuffix: Hashable {
        let wire: [UInt8]
        let start: Int

        static func == (lhs: NameSuffix, rhs: NameSuffix) -> Bool {
            DNSName.equalIgnoringCase(lhs.wire[lhs.start...], rhs.wire[rhs.start...])
        }

        func hash(into hasher: inout Hasher) {
            DNSName.hashIgnoringCase(wire[start...], into: &hasher)
        }
    }

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        // A typical answer has a handful of names: room for them up front, not grown one by one.
        suffixOffsets.reserveCapacity(16)
    }

    mutating func writeUInt8(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func writeUInt16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func writeUInt32(_ value: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func overwriteUInt16(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    /// Forgets everything written from `offset` on, compression targets included: used to drop a record that did
    /// not fit.
    mutating func truncate(to offset: Int) {
        bytes.removeSubrange(offset...)
        suffixOffsets = suffixOffsets.filter { Int($0.value) < offset }
    }

    /// Writes a name, ending in a pointer to an earlier equal suffix when `compress` is set. Its own suffixes become
    /// targets either way: pointing into a name that was written whole is always valid.
    mutating func write(_ name: DNSName, compress: Bool) {
        let wire = name.wire
        var start = 0
        while start < wire.count {
            let suffix = NameSuffix(wire: wire, start: start)
            if let target = suffixOffsets[suffix] {
                if compress {
                    writeUInt16(0xC000 | target)
                    return
                }
            } else if bytes.count <= Self.maximumPointerTarget {
                suffixOffsets[suffix] = UInt16(bytes.count)
            }
            let labelEnd = start + 1 + Int(wire[start])
            bytes.append(contentsOf: wire[start..<labelEnd])
            start = labelEnd
        }
        bytes.append(0)
    }

    mutating func write(_ question: DNSQuestion) {
        write(question.name, compress: true)
        writeUInt16(question.type.rawValue)
        writeUInt16(question.recordClass.rawValue)
    }

    mutating func write(_ record: DNSResourceRecord) {
        write(record.name, compress: true)
        writeUInt16(record.type.rawValue)
        writeUInt16(record.recordClass.rawValue)
        writeUInt32(record.ttl)
        writeData(record.data)
    }

    /// Writes the data length and the data. Only CNAME, NS, PTR and SOA names are compressed: RFC 3597 4 limits
    /// compression to the types of RFC 1035, and RFC 2782 forbids it for SRV targets.
    private mutating func writeData(_ data: DNSRecordData) {
        let lengthOffset = bytes.count
        writeUInt16(0)
        switch data {
        case .a(let address):
            writeUInt32(address.value)
        case .aaaa(let address):
            writeUInt32(UInt32(truncatingIfNeeded: address.high >> 32))
            writeUInt32(UInt32(truncatingIfNeeded: address.high))
            writeUInt32(UInt32(truncatingIfNeeded: address.low >> 32))
            writeUInt32(UInt32(truncatingIfNeeded: address.low))
        case .cname(let name), .ns(let name), .ptr(let name):
            write(name, compress: true)
        case .srv(let priority, let weight, let port, let target):
            writeUInt16(priority)
            writeUInt16(weight)
            writeUInt16(port)
            write(target, compress: false)
        case .txt(let strings):
            writeText(strings)
        case .soa(let primaryNameServer, let mailbox, let serial, let refresh, let retry, let expire, let minimumTTL):
            write(primaryNameServer, compress: true)
            write(mailbox, compress: true)
            for value in [serial, refresh, retry, expire, minimumTTL] { writeUInt32(value) }
        case .raw(_, let raw):
            bytes.append(contentsOf: raw)
        }
        // Data over 65535 bytes gets a wrong length here, but cannot fit in a message either: the size check drops it.
        overwriteUInt16(UInt16(truncatingIfNeeded: bytes.count - lengthOffset - 2), at: lengthOffset)
    }

    /// Writes each string as character-strings of at most 255 bytes, cut between UTF-8 scalars so every piece reads
    /// back as text; no strings at all is written as one empty string, since TXT data cannot be empty.
    private mutating func writeText(_ strings: [String]) {
        guard !strings.isEmpty else { return writeUInt8(0) }
        for string in strings {
            let utf8 = Array(string.utf8)
            var start = 0
            repeat {
                var end = min(start + 255, utf8.count)
                // Back off over continuation bytes (10xxxxxx) so the cut falls before a scalar's first byte.
                while end < utf8.count, utf8[end] & 0xC0 == 0x80 { end -= 1 }
                writeUInt8(UInt8(end - start))
                bytes.append(contentsOf: utf8[start..<end])
                start = end
            } while start < utf8.count
        }
    }

    /// Writes the OPT pseudo-record for `edns` (RFC 6891 6.1.2); `extendedRcode` is the response code's high eight
    /// bits.
    mutating func write(_ edns: EDNS, extendedRcode: UInt8) {
        writeUInt8(0)
        writeUInt16(DNSRecordType.opt.rawValue)
        writeUInt16(edns.udpPayloadSize)
        writeUInt32(UInt32(extendedRcode) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0))
        let lengthOffset = bytes.count
        writeUInt16(0)
        for option in edns.options {
            writeUInt16(option.code)
            writeUInt16(UInt16(truncatingIfNeeded: option.data.count))
            bytes.append(contentsOf: option.data)
        }
        overwriteUInt16(UInt16(truncatingIfNeeded: bytes.count - lengthOffset - 2), at: lengthOffset)
    }
}
