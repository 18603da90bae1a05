import DNSWire
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Answers the queries cluster DNS is not authoritative for from the node's upstream resolvers, as CoreDNS's
/// `forward . /etc/resolv.conf` behind its `cache` plugin does.
///
/// Queries go out over UDP, one socket per address family, each with a random id of the forwarder's own; only a
/// response from the asked upstream's address, with that id and the same question, is taken, so a spoofer must
/// guess the id as well as the port. A truncated answer is asked again of the same upstream over TCP. Answers are
/// cached, and identical queries that arrive while one is being resolved share its upstream exchange.
///
/// The sockets are opened on first use and closed by `shutdown()`; until then their handlers keep the forwarder
/// alive.
public final class UpstreamForwarder: Sendable {
    /// The EDNS payload size asked of upstreams: room for most answers over UDP, small enough not to fragment.
    static let upstreamPayloadSize = EDNS.recommendedUDPPayloadSize
    /// The longest a positive answer is cached whatever its TTL, so a changed record is served stale for at most an
    /// hour.
    static let maximumPositiveLifetime: UInt32 = 3600
    /// The longest an NXDOMAIN or NODATA answer is cached, so a name created after a miss resolves within minutes.
    static let maximumNegativeLifetime: UInt32 = 300
    /// How long a negative answer without an SOA, which carries no negative TTL, is cached.
    static let negativeLifetimeWithoutSOA: UInt32 = 5
    /// The receive buffer asked for each UDP socket, on which every exchange's answer arrives: Linux's default of about
    /// 200 KiB drops answers when a burst of queries misses the cache, 1 MiB holds a few thousand. The kernel caps it
    /// at `net.core.rmem_max`.
    static let udpReceiveBufferSize: SocketOptionValue = 1 << 20

    private let upstreams: [SocketAddress]
    private let group: any EventLoopGroup
    private let timeout: TimeAmount
    private let cacheCapacity: Int
    fileprivate let logger: Logger
    private let state = Mutex(State())

    /// - Parameters:
    ///   - upstreams: the resolvers in order of preference, as `192.0.2.53`, `192.0.2.53:5353`, `2001:db8::1` or
    ///     `[2001:db8::1]:53`; entries that are not IP addresses are logged and left out.
    ///   - group: a NIOPosix group (such as `MultiThreadedEventLoopGroup.singleton`) the sockets run on.
    ///   - timeout: how long each upstream has to answer, over UDP and, after a truncated answer, TCP together.
    ///   - cacheCapacity: how many answers the cache holds; 0 turns caching off.
    public init(
        upstreams: [String], group: any EventLoopGroup, timeout: Duration = .seconds(2), cacheCapacity: Int = 10_000, logger: Logger
    ) {
        self.upstreams = upstreams.compactMap { text in
            guard let address = Self.upstreamAddress(text) else {
                logger.warning("ignoring an upstream resolver that is not an IP address", metadata: ["upstream": "\(text)"])
                return nil
            }
            return address
        }
        self.group = group
        self.timeout = TimeAmount(timeout)
        self.cacheCapacity = cacheCapacity
        self.logger = logger
    }

    /// The answer to `query` from the node's upstream resolvers: cached answers while their TTL lasts (TTLs counted
    /// down in what is returned), else asked of the upstreams in turn; SERVFAIL (with the query's id and question)
    /// when none answers in time or no upstream is configured.
    ///
    /// The reply carries the query's id, question spelling and EDNS presence. Upstreams that answer SERVFAIL or
    /// REFUSED count as not answering. Cancelling the caller does not cut short an exchange other queries may share;
    /// it ends within the upstreams' timeouts.
    public func forward(_ query: DNSMessage) async -> DNSMessage {
        guard query.opcode == 0 else { return Self.reply(to: query, rcode: .notImplemented) }
        guard query.questions.count == 1 else { return Self.reply(to: query, rcode: .formatError) }
        guard !upstreams.isEmpty else { return Self.reply(to: query, rcode: .serverFailure) }
        let key = CacheKey(query: query)
        let now = ContinuousClock.now
        let lookup = state.withLock { state -> Lookup in
            if let cached = state.cache[key] {
                if cached.expiry > now { return .cached(cached) }
                state.cache[key] = nil
            }
            if let resolution = state.resolutions[key] { return .resolving(resolution) }
            guard !state.isShutDown else { return .shutDown }
            // Every query for this key awaits this task; it removes itself from `resolutions` when done, and
            // `shutdown()` awaits those still there.
            let resolution = Task { await self.resolve(key) }
            state.resolutions[key] = resolution
            return .resolving(resolution)
        }
        switch lookup {
        case .cached(let cached):
            let age = UInt32(clamping: (now - cached.storedAt).components.seconds)
            return Self.reply(to: query, with: cached.response, age: age)
        case .resolving(let resolution):
            guard let response = await resolution.value else { return Self.reply(to: query, rcode: .serverFailure) }
            return Self.reply(to: query, with: response, age: 0)
        case .shutDown:
            return Self.reply(to: query, rcode: .serverFailure)
        }
    }

