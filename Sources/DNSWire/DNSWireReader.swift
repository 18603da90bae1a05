/// A cursor over a received message that reads its fields with every length checked against the bytes at hand, so
/// no input can make it index out of range.
struct DNSWireReader {
    let bytes: [UInt8]
    var offset: Int
    /// The message's header, put into every error once it is known.
    var header: DNSMessage?

    /// A name may follow at most this many compression pointers: a 255-byte name has at most 127 labels, and a
    /// compressor never needs more than one pointer per label.
    static let maximumPointerHops = 127

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
    }

    var remaining: Int { bytes.count - offset }

    func failure(_ problem: DNSWireError.Problem, at offset: Int? = nil) -> DNSWireError {
        DNSWireError(problem, offset: offset ?? self.offset, header: header)
    }

    mutating func readUInt8() throws(DNSWireError) -> UInt8 {
        guard offset < bytes.count else { throw failure(.endOfMessage) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt16() throws(DNSWireError) -> UInt16 {
        guard remaining >= 2 else { throw failure(.endOfMessage) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func readUInt32() throws(DNSWireError) -> UInt32 {
        guard remaining >= 4 else { throw failure(.endOfMessage) }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    mutating func readBytes(_ count: Int) throws(DNSWireError) -> [UInt8] {
        guard remaining >= count else { throw failure(.endOfMessage) }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Reads a possibly compressed name. Following BIND, each pointer must point before the previous one's target
    /// (the first before the name itself), which rules out loops; the hop limit bounds the work a pointer chain can
    /// cost.
    mutating func readName() throws(DNSWireError) -> DNSName {
        var wire: [UInt8] = []
        var position = offset
        var pointerLimit = offset
        var hops = 0
        // Where reading continues after the name: past its first pointer, or past its root byte.
        var end: Int?
        while true {
            guard position < bytes.count else { throw failure(.endOfMessage, at: position) }
            let length = bytes[position]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    offset = end ?? position + 1
                    return DNSName(wire: wire)
                }
                let labelEnd = position + 1 + Int(length)
                guard labelEnd <= bytes.count else { throw failure(.endOfMessage, at: position) }
                // The name plus the root's zero byte must fit in 255 bytes.
                guard wire.count + 1 + Int(length) < DNSName.maximumWireLength else { throw failure(.nameTooLong, at: position) }
                wire.append(contentsOf: bytes[position..<labelEnd])
                position = labelEnd
            case 0xC0:
                guard position + 1 < bytes.count else { throw failure(.endOfMessage, at: position) }
                let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < pointerLimit else { throw failure(.badCompressionPointer(target: target), at: position) }
                hops += 1
                guard hops <= Self.maximumPointerHops else { throw failure(.tooManyCompressionPointers, at: position) }
                if end == nil { end = position + 2 }
                pointerLimit = target
                position = target
            default:
                throw failure(.unsupportedLabelType(length), at: position)
            }
        }
    }

    mutating func readQuestion() throws(DNSWireError) -> DNSQuestion {
        let name = try readName()
        let type = DNSRecordType(rawValue: try readUInt16())
        let recordClass = DNSClass(rawValue: try readUInt16())
        return DNSQuestion(name: name, type: type, recordClass: recordClass)
    }

    /// A record as read: an ordinary one, or the OPT pseudo-record with the high bits of the response code.
    enum Record {
        case resource(DNSResourceRecord)
        case options(EDNS, extendedRcode: UInt8)
    }

    mutating func readRecord() throws(DNSWireError) -> Record {
        let start = offset
        let name = try readName()
        let type = DNSRecordType(rawValue: try readUInt16())
        let classField = try readUInt16()
        let ttl = try readUInt32()
        let dataLength = Int(try readUInt16())
        guard remaining >= dataLength else { throw failure(.endOfMessage) }
        let dataEnd = offset + dataLength
        if type == .opt {
            guard name.isRoot else { throw failure(.misplacedOPT, at: start) }
            let edns = EDNS(
                udpPayloadSize: classField, version: UInt8(truncatingIfNeeded: ttl >> 16), dnssecOK: ttl & 0x8000 != 0,
                options: try readOptions(endingAt: dataEnd))
            return .options(edns, extendedRcode: UInt8(truncatingIfNeeded: ttl >> 24))
        }
        let data = try readData(of: type, endingAt: dataEnd)
        guard offset == dataEnd else { throw failure(.recordDataMismatch(type)) }
        let cacheTime = ttl > UInt32(Int32.max) ? 0 : ttl
        return .resource(DNSResourceRecord(name: name, recordClass: DNSClass(rawValue: classField), ttl: cacheTime, data: data))
    }

    private mutating func readData(of type: DNSRecordType, endingAt dataEnd: Int) throws(DNSWireError) -> DNSRecordData {
        switch type {
        case .a:
            guard dataEnd - offset == 4 else { throw failure(.recordDataMismatch(type)) }
            return .a(IPv4Address(try readUInt32()))
        case .aaaa:
            guard dataEnd - offset == 16 else { throw failure(.recordDataMismatch(type)) }
            let high = UInt64(try readUInt32()) << 32 | UInt64(try readUInt32())
            let low = UInt64(try readUInt32()) << 32 | UInt64(try readUInt32())
            return .aaaa(IPv6Address(high: high, low: low))
        case .cname:
            return .cname(try readName())
        case .ns:
            return .ns(try readName())
        case .ptr:
            return .ptr(try readName())
        case .srv:
            let priority = try readUInt16()
            let weight = try readUInt16()
            let port = try readUInt16()
            // RFC 2782 forbids compressing the target, but RFC 3597 4 asks receivers to accept it.
            return .srv(priority: priority, weight: weight, port: port, target: try readName())
        case .soa:
            return .soa(
                primaryNameServer: try readName(), mailbox: try readName(), serial: try readUInt32(), refresh: try readUInt32(),
                retry: try readUInt32(), expire: try readUInt32(), minimumTTL: try readUInt32())
        case .txt:
            return try readText(endingAt: dataEnd)
        default:
            return .raw(type: type, bytes: try readBytes(dataEnd - offset))
        }
    }

    /// TXT data as strings; data with no strings or with bytes that are not UTF-8 stays raw, so it is written back
    /// unchanged.
    private mutating func readText(endingAt dataEnd: Int) throws(DNSWireError) -> DNSRecordData {
        let start = offset
        var strings: [String] = []
        var isUTF8 = true
        while offset < dataEnd {
            let length = Int(bytes[offset])
            guard dataEnd - offset - 1 >= length else { throw failure(.recordDataMismatch(.txt)) }
            let text = bytes[(offset + 1)..<(offset + 1 + length)]
            if let string = String(validating: text, as: UTF8.self) {
                strings.append(string)
            } else {
                isUTF8 = false
            }
            offset += 1 + length
        }
        guard isUTF8, !strings.isEmpty else { return .raw(type: .txt, bytes: Array(bytes[start..<dataEnd])) }
        return .txt(strings)
    }

    private mutating func readOptions(endingAt dataEnd: Int) throws(DNSWireError) -> [EDNS.Option] {
        var options: [EDNS.Option] = []
        while offset < dataEnd {
            guard dataEnd - offset >= 4 else { throw failure(.recordDataMismatch(.opt)) }
            let code = try readUInt16()
            let length = Int(try readUInt16())
            guard dataEnd - offset >= length else { throw failure(.recordDataMismatch(.opt)) }
            options.append(EDNS.Option(code: code, data: try readBytes(length)))
        }
        return options
    }
}
