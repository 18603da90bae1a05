import DNSWire
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import ClusterDNS

@Suite("Forwarding to upstream resolvers")
struct UpstreamForwarderTests {
    @Test func forwardsAQueryUnderAnIDOfItsOwnAndRestoresTheCallers() async throws {
        let upstream = try await FakeUpstream(answers: [
            "web.example.": .answer([address("web.example.", 10, ttl: 60)]),
            "api.example.": .answer([address("api.example.", 11, ttl: 60)]),
            "db.example.": .answer([address("db.example.", 12, ttl: 60)]),
        ])
        try await withForwarder(upstreams: [upstream]) { forwarder in
            for name in ["web.example.", "api.example.", "db.example."] {
                let query = stubQuery(name, id: 0x1234)
                let reply = await forwarder.forward(query)
                #expect(reply.id == 0x1234)
                #expect(reply.isResponse)
                #expect(reply.recursionAvailable)
                #expect(reply.rcode == .noError)
                #expect(reply.questions == query.questions)
                #expect(reply.answers.map(\.data) == upstream.answers(for: name).map(\.data))
            }
        }
        let asked = upstream.requests
        #expect(asked.count == 3)
        #expect(asked.allSatisfy { $0.query.recursionDesired && !$0.overTCP })
        #expect(asked.allSatisfy { $0.query.edns?.udpPayloadSize == 1232 })
        // One id may match the caller's by chance; three cannot all do so unless the caller's id is reused.
        #expect(asked.map(\.query.id) != [0x1234, 0x1234, 0x1234])
    }

    @Test func answersARepeatedQueryFromTheCache() async throws {
        let upstream = try await FakeUpstream(answers: ["cached.example.": .answer([address("cached.example.", 20, ttl: 60)])])
        try await withForwarder(upstreams: [upstream]) { forwarder in
            #expect(forwarder.cachedAnswer(to: stubQuery("cached.example.", id: 1)) == nil, "nothing cached yet")
            let first = await forwarder.forward(stubQuery("cached.example.", id: 1))
            let again = stubQuery("CACHED.Example.", id: 2)
            #expect(forwarder.cachedAnswer(to: again)?.answers.map(\.data) == first.answers.map(\.data), "a hit answered without a task")
            let second = await forwarder.forward(again)
            #expect(first.answers.map(\.ttl) == [60])
            #expect(second.id == 2)
            #expect(second.questions.map(\.name.description) == ["CACHED.Example."], "the caller's spelling is echoed")
            #expect(second.answers.map(\.data) == first.answers.map(\.data))
            #expect(second.answers.allSatisfy { $0.ttl <= 60 })
        }
        #expect(upstream.requests.count == 1)
    }

    @Test func countsTTLsDownAndAsksAgainOnceTheyExpire() async throws {
        let upstream = try await FakeUpstream(answers: [
            "short.example.": .answer([address("short.example.", 30, ttl: 1)]),
            "long.example.": .answer([address("long.example.", 31, ttl: 60)]),
        ])
        try await withForwarder(upstreams: [upstream]) { forwarder in
            _ = await forwarder.forward(stubQuery("long.example."))
            _ = await forwarder.forward(stubQuery("short.example."))
            _ = await forwarder.forward(stubQuery("short.example."))
            #expect(upstream.requests(for: "short.example.").count == 1)

            try await Task.sleep(for: .milliseconds(1100))
            let expired = await forwarder.forward(stubQuery("short.example."))
            let aged = await forwarder.forward(stubQuery("long.example."))
            #expect(expired.answers.map(\.ttl) == [1])
            #expect(upstream.requests(for: "short.example.").count == 2, "an expired answer is asked again")
            #expect(upstream.requests(for: "long.example.").count == 1)
            #expect(aged.answers.allSatisfy { $0.ttl <= 59 }, "a cached answer's TTL counts down")
        }
    }

    @Test func cachesNXDOMAINForTheNegativeTTLOfItsSOA() async throws {
        let soa = DNSResourceRecord(
            name: name("example."), ttl: 3600,
            data: .soa(
                primaryNameServer: name("ns.example."), mailbox: name("hostmaster.example."), serial: 1, refresh: 7200,
                retry: 900, expire: 1_209_600, minimumTTL: 60))
        let upstream = try await FakeUpstream(answers: ["missing.example.": .answer([], authorities: [soa], rcode: .nxDomain)])
        try await withForwarder(upstreams: [upstream]) { forwarder in
            for _ in 0..<2 {
                let reply = await forwarder.forward(stubQuery("missing.example."))
                #expect(reply.rcode == .nxDomain)
                #expect(reply.answers.isEmpty)
                #expect(reply.authorities.map(\.data) == [soa.data])
            }
        }
        #expect(upstream.requests.count == 1)
    }