    /// The cached answer to `query` while its TTL lasts, nil when the upstreams must be asked (`forward`): a caller
    /// on an event loop answers a cache hit at once, without starting a task.
    public func cachedAnswer(to query: DNSMessage) -> DNSMessage? {
        guard query.opcode == 0, query.questions.count == 1 else { return nil }
        let key = CacheKey(query: query)
        let now = ContinuousClock.now
        guard let cached = state.withLock({ $0.cache[key] }), cached.expiry > now else { return nil }
        return Self.reply(to: query, with: cached.response, age: UInt32(clamping: (now - cached.storedAt).components.seconds))
    }

    /// Closes the sockets, fails the exchanges waiting on them and waits for the resolutions under way to end; later
    /// queries that miss the cache get SERVFAIL.
    public func shutdown() async {
        let (channels, exchanges, resolutions) = state.withLock { state in
            state.isShutDown = true
            defer {
                state.udpChannels = [:]
                state.pendingExchanges = [:]
            }
            return (Array(state.udpChannels.values), Array(state.pendingExchanges.values), Array(state.resolutions.values))
        }
        for exchange in exchanges {
            exchange.timeout?.cancel()
            exchange.continuation?.resume(returning: nil)
        }
        for channel in channels {
            try? await channel.get().close()
        }
        for resolution in resolutions {
            _ = await resolution.value
        }
    }

    /// Asks the upstreams in turn and caches the answer; nil when none gave a usable one.
    private func resolve(_ key: CacheKey) async -> DNSMessage? {
        var response: DNSMessage?
        for upstream in upstreams {
            guard let answer = await exchange(key, with: upstream, by: .now() + timeout) else { continue }
            if answer.rcode == .serverFailure || answer.rcode == .refused {
                logger.debug("upstream could not answer", metadata: metadata(key, upstream, ["rcode": "\(answer.rcode)"]))
                continue
            }
            response = answer
            break
        }
        let now = ContinuousClock.now
        state.withLock { state in
            state.resolutions[key] = nil
            if let response, let lifetime = Self.cacheLifetime(of: response) {
                state.store(response, for: key, lifetime: lifetime, at: now, capacity: cacheCapacity)
            }
        }
        return response
    }

    /// One upstream's answer: over UDP, and over TCP when the UDP answer was truncated; nil on any failure.
    private func exchange(_ key: CacheKey, with upstream: SocketAddress, by deadline: NIODeadline) async -> DNSMessage? {
        guard let response = await exchangeOverUDP(key, with: upstream, by: deadline) else { return nil }
        guard response.isTruncated else { return response }
        do {
            return try await exchangeOverTCP(key, with: upstream, by: deadline)
        } catch {
            logger.debug("upstream TCP exchange failed", metadata: metadata(key, upstream, ["error": "\(error)"]))
            return nil
        }
    }

