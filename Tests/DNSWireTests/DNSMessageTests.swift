import Testing

@testable import DNSWire

@Suite("DNS messages on the wire")
struct DNSMessageTests {
    /// The size `message` would have with no name compressed.
    static func uncompressedLength(of message: DNSMessage) -> Int {
        func dataLength(_ data: DNSRecordData) -> Int {
            switch data {
            case .a: 4
            case .aaaa: 16
            case .cname(let target), .ns(let target), .ptr(let target): target.wireLength
            case .srv(_, _, _, let target): 6 + target.wireLength
            case .txt(let strings): strings.reduce(0) { $0 + 1 + $1.utf8.count }
            case .soa(let server, let mailbox, _, _, _, _, _): server.wireLength + mailbox.wireLength + 20
            case .raw(_, let bytes): bytes.count
            }
        }
        let records = message.answers + message.authorities + message.additionals
        return 12 + message.questions.reduce(0) { $0 + $1.name.wireLength + 4 }
            + records.reduce(0) { $0 + $1.name.wireLength + 10 + dataLength($1.data) } + (message.edns?.wireLength ?? 0)
    }

    @Test func parsesAQueryBuiltByHand() throws {
        let cookie: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let bytes: [UInt8] =
            [0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]  // id, RD, one question, one additional
            + [3] + Array("web".utf8) + [7] + Array("default".utf8) + [3] + Array("svc".utf8) + [7] + Array("cluster".utf8)
            + [5] + Array("local".utf8) + [0]
            + [0x00, 0x01, 0x00, 0x01]  // A, IN
            + [0x00, 0x00, 0x29, 0x04, 0xD0]  // root, OPT, payload 1232
            + [0x00, 0x00, 0x80, 0x00]  // extended rcode 0, version 0, DO
            + [0x00, 0x0C, 0x00, 0x0A, 0x00, 0x08] + cookie  // one COOKIE option of 8 bytes

        let message = try DNSMessage(parsing: bytes)

        #expect(message.id == 0x1234)
        #expect(!message.isResponse)
        #expect(message.opcode == 0)
        #expect(!message.isAuthoritative)
        #expect(!message.isTruncated)
        #expect(message.recursionDesired)
        #expect(!message.recursionAvailable)
        #expect(!message.authenticData)
        #expect(!message.checkingDisabled)
        #expect(message.rcode == .noError)
        #expect(message.questions == [DNSQuestion(name: serviceName, type: .a, recordClass: .internet)])
        #expect(message.questions[0].name.labels == ["web", "default", "svc", "cluster", "local"])
        #expect(message.answers.isEmpty)
        #expect(message.authorities.isEmpty)
        #expect(message.additionals.isEmpty, "the OPT record is read into edns, not kept as a record")
        #expect(message.edns == EDNS(udpPayloadSize: 1232, version: 0, dnssecOK: true, options: [EDNS.Option(code: 10, data: cookie)]))
        #expect(message.maximumUDPResponseSize == 1232)
        #expect(message.serialized() == bytes, "writing the query back gives the same bytes")
    }

    @Test func respondingCopiesTheQuerysIdentityAndEchoesEDNS() throws {
        var query = DNSMessage(id: 7, opcode: 0, recursionDesired: true, checkingDisabled: true, questions: [DNSQuestion(name: serviceName, type: .srv)])
        var response = DNSMessage(respondingTo: query)
        #expect(response.id == 7 && response.isResponse && response.recursionDesired && response.checkingDisabled)
        #expect(response.questions == query.questions)
        #expect(response.edns == nil, "no OPT record for a query without one")
        #expect(query.maximumUDPResponseSize == 512)

        query.edns = EDNS(udpPayloadSize: 4096, version: 0, dnssecOK: true, options: [EDNS.Option(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])])
        response = DNSMessage(respondingTo: query)
        #expect(response.edns == EDNS(udpPayloadSize: 1232, version: 0, dnssecOK: true, options: []))