    @Test func asksOverTCPWhenTheUDPAnswerIsTruncated() async throws {
        let records = (0..<150).map { address("big.example.", UInt8($0), ttl: 60) }
        let upstream = try await FakeUpstream(answers: ["big.example.": .answer(records, behaviour: .truncateOverUDP)])
        try await withForwarder(upstreams: [upstream]) { forwarder in
            let reply = await forwarder.forward(stubQuery("big.example.", id: 77))
            #expect(reply.id == 77)
            #expect(!reply.isTruncated)
            #expect(reply.answers.map(\.data) == records.map(\.data))
        }
        #expect(upstream.requests.map(\.overTCP) == [false, true])
    }

    @Test func fallsBackToTheNextUpstreamWhenOneIsSilent() async throws {
        let silent = try await SilentUpstream()
        let upstream = try await FakeUpstream(answers: ["web.example.": .answer([address("web.example.", 40, ttl: 60)])])
        try await withForwarder(upstreams: [silent.address, upstream.address], timeout: .milliseconds(300)) { forwarder in
            let clock = ContinuousClock()
            var reply = DNSMessage()
            let elapsed = await clock.measure { reply = await forwarder.forward(stubQuery("web.example.")) }
            #expect(reply.rcode == .noError)
            #expect(reply.answers.count == 1)
            #expect(elapsed >= .milliseconds(300), "the silent upstream was given its time first")
        }
        await silent.close()
        await upstream.stop()
    }

    @Test func fallsBackToTheNextUpstreamAfterSERVFAIL() async throws {
        let failing = try await FakeUpstream(answers: ["web.example.": .answer([], rcode: .serverFailure)])
        let upstream = try await FakeUpstream(answers: ["web.example.": .answer([address("web.example.", 41, ttl: 60)])])
        try await withForwarder(upstreams: [failing, upstream]) { forwarder in
            let reply = await forwarder.forward(stubQuery("web.example."))
            #expect(reply.rcode == .noError)
            #expect(reply.answers.count == 1)
        }
        #expect(failing.requests.count == 1)
        #expect(upstream.requests.count == 1)
    }

    @Test func answersSERVFAILWithinTheTimeoutWhenNoUpstreamAnswers() async throws {
        let silent = try await SilentUpstream()
        try await withForwarder(upstreams: [silent.address], timeout: .milliseconds(300)) { forwarder in
            let query = stubQuery("web.example.", id: 99)
            let clock = ContinuousClock()
            var reply = DNSMessage()
            let elapsed = await clock.measure { reply = await forwarder.forward(query) }
            #expect(reply.rcode == .serverFailure)
            #expect(reply.id == 99)
            #expect(reply.questions == query.questions)
            // Not before the timeout. How long after it depends on the machine's load (a 2-core machine running the
            // whole suite in parallel took seconds), so no upper bound is asserted here.
            #expect(elapsed >= .milliseconds(300))
        }
        await silent.close()

        try await withForwarder(upstreams: [String]()) { forwarder in
            let reply = await forwarder.forward(stubQuery("web.example.", id: 98))
            #expect(reply.rcode == .serverFailure)
            #expect(reply.id == 98)
        }
    }

    @Test func ignoresSpoofedAndMalformedResponses() async throws {
        let real = address("web.example.", 50, ttl: 60)
        let upstream = try await FakeUpstream(answers: ["web.example.": .answer([real], behaviour: .spoofFirst)])
        try await withForwarder(upstreams: [upstream]) { forwarder in
            let reply = await forwarder.forward(stubQuery("web.example."))
            #expect(reply.rcode == .noError)
            #expect(reply.answers.map(\.data) == [real.data], "only the response from the upstream with the query's id and question counts")
        }
    }

