import Logging
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOTLS

/// The listening side of the ingress: plain HTTP and HTTPS sockets whose connections each get the HTTP/1.1 codecs
/// and an `IngressProxyHandler`. HTTPS chooses its certificate by SNI from the Ingresses' TLS Secrets and speaks
/// HTTP/2 to clients that offer it (ALPN `h2`), each stream then served as an HTTP/1.1 exchange of its own.
struct IngressServer: Sendable {
    let snapshot: @Sendable () -> IngressSnapshot
    let metrics: IngressMetrics
    let logger: Logger
    /// The certificate served to names no Ingress has a Secret for.
    let defaultCredential: TLSCredential

    /// Binds `host`:`httpPort` and `host`:`httpsPort` (nil: that one is not served) on every loop of `group`.
    func bind(host: String, httpPort: Int?, httpsPort: Int?, group: any EventLoopGroup) async throws -> [any Channel] {
        let pools = try await Self.upstreamPools(group)
        var channels: [any Channel] = []
        if let httpPort {
            let entry = IngressProxyHandler.Entry(scheme: "http", port: httpPort, httpsPort: httpsPort)
            channels.append(try await listen(host: host, port: httpPort, group: group, pools: pools, entry: entry, tls: nil))
        }
        if let httpsPort {
            let entry = IngressProxyHandler.Entry(scheme: "https", port: httpsPort, httpsPort: httpsPort)
            channels.append(try await listen(host: host, port: httpsPort, group: group, pools: pools, entry: entry, tls: try tlsContext()))
        }
        return channels
    }

    /// The HTTP/1.1 request decoder and the proxy handler, which writes responses as bytes itself.
    private static func addHTTP1(to pipeline: ChannelPipeline.SynchronousOperations, proxy: (ServerCodecs?) -> IngressProxyHandler) throws {
        let codecs = ServerCodecs(decoder: ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)))
        // No HTTPServerPipelineHandler: the proxy queues pipelined requests itself, so that a connection keeps reading
        // between requests instead of having its read interest dropped and restored (two epoll_ctl calls) each time.
        try pipeline.addHandler(codecs.decoder)
        try pipeline.addHandler(proxy(codecs))
    }

    /// An upstream pool per event loop, each made on its loop.
    private static func upstreamPools(_ group: any EventLoopGroup) async throws -> [ObjectIdentifier: NIOLoopBound<UpstreamPool>] {
        var pools: [ObjectIdentifier: NIOLoopBound<UpstreamPool>] = [:]
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = try await loop.submit { NIOLoopBound(UpstreamPool(eventLoop: loop), eventLoop: loop) }.get()
        }
        return pools
    }

    /// The server TLS context: the default certificate, replaced per handshake by the one of the Secret the Ingresses
    /// name for the client's server name.
    private func tlsContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: defaultCredential.chain.map { .certificate($0) }, privateKey: .privateKey(defaultCredential.key))
        configuration.applicationProtocols = ["h2", "http/1.1"]
        let snapshot = self.snapshot
        configuration.sslContextCallback = { values, promise in
            let current = snapshot()
            guard let name = values.serverHostname, let secret = current.routes.tlsSecret(for: name), let credential = current.credentials[secret] else {
                return promise.succeed(.noChanges)
            }
            promise.succeed(credential.override)
        }
        return try NIOSSLContext(configuration: configuration)
    }

    private func listen(
        host: String, port: Int, group: any EventLoopGroup, pools: [ObjectIdentifier: NIOLoopBound<UpstreamPool>], entry: IngressProxyHandler.Entry,
        tls: NIOSSLContext?
    ) async throws -> any Channel {
        let snapshot = self.snapshot
        let metrics = self.metrics
        let logger = self.logger
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let pool = pools[ObjectIdentifier(channel.eventLoop)] else { throw ChannelError.ioOnClosedChannel }
                    let pipeline = channel.pipeline.syncOperations
                    let client = channel.remoteAddress
                    // Called on the connection's loop, for the connection or for each of its HTTP/2 streams.
                    let proxy: @Sendable (ServerCodecs?) -> IngressProxyHandler = { codecs in
                        IngressProxyHandler(
                            entry: entry, client: client, snapshot: snapshot, pool: pool.value, codecs: codecs, metrics: metrics, logger: logger)
                    }
                    guard let tls else { return try Self.addHTTP1(to: pipeline, proxy: proxy) }
                    try pipeline.addHandler(NIOSSLServerHandler(context: tls))
                    try pipeline.addHandler(
                        ApplicationProtocolNegotiationHandler { result, channel in
                            channel.eventLoop.makeCompletedFuture {
                                let pipeline = channel.pipeline.syncOperations
                                guard case .negotiated("h2") = result else { return try Self.addHTTP1(to: pipeline, proxy: proxy) }
                                _ = try pipeline.configureHTTP2Pipeline(
                                    mode: .server, connectionConfiguration: .init(), streamConfiguration: .init()
                                ) { stream in
                                    stream.eventLoop.makeCompletedFuture {
                                        try stream.pipeline.syncOperations.addHandlers([HTTP2FramePayloadToHTTP1ServerCodec(), proxy(nil)])
                                    }
                                }
                            }
                        })
                }
            }
            .bind(host: host, port: port).get()
    }
}
