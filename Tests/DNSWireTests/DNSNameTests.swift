import Testing

@testable import DNSWire

@Suite("DNS names, addresses and mnemonics")
struct DNSNameTests {
    @Test func namesCompareAndHashIgnoringCaseButKeepTheirSpelling() {
        let upper = name("WEB.Default.svc")
        let lower = name("web.default.svc.")
        #expect(upper == lower)
        #expect(upper.hashValue == lower.hashValue)
        #expect(Set([upper, lower]).count == 1)
        #expect(upper.description == "WEB.Default.svc.")
        #expect(upper != name("web.default.svd"))
        #expect(upper != name("web.default"))

        let query = DNSMessage(id: 1, questions: [DNSQuestion(name: upper, type: .a)])
        let answer = DNSResourceRecord(name: lower, ttl: 5, data: .a(IPv4Address(10, 0, 0, 1)))
        var response = DNSMessage(respondingTo: query)
        response.answers = [answer]
        let bytes = response.serialized()
        #expect(firstOffset(of: wireName("WEB", "Default", "svc"), in: bytes) == 12, "the question goes out as it was asked")
        #expect(Array(bytes[33..<35]) == [0xC0, 0x0C], "an equal name in another case is compressed to the question")
    }

    @Test func namesParseFromTextWithinTheLimits() throws {
        #expect(name("cluster.local") == name("cluster.local."))
        #expect(name(".").isRoot && name(".").description == "." && name(".").labelCount == 0)
        #expect(name("web.default.svc.cluster.local").labelCount == 5)
        #expect(name("web.default.svc.cluster.local").wireLength == 31)
        for invalid in ["", "..", "a..b", ".a", "a.b..", "a\\", #"a\256"#, String(repeating: "x", count: 64) + ".local"] {
            #expect(DNSName(invalid) == nil, "\(invalid)")
        }
        let longest = [String](repeating: String(repeating: "x", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "y", count: 61)
        #expect(DNSName(longest)?.wireLength == 255)
        #expect(DNSName(longest + "y") == nil, "256 bytes on the wire")

        let escaped = name(#"a\.b.c\\d.\065\001"#)
        #expect(escaped.labelCount == 3)
        #expect(escaped.labels == ["a.b", #"c\d"#, "A\u{1}"])
        #expect(escaped.description == #"a\.b.c\\d.A\001."#)
        #expect(DNSName(escaped.description) == escaped)
    }

    @Test func zonesContainTheirSubdomains() {
        let zone = name("cluster.local")
        #expect(name("WEB.default.svc.Cluster.Local").isSubdomain(of: zone))
        #expect(zone.isSubdomain(of: zone))
        #expect(zone.isSubdomain(of: .root))
        #expect(!name("xcluster.local").isSubdomain(of: zone))
        #expect(!name("local").isSubdomain(of: zone))
        #expect(name("WEB.default.svc.cluster.local").labels(below: zone) == ["web", "default", "svc"])
        #expect(zone.labels(below: zone) == [])
        #expect(name("example.com").labels(below: zone) == nil)
        #expect(name("10.0.43.10.in-addr.arpa").labels(below: name("in-addr.arpa")) == ["10", "0", "43", "10"])
        #expect(DNSName.reverseIPv4Zone == name("IN-ADDR.arpa."))
    }

    @Test func addressesParseAndPrint() {
        #expect(IPv4Address("10.43.0.10") == IPv4Address(0x0A2B_000A))
        #expect(IPv4Address(10, 43, 0, 10).description == "10.43.0.10")
        for invalid in ["", "10.43.0", "10.43.0.10.1", "10.43.0.256", "10.043.0.1", "10..0.1", "10.43.0.1."] {
            #expect(IPv4Address(invalid) == nil, "\(invalid)")
        }
        #expect(IPv6Address("::") == IPv6Address(high: 0, low: 0))
        #expect(IPv6Address("::1") == IPv6Address(high: 0, low: 1))
        #expect(IPv6Address("fd00:10:43::a") == IPv6Address(high: 0xFD00_0010_0043_0000, low: 0xA))
        #expect(IPv6Address("1:2:3:4:5:6:7:8")?.description == "1:2:3:4:5:6:7:8")
        #expect(IPv6Address("2001:DB8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1", "the first of two equal zero runs shrinks")
        #expect(IPv6Address("::ffff:10.0.0.1")?.description == "::ffff:10.0.0.1")
        #expect(IPv6Address("fd00::")?.description == "fd00::")
        for invalid in [":", ":1", "1:", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "12345::", "g::", "fe80::1%eth0", "1.2.3.4"] {
            #expect(IPv6Address(invalid) == nil, "\(invalid)")
        }
    }

    @Test func typesClassesAndCodesPrintTheirMnemonics() {
        #expect(DNSRecordType.srv.description == "SRV" && DNSRecordType(rawValue: 65).description == "TYPE65")
        #expect(DNSClass.internet.description == "IN" && DNSClass(rawValue: 254).description == "CLASS254")
        #expect(DNSResponseCode.nxDomain.description == "NXDOMAIN" && DNSResponseCode(rawValue: 23).description == "RCODE23")
    }
}