    @Test func identicalQueriesInFlightShareOneUpstreamExchange() async throws {
        // A TTL of 0 is never cached, so only sharing the exchange keeps the upstream to one request. The upstream
        // takes its time so that all five queries are asked while it does, even on a loaded machine.
        let upstream = try await FakeUpstream(answers: [
            "slow.example.": .answer([address("slow.example.", 60, ttl: 0)], behaviour: .answerAfter(.milliseconds(1500)))
        ])
        try await withForwarder(upstreams: [upstream], timeout: .seconds(10)) { forwarder in
            let replies = await withTaskGroup(of: DNSMessage.self) { group in
                for id in UInt16(1)...5 {
                    group.addTask { await forwarder.forward(stubQuery("slow.example.", id: id)) }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(replies.map(\.id)) == Set(1...5))
            #expect(replies.allSatisfy { $0.answers.count == 1 })
        }
        #expect(upstream.requests.count == 1)
    }

    @Test func aFullCacheDropsTheAnswersClosestToExpiring() async throws {
        let upstream = try await FakeUpstream(answers: [
            "a.example.": .answer([address("a.example.", 1, ttl: 60)]),
            "b.example.": .answer([address("b.example.", 2, ttl: 30)]),
            "c.example.": .answer([address("c.example.", 3, ttl: 90)]),
        ])
        try await withForwarder(upstreams: [upstream], cacheCapacity: 2) { forwarder in
            for name in ["a.example.", "b.example.", "c.example.", "a.example.", "b.example."] {
                _ = await forwarder.forward(stubQuery(name))
            }
        }
        #expect(upstream.requests(for: "a.example.").count == 1)
        #expect(upstream.requests(for: "b.example.").count == 2)
    }

    @Test func cacheLifetimes() {
        let soa = DNSRecordData.soa(
            primaryNameServer: name("ns.example."), mailbox: name("hostmaster.example."), serial: 1, refresh: 1, retry: 1,
            expire: 1, minimumTTL: 120)
        func response(_ rcode: DNSResponseCode, answers: [UInt32] = [], soaTTL: UInt32? = nil) -> DNSMessage {
            DNSMessage(
                isResponse: true, rcode: rcode, answers: answers.map { address("x.example.", 1, ttl: $0) },
                authorities: soaTTL.map { [DNSResourceRecord(name: name("example."), ttl: $0, data: soa)] } ?? [])
        }
        var truncated = response(.noError, answers: [60])
        truncated.isTruncated = true

        #expect(UpstreamForwarder.cacheLifetime(of: response(.noError, answers: [300, 60, 120])) == 60, "the smallest answer TTL")
        #expect(UpstreamForwarder.cacheLifetime(of: response(.noError, answers: [86400])) == 3600, "capped at an hour")
        #expect(UpstreamForwarder.cacheLifetime(of: response(.noError, answers: [0])) == nil)
        #expect(UpstreamForwarder.cacheLifetime(of: response(.nxDomain, soaTTL: 3600)) == 120, "the SOA minimum")
        #expect(UpstreamForwarder.cacheLifetime(of: response(.noError, soaTTL: 30)) == 30, "NODATA: the SOA's own TTL when lower")
        #expect(UpstreamForwarder.cacheLifetime(of: response(.nxDomain)) == 5, "without an SOA")
        #expect(UpstreamForwarder.cacheLifetime(of: response(.serverFailure)) == nil)
        #expect(UpstreamForwarder.cacheLifetime(of: response(.refused)) == nil)
        #expect(UpstreamForwarder.cacheLifetime(of: truncated) == nil)

        var longNegative = response(.nxDomain, soaTTL: 86400)
        longNegative.authorities[0].data = .soa(
            primaryNameServer: name("ns.example."), mailbox: name("hostmaster.example."), serial: 1, refresh: 1, retry: 1,
            expire: 1, minimumTTL: 86400)
        #expect(UpstreamForwarder.cacheLifetime(of: longNegative) == 300, "negative answers capped at five minutes")
    }

    @Test func upstreamAddresses() throws {
        #expect(UpstreamForwarder.upstreamAddress("192.0.2.53") == (try SocketAddress(ipAddress: "192.0.2.53", port: 53)))
        #expect(UpstreamForwarder.upstreamAddress("192.0.2.53:5353") == (try SocketAddress(ipAddress: "192.0.2.53", port: 5353)))
        #expect(UpstreamForwarder.upstreamAddress("2001:db8::1") == (try SocketAddress(ipAddress: "2001:db8::1", port: 53)))
        #expect(UpstreamForwarder.upstreamAddress("[2001:db8::1]:5353") == (try SocketAddress(ipAddress: "2001:db8::1", port: 5353)))
        #expect(UpstreamForwarder.upstreamAddress("[2001:db8::1]") == (try SocketAddress(ipAddress: "2001:db8::1", port: 53)))
        for invalid in ["", "dns.example", "192.0.2.53:", "192.0.2.53:0", "192.0.2.53:70000", "[2001:db8::1", "[2001:db8::1]53"] {
            #expect(UpstreamForwarder.upstreamAddress(invalid) == nil, "\(invalid)")
        }
    }

    @Test func concurrentQueriesAreEachMatchedToTheirOwnAnswer() async throws {
        let names = (0..<200).map { "host\($0).example." }
        let upstream = try await FakeUpstream(
            answers: Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, .answer([address($1, UInt8($0), ttl: 60)])) }))
        try await withForwarder(upstreams: [upstream]) { forwarder in
            let replies = await withTaskGroup(of: (String, DNSMessage).self) { group in
                for name in names {
                    group.addTask { (name, await forwarder.forward(stubQuery(name))) }
                }
                return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            for name in names {
                #expect(replies[name]?.answers.map(\.data) == upstream.answers(for: name).map(\.data), "\(name)")
            }
        }
        #expect(upstream.requests.count == names.count)
    }

    // MARK: - Support

    /// Runs `body` with a forwarder over `upstreams`, shutting it down afterwards.
    private func withForwarder(
        upstreams: [String], timeout: Duration = .seconds(2), cacheCapacity: Int = 100, _ body: (UpstreamForwarder) async throws -> Void
    ) async throws {
        let forwarder = UpstreamForwarder(
            upstreams: upstreams, group: MultiThreadedEventLoopGroup.singleton, timeout: timeout, cacheCapacity: cacheCapacity,
            logger: Logger(label: "upstream-forwarder-tests"))
        do {
            try await body(forwarder)
        } catch {
            await forwarder.shutdown()
            throw error
        }
        await forwarder.shutdown()
    }

    /// Runs `body` with a forwarder over fake `upstreams`, stopping them afterwards; what they were asked stays readable.
    private func withForwarder(
        upstreams: [FakeUpstream], timeout: Duration = .seconds(2), cacheCapacity: Int = 100,
        _ body: (UpstreamForwarder) async throws -> Void
    ) async throws {
        do {
            try await withForwarder(upstreams: upstreams.map(\.address), timeout: timeout, cacheCapacity: cacheCapacity, body)
        } catch {
            for upstream in upstreams { await upstream.stop() }
            throw error
        }
        for upstream in upstreams { await upstream.stop() }
    }
}

