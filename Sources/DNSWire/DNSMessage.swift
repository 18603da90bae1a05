/// A DNS message (RFC 1035 4.1): header flags, the four sections, and EDNS information, which travels as an OPT
/// record in the additional section but is kept apart here so `additionals` holds only real records.
public struct DNSMessage: Hashable, Sendable {
    public var id: UInt16
    public var isResponse: Bool
    /// The kind of query; 0 is a standard query (QUERY). Only the low four bits are sent.
    public var opcode: UInt8
    public var isAuthoritative: Bool
    /// TC: the message was cut to fit, and the client should ask again over TCP.
    public var isTruncated: Bool
    public var recursionDesired: Bool
    public var recursionAvailable: Bool
    /// AD (RFC 4035 3.2.3).
    public var authenticData: Bool
    /// CD (RFC 4035 3.2.2).
    public var checkingDisabled: Bool
    /// The response code, including the bits an OPT record extends it with. A code above 15 needs `edns` to be sent;
    /// without it, it is sent as SERVFAIL.
    public var rcode: DNSResponseCode
    public var questions: [DNSQuestion]
    public var answers: [DNSResourceRecord]
    public var authorities: [DNSResourceRecord]
    /// The additional records, without the OPT record.
    public var additionals: [DNSResourceRecord]
    public var edns: EDNS?

    /// The header size, before the first question.
    static let headerLength = 12

