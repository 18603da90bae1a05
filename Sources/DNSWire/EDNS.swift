/// A message's EDNS(0) information, carried on the wire by the OPT pseudo-record (RFC 6891 6). The upper bits of an
/// extended response code live in `DNSMessage.rcode`, which is split between the header and the OPT record when
/// written.
public struct EDNS: Hashable, Sendable {
    /// The largest UDP payload the sender can receive; RFC 6891 6.2.5 reads values under 512 as 512.
    public var udpPayloadSize: UInt16
    /// The EDNS version; only 0 is defined, and a server answers a higher one with BADVERS.
    public var version: UInt8
    /// The DO bit: the sender wants DNSSEC records (RFC 3225); a response copies it from the query.
    public var dnssecOK: Bool
    /// The options in the order they were sent, undecoded.
    public var options: [Option]

    /// An EDNS option (RFC 6891 6.1.2), such as a cookie or a client subnet.
    public struct Option: Hashable, Sendable {
        public var code: UInt16
        public var data: [UInt8]

        public init(code: UInt16, data: [UInt8]) {
            self.code = code
            self.data = data
        }
    }

    /// The payload size recommended for DNS over UDP since DNS Flag Day 2020: it fits an IPv6 minimum-MTU packet
    /// without fragmentation.
    public static let recommendedUDPPayloadSize: UInt16 = 1232

    public init(udpPayloadSize: UInt16 = recommendedUDPPayloadSize, version: UInt8 = 0, dnssecOK: Bool = false, options: [Option] = []) {
        self.udpPayloadSize = udpPayloadSize
        self.version = version
        self.dnssecOK = dnssecOK
        self.options = options
    }

    /// The bytes of the OPT record: root name, type, class, TTL, data length and the options.
    var wireLength: Int {
        options.reduce(11) { $0 + 4 + $1.data.count }
    }
}
