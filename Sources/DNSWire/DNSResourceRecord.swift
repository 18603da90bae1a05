/// A resource record of a message's answer, authority or additional section.
public struct DNSResourceRecord: Hashable, Sendable {
    public var name: DNSName
    public var recordClass: DNSClass
    /// Seconds the record may be cached. A received TTL with its high bit set reads as zero (RFC 2181 8).
    public var ttl: UInt32
    public var data: DNSRecordData

    public init(name: DNSName, recordClass: DNSClass = .internet, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    /// The type, which the data determines.
    public var type: DNSRecordType { data.type }
}