    private func exchangeOverUDP(_ key: CacheKey, with upstream: SocketAddress, by deadline: NIODeadline) async -> DNSMessage? {
        let channel: any Channel
        do {
            channel = try await udpChannel(for: upstream.protocol).get()
        } catch {
            logger.debug("no UDP socket for upstream", metadata: metadata(key, upstream, ["error": "\(error)"]))
            return nil
        }
        guard let id = state.withLock({ $0.reserveExchange(with: upstream, asking: key.question) }) else { return nil }
        let query = key.upstreamQuery(id: id)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // The exchange is gone if it was cancelled or shut down before the continuation existed.
                guard state.withLock({ $0.attach(continuation, toExchange: id) }) else {
                    continuation.resume(returning: nil)
                    return
                }
                let timeout = channel.eventLoop.scheduleTask(deadline: deadline) {
                    if self.abandonExchange(id) {
                        self.logger.debug("upstream did not answer in time", metadata: self.metadata(key, upstream))
                    }
                }
                state.withLock { $0.pendingExchanges[id]?.timeout = timeout }
                let datagram = AddressedEnvelope(remoteAddress: upstream, data: ByteBuffer(bytes: query.serialized()))
                channel.writeAndFlush(datagram).whenFailure { error in
                    self.logger.debug("sending to upstream failed", metadata: self.metadata(key, upstream, ["error": "\(error)"]))
                    self.abandonExchange(id)
                }
            }
        } onCancel: {
            self.abandonExchange(id)
        }
    }

    /// Asks over a fresh TCP connection, each message behind its two-byte length (RFC 1035 4.2.2).
    private func exchangeOverTCP(_ key: CacheKey, with upstream: SocketAddress, by deadline: NIODeadline) async throws -> DNSMessage {
        let query = key.upstreamQuery(id: .random(in: .min ... .max))
        let connection = try await ClientBootstrap(group: group)
            .connectTimeout(max(deadline - .now(), .zero))
            .connect(to: upstream) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        // Closing the connection at the deadline ends the read loop below.
        let deadlineClose = connection.channel.eventLoop.scheduleTask(deadline: deadline) {
            connection.channel.close(promise: nil)
        }
        defer { deadlineClose.cancel() }
        return try await connection.executeThenClose { inbound, outbound in
            let message = query.serialized()
            var frame = ByteBuffer()
            frame.writeInteger(UInt16(message.count))
            frame.writeBytes(message)
            try await outbound.write(frame)
            var received = ByteBuffer()
            for try await chunk in inbound {
                received.writeImmutableBuffer(chunk)
                guard let length = received.getInteger(at: received.readerIndex, as: UInt16.self),
                    let bytes = received.getBytes(at: received.readerIndex + 2, length: Int(length))
                else { continue }
                let response = try DNSMessage(parsing: bytes)
                guard response.isResponse, response.id == query.id, response.questions == query.questions else {
                    throw TCPExchangeFailure.mismatchedResponse
                }
                return response
            }
            throw TCPExchangeFailure.closedBeforeAnswer
        }
    }

    /// The UDP socket for `family`, bound to the wildcard address and a port of the system's choosing on first use.
    private func udpChannel(for family: NIOBSDSocket.ProtocolFamily) -> EventLoopFuture<any Channel> {
        let (channel, bindPromise) = state.withLock { state -> (EventLoopFuture<any Channel>, EventLoopPromise<any Channel>?) in
            if let channel = state.udpChannels[family] { return (channel, nil) }
            guard !state.isShutDown else { return (group.next().makeFailedFuture(ChannelError.ioOnClosedChannel), nil) }
            let promise = group.next().makePromise(of: (any Channel).self)
            state.udpChannels[family] = promise.futureResult
            return (promise.futureResult, promise)
        }
        if let bindPromise {
            DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_rcvbuf), value: Self.udpReceiveBufferSize)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(UpstreamResponseHandler(forwarder: self))
                    }
                }
                .bind(host: family == .inet6 ? "::" : "0.0.0.0", port: 0)
                .cascade(to: bindPromise)
            // A failed bind is not kept, so a later query tries again.
            channel.whenFailure { _ in
                self.state.withLock { _ = $0.udpChannels.removeValue(forKey: family) }
            }
        }
        return channel
    }

    /// Takes a datagram read from a UDP socket as the answer to the exchange it matches, if any.
    fileprivate func receive(_ response: DNSMessage, from sender: SocketAddress) {
        let exchange = state.withLock { state -> PendingExchange? in
            guard let exchange = state.pendingExchanges[response.id], exchange.isAnswered(by: response, from: sender) else { return nil }
            return state.pendingExchanges.removeValue(forKey: response.id)
        }
        guard let exchange else {
            let question = response.questions.first.map { "\($0.name) \($0.type)" } ?? "none"
            logger.debug(
                "ignored an upstream response that answers no pending query",
                metadata: ["sender": "\(sender)", "id": "\(response.id)", "question": "\(question)"])
            return
        }
        exchange.timeout?.cancel()
        exchange.continuation?.resume(returning: response)
    }

    /// Ends exchange `id` without an answer; false when it had already ended.
    @discardableResult
    private func abandonExchange(_ id: UInt16) -> Bool {
        guard let exchange = state.withLock({ $0.pendingExchanges.removeValue(forKey: id) }) else { return false }
        exchange.timeout?.cancel()
        exchange.continuation?.resume(returning: nil)
        return true
    }

    private func metadata(_ key: CacheKey, _ upstream: SocketAddress, _ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        extra.merging(["upstream": "\(upstream)", "name": "\(key.question.name)", "type": "\(key.question.type)"]) { extra, _ in extra }
    }

    /// How long `response` may be cached, in seconds, or nil when it may not be: a positive answer for its smallest
    /// answer TTL, capped at an hour; NXDOMAIN and NODATA for the negative TTL of their SOA (RFC 2308 5), capped at
    /// five minutes, or 5 seconds without one; nothing else, SERVFAIL included.
    static func cacheLifetime(of response: DNSMessage) -> UInt32? {
        guard !response.isTruncated else { return nil }
        let lifetime: UInt32
        switch response.rcode {
        case .noError where !response.answers.isEmpty:
            lifetime = min(response.answers.lazy.map(\.ttl).min() ?? 0, maximumPositiveLifetime)
        case .noError, .nxDomain:
            let negativeTTL = response.authorities.lazy.compactMap { record -> UInt32? in
                guard case .soa(_, _, _, _, _, _, let minimumTTL) = record.data else { return nil }
                return min(record.ttl, minimumTTL)
            }.first
            lifetime = negativeTTL.map { min($0, maximumNegativeLifetime) } ?? negativeLifetimeWithoutSOA
        default:
            return nil
        }
        return lifetime > 0 ? lifetime : nil
    }

    /// The address an upstream's text names: `192.0.2.53`, `192.0.2.53:5353`, `2001:db8::1` or `[2001:db8::1]:53`,
    /// with port 53 when none is given; nil when it is not an IP address.
    static func upstreamAddress(_ text: String) -> SocketAddress? {
        var host = Substring(text)
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let rest = host[host.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.firstIndex(of: ":"), host.lastIndex(of: ":") == colon {
            // One colon separates an IPv4 address from its port; more make a bare IPv6 address.
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        var port = 53
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else { return nil }
            port = number
        }
        return try? SocketAddress(ipAddress: String(host), port: port)
    }

    /// `answer`, an upstream's response, as the reply to `query`: the query's id, question and EDNS, and every TTL
    /// reduced by `age`, the seconds the answer spent in the cache.
    private static func reply(to query: DNSMessage, with answer: DNSMessage, age: UInt32) -> DNSMessage {
        func aged(_ record: DNSResourceRecord) -> DNSResourceRecord {
            var record = record
            record.ttl -= min(record.ttl, age)
            return record
        }
        var reply = reply(to: query, rcode: answer.rcode)
        // AD goes only to clients that show they understand it (RFC 6840 5.8).
        reply.authenticData = answer.authenticData && (query.authenticData || query.edns?.dnssecOK == true)
        reply.answers = answer.answers.map(aged)
        reply.authorities = answer.authorities.map(aged)
        reply.additionals = answer.additionals.map(aged)
        return reply
    }

    private static func reply(to query: DNSMessage, rcode: DNSResponseCode) -> DNSMessage {
        var reply = DNSMessage(respondingTo: query)
        reply.recursionAvailable = true
        reply.rcode = rcode
        return reply
    }

    private struct State {
        var isShutDown = false
        /// The UDP socket per address family, bound on first use.
        var udpChannels: [NIOBSDSocket.ProtocolFamily: EventLoopFuture<any Channel>] = [:]
        /// UDP exchanges awaiting their response, by the id their query went out with.
        var pendingExchanges: [UInt16: PendingExchange] = [:]
        var cache: [CacheKey: CachedAnswer] = [:]
        /// The resolutions under way, which identical queries join instead of asking again.
        var resolutions: [CacheKey: Task<DNSMessage?, Never>] = [:]

        /// Claims an id no pending exchange uses for a query to `upstream`; nil once shut down or when all 65536 are
        /// in use.
        mutating func reserveExchange(with upstream: SocketAddress, asking question: DNSQuestion) -> UInt16? {
            guard !isShutDown, pendingExchanges.count <= Int(UInt16.max) else { return nil }
            var id = UInt16.random(in: .min ... .max)
            while pendingExchanges[id] != nil {
                id = .random(in: .min ... .max)
            }
            pendingExchanges[id] = PendingExchange(upstream: upstream, question: question)
            return id
        }

        /// False when the exchange has already ended.
        mutating func attach(_ continuation: CheckedContinuation<DNSMessage?, Never>, toExchange id: UInt16) -> Bool {
            guard pendingExchanges[id] != nil else { return false }
            pendingExchanges[id]?.continuation = continuation
            return true
        }

        mutating func store(_ response: DNSMessage, for key: CacheKey, lifetime: UInt32, at now: ContinuousClock.Instant, capacity: Int) {
            guard capacity > 0 else { return }
            if cache[key] == nil && cache.count >= capacity {
                makeRoom(capacity: capacity, at: now)
            }
            cache[key] = CachedAnswer(response: response, storedAt: now, expiry: now + .seconds(lifetime))
        }

        /// Drops the expired answers and, if that frees too little, those closest to expiring, which would serve the
        /// fewest queries, down to nine tenths of `capacity` so the next insertions need no scan.
        private mutating func makeRoom(capacity: Int, at now: ContinuousClock.Instant) {
            cache = cache.filter { $0.value.expiry > now }
            let target = capacity - max(1, capacity / 10)
            guard cache.count > target else { return }
            for (key, _) in cache.sorted(by: { $0.value.expiry < $1.value.expiry }).prefix(cache.count - target) {
                cache[key] = nil
            }
        }
    }

    /// What an upstream's answer depends on: the question, whose name compares ignoring case, and the DO and CD bits,
    /// which ask for DNSSEC records and for data that failed validation.
    private struct CacheKey: Hashable, Sendable {
        var question: DNSQuestion
        var dnssecOK: Bool
        var checkingDisabled: Bool

        init(query: DNSMessage) {
            question = query.questions[0]
            dnssecOK = query.edns?.dnssecOK ?? false
            checkingDisabled = query.checkingDisabled
        }

        func upstreamQuery(id: UInt16) -> DNSMessage {
            DNSMessage(
                id: id, recursionDesired: true, checkingDisabled: checkingDisabled, questions: [question],
                edns: EDNS(udpPayloadSize: UpstreamForwarder.upstreamPayloadSize, dnssecOK: dnssecOK))
        }
    }

    private struct CachedAnswer {
        var response: DNSMessage
        var storedAt: ContinuousClock.Instant
        var expiry: ContinuousClock.Instant
    }

    private enum Lookup {
        case cached(CachedAnswer)
        case resolving(Task<DNSMessage?, Never>)
        case shutDown
    }

    /// A UDP query sent, or about to be, and not yet answered.
    private struct PendingExchange {
        var upstream: SocketAddress
        var question: DNSQuestion
        /// Nil between reserving the id and starting to wait.
        var continuation: CheckedContinuation<DNSMessage?, Never>?
        var timeout: Scheduled<Void>?

        init(upstream: SocketAddress, question: DNSQuestion) {
            self.upstream = upstream
            self.question = question
        }

        func isAnswered(by response: DNSMessage, from sender: SocketAddress) -> Bool {
            response.isResponse && sender == upstream && response.questions == [question]
        }
    }

    private enum TCPExchangeFailure: Error, CustomStringConvertible {
        case closedBeforeAnswer
        case mismatchedResponse

        var description: String {
            switch self {
            case .closedBeforeAnswer: "connection closed before a whole answer arrived"
            case .mismatchedResponse: "response does not match the query's id and question"
            }
        }
    }
}

/// Hands each datagram that parses as a DNS message to the forwarder, which takes it only if it answers a pending
/// query.
private final class UpstreamResponseHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let forwarder: UpstreamForwarder

    init(forwarder: UpstreamForwarder) {
        self.forwarder = forwarder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let datagram = unwrapInboundIn(data)
        do {
            forwarder.receive(try DNSMessage(parsing: Array(datagram.data.readableBytesView)), from: datagram.remoteAddress)
        } catch {
            forwarder.logger.debug(
                "ignored a malformed upstream response", metadata: ["sender": "\(datagram.remoteAddress)", "error": "\(error)"])
        }
    }

    /// A UDP socket's errors concern single datagrams; the socket stays open for the other exchanges.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        forwarder.logger.debug("upstream UDP socket error", metadata: ["error": "\(error)"])
    }
}