        query.edns?.udpPayloadSize = 100
        #expect(query.maximumUDPResponseSize == 512, "payload sizes under 512 count as 512")
    }

    @Test func aResponseRoundTripsWithNamesCompressed() throws {
        let response = sampleResponse()
        let bytes = response.serialized()
        let parsed = try DNSMessage(parsing: bytes)

        #expect(parsed == response)
        #expect(parsed.answers.map(\.type) == [.a, .aaaa, .srv, .ptr, .cname, .txt])
        #expect(parsed.authorities.map(\.type) == [.soa])
        #expect(parsed.additionals.count == 1 && parsed.edns != nil)
        #expect(bytes.count < Self.uncompressedLength(of: response))

        // The question's name ends at 12 + 31 + 4 = 47; the first answer's owner is the same name, so a pointer to 12.
        #expect(Array(bytes[47..<49]) == [0xC0, 0x0C])
        // The SRV target is written whole even though its suffix web.default.svc.cluster.local appeared before.
        let target = wireName("web-0", "web", "default", "svc", "cluster", "local")
        let targetOffset = try #require(firstOffset(of: target, in: bytes))
        #expect(Array(bytes[(targetOffset - 6)..<targetOffset]) == [0x00, 0x00, 0x00, 0x64, 0x1F, 0x90], "priority 0, weight 100, port 8080")
        // The additional record's owner is that same name, so it points at the SRV target.
        #expect(firstOffset(of: [0xC0 | UInt8(targetOffset >> 8), UInt8(targetOffset & 0xFF), 0x00, 0x01], in: bytes) != nil)
    }

    @Test func longTextIsSplitIntoCharacterStrings() throws {
        let long = String(repeating: "é", count: 200)  // 400 UTF-8 bytes: 254 bytes then 146, never half a scalar
        let record = DNSResourceRecord(name: name("txt.cluster.local"), ttl: 1, data: .txt([long, ""]))
        let parsed = try DNSMessage(parsing: DNSMessage(answers: [record]).serialized())
        #expect(parsed.answers.first?.data == .txt([String(repeating: "é", count: 127), String(repeating: "é", count: 73), ""]))

        let binary = DNSResourceRecord(name: name("txt.cluster.local"), ttl: 1, data: .raw(type: .txt, bytes: [2, 0xFF, 0xFE]))
        #expect(try DNSMessage(parsing: DNSMessage(answers: [binary]).serialized()).answers == [binary], "TXT that is not UTF-8 stays raw")
    }

    @Test func oversizedResponsesAreTruncatedByWholeRecords() throws {
        let query = DNSMessage(id: 9, recursionDesired: true, questions: [DNSQuestion(name: serviceName, type: .a)])
        var response = DNSMessage(respondingTo: query)
        response.answers = (0..<100).map { DNSResourceRecord(name: serviceName, ttl: 30, data: .a(IPv4Address(10, 42, 0, UInt8($0)))) }
        response.additionals = [DNSResourceRecord(name: serviceName, ttl: 30, data: .a(IPv4Address(10, 42, 1, 1)))]

        let bytes = response.serialized(maximumSize: 512)
        let parsed = try DNSMessage(parsing: bytes)
        #expect(bytes.count <= 512)
        #expect(parsed.isTruncated)
        // 12 header + 35 question + 16 per compressed A record: 29 records fit in 512 bytes.
        #expect(parsed.answers == Array(response.answers.prefix(29)))
        #expect(parsed.additionals.isEmpty)
        #expect(parsed.questions == response.questions)

        var withEDNS = response
        withEDNS.edns = EDNS(udpPayloadSize: 1232)
        let larger = try DNSMessage(parsing: withEDNS.serialized(maximumSize: 1232))
        #expect(larger.isTruncated && larger.edns == withEDNS.edns, "the OPT record survives truncation")
        #expect(larger.answers.count == (1232 - 12 - 35 - 11) / 16)

        let complete = try DNSMessage(parsing: response.serialized())
        #expect(!complete.isTruncated && complete.answers.count == 100 && complete.additionals.count == 1)

        var extraOnly = response
        extraOnly.answers = Array(response.answers.prefix(29))
        let withoutExtra = try DNSMessage(parsing: extraOnly.serialized(maximumSize: 512))
        #expect(withoutExtra.answers.count == 29 && withoutExtra.additionals.isEmpty)
        #expect(!withoutExtra.isTruncated, "additional records that do not fit leave TC unset")

        var withAuthority = extraOnly
        withAuthority.authorities = [DNSResourceRecord(name: name("cluster.local"), ttl: 30, data: .ns(name("ns.dns.cluster.local")))]
        let withoutAuthority = try DNSMessage(parsing: withAuthority.serialized(maximumSize: 512))
        #expect(withoutAuthority.answers.count == 29 && withoutAuthority.authorities.isEmpty && withoutAuthority.additionals.isEmpty)
        #expect(withoutAuthority.isTruncated, "a dropped authority record sets TC")
    }

    @Test func droppedRecordsLeaveNoCompressionTargets() {
        var writer = DNSWireWriter(capacity: 64)
        writer.write(name("a.cluster.local"), compress: true)
        writer.truncate(to: 0)
        writer.write(name("b.cluster.local"), compress: true)
        #expect(writer.bytes == wireName("b", "cluster", "local"), "cluster.local is written again, not pointed to the dropped bytes")
    }

    @Test func extendedResponseCodesTravelInTheOPTRecord() throws {
        var response = DNSMessage(id: 3, isResponse: true, rcode: .badVersion, edns: EDNS(udpPayloadSize: 1232))
        let bytes = response.serialized()
        #expect(bytes[3] & 0x0F == 0, "BADVERS (16) has no low bits in the header")
        #expect(Array(bytes[17..<21]) == [0x01, 0x00, 0x00, 0x00], "the OPT TTL carries 16 >> 4 = 1 as its high byte")
        #expect(try DNSMessage(parsing: bytes).rcode == .badVersion)

        response.rcode = DNSResponseCode(rawValue: 0xABC)
        #expect(try DNSMessage(parsing: response.serialized()).rcode.rawValue == 0xABC)

        response.edns = nil
        #expect(try DNSMessage(parsing: response.serialized()).rcode == .serverFailure, "an extended code cannot be sent without EDNS")
    }

    @Test func ttlsWithTheHighBitSetReadAsZero() throws {
        let record = DNSResourceRecord(name: name("a.cluster.local"), ttl: 0x8000_0000, data: .a(IPv4Address(10, 0, 0, 1)))
        let bytes = DNSMessage(answers: [record, DNSResourceRecord(name: name("a.cluster.local"), ttl: 0x7FFF_FFFF, data: .a(IPv4Address(10, 0, 0, 2)))]).serialized()
        #expect(try DNSMessage(parsing: bytes).answers.map(\.ttl) == [0, 0x7FFF_FFFF], "RFC 2181 8")
    }
}
