/// The data of a resource record, by type. Types this codec does not decode, and TXT data that is not UTF-8, stay
/// as raw bytes and are written back unchanged (RFC 3597).
public enum DNSRecordData: Hashable, Sendable {
    case a(IPv4Address)
    case aaaa(IPv6Address)
    case cname(DNSName)
    case ns(DNSName)
    case ptr(DNSName)
    /// A service location (RFC 2782); the target is never compressed when written, as RFC 2782 requires.
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    /// Text strings, one per character-string on the wire. A string longer than 255 bytes is written as several
    /// character-strings, split between UTF-8 scalars, and so reads back as several strings.
    case txt([String])
    /// The start of a zone's authority (RFC 1035 3.3.13); `minimumTTL` is the TTL of negative answers (RFC 2308).
    case soa(primaryNameServer: DNSName, mailbox: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32, minimumTTL: UInt32)
    /// Data kept as its wire bytes.
    case raw(type: DNSRecordType, bytes: [UInt8])

    public var type: DNSRecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .cname: .cname
        case .ns: .ns
        case .ptr: .ptr
        case .srv: .srv
        case .txt: .txt
        case .soa: .soa
        case .raw(let type, _): type
        }
    }
}