    public init(
        id: UInt16 = 0, isResponse: Bool = false, opcode: UInt8 = 0, isAuthoritative: Bool = false, isTruncated: Bool = false,
        recursionDesired: Bool = false, recursionAvailable: Bool = false, authenticData: Bool = false, checkingDisabled: Bool = false,
        rcode: DNSResponseCode = .noError, questions: [DNSQuestion] = [], answers: [DNSResourceRecord] = [],
        authorities: [DNSResourceRecord] = [], additionals: [DNSResourceRecord] = [], edns: EDNS? = nil
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.isAuthoritative = isAuthoritative
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.authenticData = authenticData
        self.checkingDisabled = checkingDisabled
        self.rcode = rcode
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// An empty response to `query`: its id, opcode, questions and RD and CD bits (RFC 4035 3.2.2), with QR set. A
    /// query with EDNS gets EDNS back, version 0, advertising `udpPayloadSize` and copying the DO bit (RFC 3225 3);
    /// one without gets none (RFC 6891 7).
    public init(respondingTo query: DNSMessage, udpPayloadSize: UInt16 = EDNS.recommendedUDPPayloadSize) {
        self.init(
            id: query.id, isResponse: true, opcode: query.opcode, recursionDesired: query.recursionDesired,
            checkingDisabled: query.checkingDisabled, questions: query.questions,
            edns: query.edns.map { EDNS(udpPayloadSize: udpPayloadSize, dnssecOK: $0.dnssecOK) })
    }

    /// The largest UDP response the sender of this query accepts: its EDNS payload size, at least 512 (RFC 6891
    /// 6.2.5), or 512 without EDNS (RFC 1035 4.2.1). A server caps it further with its own payload size.
    public var maximumUDPResponseSize: Int {
        max(512, Int(edns?.udpPayloadSize ?? 512))
    }

    /// The header's second 16-bit word: QR, opcode, AA, TC, RD, RA, Z, AD, CD and the low four bits of the rcode.
    private func flags(truncated: Bool, rcode: DNSResponseCode) -> UInt16 {
        var flags = UInt16(opcode & 0x0F) << 11 | rcode.rawValue & 0x0F
        if isResponse { flags |= 0x8000 }
        if isAuthoritative { flags |= 0x0400 }
        if truncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        if authenticData { flags |= 0x0020 }
        if checkingDisabled { flags |= 0x0010 }
        return flags
    }

    private init(id: UInt16, flags: UInt16) {
        self.init(
            id: id, isResponse: flags & 0x8000 != 0, opcode: UInt8(truncatingIfNeeded: flags >> 11) & 0x0F, isAuthoritative: flags & 0x0400 != 0,
            isTruncated: flags & 0x0200 != 0, recursionDesired: flags & 0x0100 != 0, recursionAvailable: flags & 0x0080 != 0,
            authenticData: flags & 0x0020 != 0, checkingDisabled: flags & 0x0010 != 0, rcode: DNSResponseCode(rawValue: flags & 0x0F))
    }

    /// Parses a message, checking every length against the bytes: any input either parses or throws, never traps.
    /// Bytes after the last record are ignored.
    public init(parsing bytes: [UInt8]) throws(DNSWireError) {
        var reader = DNSWireReader(bytes)
        guard bytes.count >= Self.headerLength else { throw DNSWireError(.headerTooShort, offset: bytes.count) }
        self.init(id: try reader.readUInt16(), flags: try reader.readUInt16())
        reader.header = self
        let questionCount = Int(try reader.readUInt16())
        let answerCount = Int(try reader.readUInt16())
        let authorityCount = Int(try reader.readUInt16())
        let additionalCount = Int(try reader.readUInt16())
        // The smallest question is 5 bytes (root name, type, class) and the smallest record 11: checking the counts
        // first lets the arrays be reserved without trusting them.
        guard questionCount * 5 + (answerCount + authorityCount + additionalCount) * 11 <= reader.remaining else {
            throw reader.failure(.countsExceedMessage)
        }
        questions.reserveCapacity(questionCount)
        for _ in 0..<questionCount {
            questions.append(try reader.readQuestion())
        }
        answers = try Self.readRecords(answerCount, from: &reader)
        authorities = try Self.readRecords(authorityCount, from: &reader)
        additionals.reserveCapacity(additionalCount)
        for _ in 0..<additionalCount {
            let start = reader.offset
            switch try reader.readRecord() {
            case .resource(let record):
                additionals.append(record)
            case .options(let options, let extendedRcode):
                guard edns == nil else { throw reader.failure(.duplicateOPT, at: start) }
                edns = options
                rcode.rawValue |= UInt16(extendedRcode) << 4
            }
        }
    }

    /// Reads the records of the answer or authority section, where an OPT record has no place.
    private static func readRecords(_ count: Int, from reader: inout DNSWireReader) throws(DNSWireError) -> [DNSResourceRecord] {
        var records: [DNSResourceRecord] = []
        records.reserveCapacity(count)
        for _ in 0..<count {
            let start = reader.offset
            guard case .resource(let record) = try reader.readRecord() else { throw reader.failure(.misplacedOPT, at: start) }
            records.append(record)
        }
        return records
    }

    /// The message in wire form, with names compressed, at most `maximumSize` bytes (capped at 65535): 512 for UDP
    /// without EDNS, the client's EDNS payload size otherwise (see `maximumUDPResponseSize`).
    ///
    /// When the records do not fit, whole records are dropped from the end and TC is set, as RFC 2181 9 describes:
    /// once an answer or authority record is dropped, everything after it is too; additional records that do not
    /// fit are left out without TC, since the client needs none of them. The header, questions and OPT record are
    /// always written, even past `maximumSize`.
    public func serialized(maximumSize: Int = 65535) -> [UInt8] {
        let limit = min(maximumSize, 65535)
        var writer = DNSWireWriter(capacity: min(limit, 512))
        for _ in 0..<Self.headerLength { writer.writeUInt8(0) }
        // The count field holds at most 65535 questions.
        let writtenQuestions = questions.prefix(Int(UInt16.max))
        for question in writtenQuestions { writer.write(question) }
        let recordLimit = limit - (edns?.wireLength ?? 0)

        let answerCount = Self.write(answers, to: &writer, within: recordLimit)
        var authorityCount = 0
        var additionalCount = 0
        var droppedNeededRecords = answerCount < answers.count
        if !droppedNeededRecords {
            authorityCount = Self.write(authorities, to: &writer, within: recordLimit)
            droppedNeededRecords = authorityCount < authorities.count
        }
        if !droppedNeededRecords {
            additionalCount = Self.write(additionals, to: &writer, within: recordLimit)
        }

        var rcode = rcode
        if let edns {
            writer.write(edns, extendedRcode: UInt8(truncatingIfNeeded: rcode.rawValue >> 4))
            additionalCount += 1
        } else if rcode.rawValue > 0x0F {
            rcode = .serverFailure
        }
        writer.overwriteUInt16(id, at: 0)
        writer.overwriteUInt16(flags(truncated: isTruncated || droppedNeededRecords, rcode: rcode), at: 2)
        writer.overwriteUInt16(UInt16(writtenQuestions.count), at: 4)
        writer.overwriteUInt16(UInt16(clamping: answerCount), at: 6)
        writer.overwriteUInt16(UInt16(clamping: authorityCount), at: 8)
        writer.overwriteUInt16(UInt16(clamping: additionalCount), at: 10)
        return writer.bytes
    }

    /// Writes records in order until one would end past `limit`, which is dropped with all after it; returns how many
    /// were written.
    private static func write(_ records: [DNSResourceRecord], to writer: inout DNSWireWriter, within limit: Int) -> Int {
        for (index, record) in records.enumerated() {
            let start = writer.bytes.count
            writer.write(record)
            if writer.bytes.count > limit {
                writer.truncate(to: start)
                return index
            }
        }
        return records.count
    }
}
