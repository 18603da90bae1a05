import Testing

@testable import DNSWire

/// A small reproducible generator (SplitMix64), so a failing random input can be found again.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

func name(_ text: String) -> DNSName {
    guard let name = DNSName(text) else {
        Issue.record("\(text) is not a valid name")
        return .root
    }
    return name
}

let serviceName = name("web.default.svc.cluster.local.")

/// A name's labels in uncompressed wire form, root byte included.
func wireName(_ labels: String...) -> [UInt8] {
    labels.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
}

/// A 12-byte header, by default with id 0xBEEF, only RD set and no entries.
func header(id: UInt16 = 0xBEEF, flags: UInt16 = 0x0100, questions: UInt16 = 0, answers: UInt16 = 0, authorities: UInt16 = 0, additionals: UInt16 = 0) -> [UInt8] {
    [id, flags, questions, answers, authorities, additionals].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
}

/// Why `bytes` do not parse, or nil if they do.
func parseError(_ bytes: [UInt8]) -> DNSWireError? {
    do {
        _ = try DNSMessage(parsing: bytes)
        return nil
    } catch {
        return error
    }
}

/// The offset of `needle` in `haystack`, if it occurs.
func firstOffset(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard needle.count <= haystack.count else { return nil }
    return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
}

/// An uncompressed name whose labels have the given lengths.
func wireNameOfLabels(_ lengths: [Int]) -> [UInt8] {
    lengths.flatMap { [UInt8($0)] + [UInt8](repeating: 0x61, count: $0) } + [0]
}

/// A response holding one record of each decoded type, all under the question's name or its zone.
func sampleResponse() -> DNSMessage {
    let query = DNSMessage(id: 0x4242, recursionDesired: true, questions: [DNSQuestion(name: serviceName, type: .a)], edns: EDNS(udpPayloadSize: 4096))
    var response = DNSMessage(respondingTo: query)
    response.isAuthoritative = true
    response.answers = [
        DNSResourceRecord(name: serviceName, ttl: 30, data: .a(IPv4Address(10, 43, 0, 10))),
        DNSResourceRecord(name: serviceName, ttl: 30, data: .aaaa(IPv6Address("fd00:10:43::a") ?? IPv6Address(high: 0, low: 0))),
        DNSResourceRecord(
            name: name("_http._tcp.web.default.svc.cluster.local"), ttl: 30,
            data: .srv(priority: 0, weight: 100, port: 8080, target: name("web-0.web.default.svc.cluster.local"))),
        DNSResourceRecord(name: name("10.0.43.10.in-addr.arpa"), ttl: 30, data: .ptr(serviceName)),
        DNSResourceRecord(name: name("alias.default.svc.cluster.local"), ttl: 30, data: .cname(serviceName)),
        DNSResourceRecord(name: name("dns-version.cluster.local"), ttl: 30, data: .txt(["1.1.0", "naïve ünïcode"])),
    ]
    response.authorities = [
        DNSResourceRecord(
            name: name("cluster.local"), ttl: 30,
            data: .soa(
                primaryNameServer: name("ns.dns.cluster.local"), mailbox: name("hostmaster.cluster.local"), serial: 1_700_000_000,
                refresh: 7200, retry: 1800, expire: 86400, minimumTTL: 30))
    ]
    response.additionals = [DNSResourceRecord(name: name("web-0.web.default.svc.cluster.local"), ttl: 30, data: .a(IPv4Address(10, 42, 0, 7)))]
    return response
}

/// Writing a parsed message and reading it again gives the same message whenever nothing had to be dropped.
func expectRoundTrip(_ message: DNSMessage) {
    do {
        let reparsed = try DNSMessage(parsing: message.serialized())
        let complete =
            reparsed.answers.count == message.answers.count && reparsed.authorities.count == message.authorities.count
            && reparsed.additionals.count == message.additionals.count
        #expect(!complete || reparsed == message)
    } catch {
        Issue.record("a parsed message was written unreadably: \(error)")
    }
}
