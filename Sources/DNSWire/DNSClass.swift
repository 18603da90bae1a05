/// A resource record class (RFC 1035 3.2.4); cluster DNS only serves `internet`.
public struct DNSClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// IN.
    public static let internet = DNSClass(rawValue: 1)
    /// CH, which some tools query for a server's version (`version.bind`).
    public static let chaos = DNSClass(rawValue: 3)
    /// A question for records of every class.
    public static let any = DNSClass(rawValue: 255)

    /// The mnemonic, or `CLASS<number>` for classes without one here (RFC 3597 5).
    public var description: String {
        switch self {
        case .internet: "IN"
        case .chaos: "CH"
        case .any: "ANY"
        default: "CLASS\(rawValue)"
        }
    }
}
