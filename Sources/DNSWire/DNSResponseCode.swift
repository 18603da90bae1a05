/// A response code: the header's four bits, extended to twelve by the OPT record's high eight (RFC 6891 6.1.3).
public struct DNSResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The twelve-bit code; higher bits are not sent.
    public var rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    public static let noError = DNSResponseCode(rawValue: 0)
    /// FORMERR: the query could not be read.
    public static let formatError = DNSResponseCode(rawValue: 1)
    /// SERVFAIL.
    public static let serverFailure = DNSResponseCode(rawValue: 2)
    /// NXDOMAIN: the name does not exist.
    public static let nxDomain = DNSResponseCode(rawValue: 3)
    /// NOTIMP: the opcode is not supported.
    public static let notImplemented = DNSResponseCode(rawValue: 4)
    public static let refused = DNSResponseCode(rawValue: 5)
    /// BADVERS: the query's EDNS version is higher than the server's; needs an OPT record to be sent.
    public static let badVersion = DNSResponseCode(rawValue: 16)

    /// The mnemonic, or `RCODE<number>` for codes without one here.
    public var description: String {
        switch self {
        case .noError: "NOERROR"
        case .formatError: "FORMERR"
        case .serverFailure: "SERVFAIL"
        case .nxDomain: "NXDOMAIN"
        case .notImplemented: "NOTIMP"
        case .refused: "REFUSED"
        case .badVersion: "BADVERS"
        default: "RCODE\(rawValue)"
        }
    }
}
