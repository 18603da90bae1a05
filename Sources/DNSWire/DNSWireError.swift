/// Why bytes are not a valid DNS message. A server answers such a query with FORMERR when `header` is known, and
/// drops it otherwise.
public struct DNSWireError: Error, Hashable, Sendable, CustomStringConvertible {
    public var problem: Problem
    /// Where in the message the problem was found.
    public var offset: Int
    /// The message's id and flags with empty sections, when its 12-byte header was readable:
    /// `DNSMessage(respondingTo: header)` with `rcode = .formatError` is the FORMERR answer.
    public var header: DNSMessage?

    public enum Problem: Hashable, Sendable {
        /// The message is shorter than its 12-byte header.
        case headerTooShort
        /// The header counts more questions and records than the message has bytes for.
        case countsExceedMessage
        /// A name, question or record runs past the end of the message.
        case endOfMessage
        /// A label starts with bits 01 or 10: an extended label type (RFC 6891 5) or a reserved one, or a length
        /// over 63.
        case unsupportedLabelType(UInt8)
        /// A name is longer than 255 bytes once its compression pointers are followed.
        case nameTooLong
        /// A compression pointer does not point before the previous one (or, for the first, before the name); this
        /// rules out loops and forward references.
        case badCompressionPointer(target: Int)
        /// A name follows more compression pointers than a 255-byte name can need.
        case tooManyCompressionPointers
        /// A record's data does not match its length field or its type's layout.
        case recordDataMismatch(DNSRecordType)
        /// An OPT record outside the additional section or with a name other than the root (RFC 6891 6.1.1).
        case misplacedOPT
        /// More than one OPT record (RFC 6891 6.1.1 asks for FORMERR).
        case duplicateOPT
    }

    public init(_ problem: Problem, offset: Int, header: DNSMessage? = nil) {
        self.problem = problem
        self.offset = offset
        self.header = header
    }

    public var description: String {
        let what: String
        switch problem {
        case .headerTooShort: what = "shorter than the 12-byte header"
        case .countsExceedMessage: what = "header counts more entries than the message holds"
        case .endOfMessage: what = "ends inside a name, question or record"
        case .unsupportedLabelType(let byte): what = "unsupported label type or length \(byte)"
        case .nameTooLong: what = "name longer than 255 bytes"
        case .badCompressionPointer(let target): what = "compression pointer to \(target) does not point backwards"
        case .tooManyCompressionPointers: what = "name follows too many compression pointers"
        case .recordDataMismatch(let type): what = "\(type) record data does not match its length"
        case .misplacedOPT: what = "OPT record outside the additional section or not owned by the root"
        case .duplicateOPT: what = "more than one OPT record"
        }
        return "malformed DNS message at byte \(offset): \(what)"
    }
}