private func name(_ text: String) -> DNSName {
    guard let name = DNSName(text) else {
        Issue.record("\(text) is not a valid name")
        return .root
    }
    return name
}

private func address(_ owner: String, _ lastByte: UInt8, ttl: UInt32) -> DNSResourceRecord {
    DNSResourceRecord(name: name(owner), ttl: ttl, data: .a(IPv4Address(192, 0, 2, lastByte)))
}

/// A stub resolver's query: RD set, EDNS with the recommended payload size.
private func stubQuery(_ text: String, id: UInt16 = 0x0101) -> DNSMessage {
    DNSMessage(id: id, recursionDesired: true, questions: [DNSQuestion(name: name(text), type: .a)], edns: EDNS())
}

/// A UDP socket on 127.0.0.1 that reads queries and never answers.
private struct SilentUpstream {
    let channel: any Channel

    init() async throws {
        channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
    }

    var address: String { "127.0.0.1:\(channel.localAddress?.port ?? 0)" }

    func close() async {
        try? await channel.close()
    }
}

/// A DNS server on 127.0.0.1, UDP and TCP on one port, that answers from a table and records what it was asked. It
/// stays silent for names not in the table.
private final class FakeUpstream: Sendable {
    struct Answer: Sendable {
        var rcode: DNSResponseCode
        var answers: [DNSResourceRecord]
        var authorities: [DNSResourceRecord]
        var behaviour: Behaviour

        static func answer(
            _ answers: [DNSResourceRecord], authorities: [DNSResourceRecord] = [], rcode: DNSResponseCode = .noError,
            behaviour: Behaviour = .plain
        ) -> Answer {
            Answer(rcode: rcode, answers: answers, authorities: authorities, behaviour: behaviour)
        }
    }

    enum Behaviour: Sendable {
        /// The answer, over UDP or TCP as asked.
        case plain
        /// Over UDP an empty answer with TC set; the whole answer over TCP.
        case truncateOverUDP
        /// Over UDP, first a datagram that is not DNS, then bogus answers a forwarder must refuse (a wrong id, another
        /// question, the right id and question from another port), then the answer.
        case spoofFirst
        /// The answer after a delay.
        case answerAfter(Duration)
    }

    struct Request: Sendable {
        var query: DNSMessage
        var overTCP: Bool
    }

    /// The table and the requests, shared with the socket handlers.
    final class Zone: Sendable {
        let table: [DNSName: Answer]
        let requests = Mutex<[Request]>([])

        init(table: [DNSName: Answer]) {
            self.table = table
        }

