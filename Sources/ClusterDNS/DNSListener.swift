import DNSWire
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Answers DNS over UDP and TCP (RFC 1035 4.2, RFC 7766) on one address: cluster names straight from the resolver on
/// the event loop, other names through the upstream forwarder. A query that cannot be parsed gets FORMERR when its
/// header could be read and is dropped otherwise.
struct DNSListener: Sendable {
    /// The largest UDP response sent whatever the client advertises: larger ones fragment (RFC 9715's 1232).
    static let maximumUDPPayload = Int(EDNS.recommendedUDPPayloadSize)

    let resolver: ClusterResolver
    let forwarder: UpstreamForwarder
    let metrics: DNSMetrics

    /// A response sent as soon as the query is read.
    struct ImmediateAnswer {
        let bytes: [UInt8]
        let type: DNSRecordType?
        let rcode: DNSResponseCode
        /// Whether the cluster's records alone made it, so that it holds as long as they do (see `AnswerCache`).
        let isFromClusterRecords: Bool
    }

    /// The response to `bytes` received over `transport`: returned at once for a cluster name, given to `later`
    /// once the upstreams answer for any other; nil (and `later` never called) for a message that is no query, or
    /// when the answer comes later.
    func handle(_ bytes: [UInt8], transport: DNSMetrics.Transport, later: @escaping @Sendable ([UInt8]) -> Void) -> ImmediateAnswer? {
        let started = ContinuousClock.now
        let query: DNSMessage
        do {
            query = try DNSMessage(parsing: bytes)
        } catch {
            guard let header = error.header, !header.isResponse else { return nil }
            var refusal = DNSMessage(respondingTo: header)
            refusal.rcode = .formatError
            refusal.questions = []
            return immediate(refusal, for: header, transport: transport, started: started, isFromClusterRecords: false)
        }
        guard !query.isResponse else { return nil }
        switch resolver.resolve(query) {
        case .answer(let response):
            return immediate(response, for: query, transport: transport, started: started, isFromClusterRecords: true)
        case .forward:
            if let cached = forwarder.cachedAnswer(to: query) {
                return immediate(cached, for: query, transport: transport, started: started, isFromClusterRecords: false)
            }
            Task { later(finish(await forwarder.forward(query), for: query, transport: transport, started: started)) }
        case .chase(let partial, let question):
            Task {
                var upstreamQuery = query
                upstreamQuery.questions = [question]
                let upstream = await forwarder.forward(upstreamQuery)
                var response = partial
                response.answers += upstream.answers
                response.rcode = upstream.rcode
                if upstream.answers.isEmpty { response.authorities = upstream.authorities }
                later(finish(response, for: query, transport: transport, started: started))
            }
        }
        return nil
    }

    private func immediate(
        _ response: DNSMessage, for query: DNSMessage, transport: DNSMetrics.Transport, started: ContinuousClock.Instant, isFromClusterRecords: Bool
    ) -> ImmediateAnswer {
        ImmediateAnswer(
            bytes: finish(response, for: query, transport: transport, started: started), type: query.questions.first?.type,
            rcode: response.rcode, isFromClusterRecords: isFromClusterRecords)
    }

    private func finish(_ response: DNSMessage, for query: DNSMessage, transport: DNSMetrics.Transport, started: ContinuousClock.Instant) -> [UInt8] {
        let limit = transport == .udp ? min(query.maximumUDPResponseSize, Self.maximumUDPPayload) : 65535
        let bytes = response.serialized(maximumSize: limit)
        metrics.record(type: query.questions.first?.type, rcode: response.rcode, transport: transport, duration: ContinuousClock.now - started)
        return bytes
    }

    /// Binds UDP and TCP on `host`:`port`; the channels answer until closed. UDP gets a socket on each of half the
    /// event loops, all on the same port (SO_REUSEPORT: the kernel spreads clients over them), each reading
    /// datagrams in batches.
    func bind(host: String, port: Int, group: any EventLoopGroup) async throws -> [any Channel] {
        var channels: [any Channel] = []
        // Half the loops: the clients are this node's own pods, and a socket per core leaves the loops fighting
        // them for the CPU (on two cores one socket answered 10 % more queries than two did).
        let allLoops = Array(group.makeIterator())
        let loops = allLoops.prefix(max(1, allLoops.count / 2))
        for loop in loops {
            let udp = try await DatagramBootstrap(group: loop)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.socketOption(.init(rawValue: SO_REUSEPORT)), value: 1)
                .channelOption(.datagramVectorReadMessageCount, value: 32)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 * 2048))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(DatagramHandler(listener: self)) }
                }
                .bind(host: host, port: port).get()
            channels.append(udp)
        }
        let tcp = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LengthPrefixedFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(StreamHandler(listener: self))
                }
            }
            .bind(host: host, port: port).get()
        return channels + [tcp]
    }
}

/// One query per datagram, answered to its sender. Answers found at once are written as the datagrams of a read
/// batch come in and flushed together at its end (one sendmmsg for the batch). A query asked before, while the
/// cluster's records have not changed, is answered from the loop's `AnswerCache` without being parsed.
private final class DatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let listener: DNSListener
    private var unflushed = false
    private var answers = AnswerCache()

    init(listener: DNSListener) { self.listener = listener }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        let channel = context.channel
        let sender = envelope.remoteAddress
        let started = ContinuousClock.now
        let generation = listener.resolver.records.generation
        let response: ByteBuffer
        if let (cached, entry) = answers.response(to: envelope.data, generation: generation) {
            listener.metrics.record(type: entry.type, rcode: entry.rcode, transport: .udp, duration: ContinuousClock.now - started)
            response = cached
        } else {
            let answer = listener.handle(Array(envelope.data.readableBytesView), transport: .udp) { bytes in
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: sender, data: ByteBuffer(bytes: bytes)), promise: nil)
            }
            guard let answer else { return }
            response = ByteBuffer(bytes: answer.bytes)
            if answer.isFromClusterRecords {
                answers.store(response, type: answer.type, rcode: answer.rcode, for: envelope.data, generation: generation)
            }
        }
        context.write(Self.wrapOutboundOut(AddressedEnvelope(remoteAddress: sender, data: response)), promise: nil)
        unflushed = true
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }
}

/// Queries over a TCP connection, each framed by a two-byte length, answered in the same framing in whatever order
/// they complete (RFC 7766 6.2.1.1).
private final class StreamHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let listener: DNSListener

    init(listener: DNSListener) { self.listener = listener }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        let channel = context.channel
        if let answer = listener.handle(Array(frame.readableBytesView), transport: .tcp, later: { channel.writeAndFlush(Self.framed($0), promise: nil) }) {
            context.writeAndFlush(Self.wrapOutboundOut(Self.framed(answer.bytes)), promise: nil)
        }
    }

    private static func framed(_ bytes: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(bytes.count + 2)
        buffer.writeInteger(UInt16(bytes.count))
        buffer.writeBytes(bytes)
        return buffer
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Splits a TCP stream into DNS messages by their two-byte length prefix.
private struct LengthPrefixedFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self), buffer.readableBytes >= 2 + Int(length) else {
            return .needMoreData
        }
        buffer.moveReaderIndex(forwardBy: 2)
        guard let frame = buffer.readSlice(length: Int(length)) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }
}