        /// Records `query`, returning the answer to it and how to send it; nil for names not in the table.
        func respond(to query: DNSMessage, overTCP: Bool) -> (DNSMessage, Behaviour)? {
            requests.withLock { $0.append(Request(query: query, overTCP: overTCP)) }
            guard let question = query.questions.first, let answer = table[question.name] else { return nil }
            var response = DNSMessage(respondingTo: query)
            response.recursionAvailable = true
            response.rcode = answer.rcode
            response.answers = answer.answers
            response.authorities = answer.authorities
            return (response, answer.behaviour)
        }
    }

    let address: String
    private let zone: Zone
    private let channels: [any Channel]

    init(answers: [String: Answer]) async throws {
        let zone = Zone(table: Dictionary(uniqueKeysWithValues: answers.map { (name($0.key), $0.value) }))
        let group = MultiThreadedEventLoopGroup.singleton
        let spoofer = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let udp = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FakeUDPHandler(zone: zone, spoofer: spoofer))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = udp.localAddress?.port ?? 0
        let tcp = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FakeTCPHandler(zone: zone))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        self.zone = zone
        channels = [spoofer, udp, tcp]
        address = "127.0.0.1:\(port)"
    }

    func stop() async {
        for channel in channels {
            try? await channel.close()
        }
    }

    var requests: [Request] { zone.requests.withLock { $0 } }

    func requests(for text: String) -> [Request] {
        let asked = name(text)
        return requests.filter { $0.query.questions.first?.name == asked }
    }

    func answers(for text: String) -> [DNSResourceRecord] {
        zone.table[name(text)]?.answers ?? []
    }
}

private final class FakeUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let zone: FakeUpstream.Zone
    private let spoofer: any Channel

    init(zone: FakeUpstream.Zone, spoofer: any Channel) {
        self.zone = zone
        self.spoofer = spoofer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let datagram = unwrapInboundIn(data)
        guard let query = try? DNSMessage(parsing: Array(datagram.data.readableBytesView)),
            let (response, behaviour) = zone.respond(to: query, overTCP: false)
        else { return }
        let client = datagram.remoteAddress
        func envelope(_ message: DNSMessage) -> AddressedEnvelope<ByteBuffer> {
            AddressedEnvelope(remoteAddress: client, data: ByteBuffer(bytes: message.serialized(maximumSize: query.maximumUDPResponseSize)))
        }
        switch behaviour {
        case .plain:
            context.writeAndFlush(wrapOutboundOut(envelope(response)), promise: nil)
        case .truncateOverUDP:
            var truncated = DNSMessage(respondingTo: query)
            truncated.isTruncated = true
            context.writeAndFlush(wrapOutboundOut(envelope(truncated)), promise: nil)
        case .spoofFirst:
            var bogus = response
            bogus.answers = [DNSResourceRecord(name: query.questions[0].name, ttl: 60, data: .a(IPv4Address(203, 0, 113, 66)))]
            var wrongID = bogus
            wrongID.id &+= 1
            var wrongQuestion = bogus
            wrongQuestion.questions = [DNSQuestion(name: name("other.example."), type: .a)]
            let garbage = AddressedEnvelope(remoteAddress: client, data: ByteBuffer(bytes: [0xFF, 0x00, 0x13]))
            context.write(wrapOutboundOut(garbage), promise: nil)
            context.write(wrapOutboundOut(envelope(wrongID)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(envelope(wrongQuestion)), promise: nil)
            let channel = context.channel
            let answer = envelope(response)
            // The real answer leaves only once the spoof from the other port has gone out.
            spoofer.writeAndFlush(envelope(bogus)).whenComplete { _ in
                channel.writeAndFlush(answer, promise: nil)
            }
        case .answerAfter(let delay):
            let channel = context.channel
            let answer = envelope(response)
            context.eventLoop.scheduleTask(in: TimeAmount(delay)) {
                channel.writeAndFlush(answer, promise: nil)
            }
        }
    }
}

/// Reads length-prefixed queries (RFC 1035 4.2.2) and writes length-prefixed answers.
private final class FakeTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let zone: FakeUpstream.Zone
    private var received = ByteBuffer()

    init(zone: FakeUpstream.Zone) {
        self.zone = zone
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        received.writeBuffer(&chunk)
        while let length = received.getInteger(at: received.readerIndex, as: UInt16.self),
            let bytes = received.getBytes(at: received.readerIndex + 2, length: Int(length))
        {
            received.moveReaderIndex(forwardBy: 2 + Int(length))
            guard let query = try? DNSMessage(parsing: bytes), let (response, _) = zone.respond(to: query, overTCP: true) else { continue }
            let message = response.serialized()
            var frame = ByteBuffer()
            frame.writeInteger(UInt16(message.count))
            frame.writeBytes(message)
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        }
    }
}
