import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// What an upstream connection hands its response to: the client connection's proxy handler, on the same loop.
protocol UpstreamResponseReceiver: AnyObject {
    func upstreamRead(_ event: ResponseFraming.Event)
    /// The end of a read batch: the time to flush what was passed on.
    func upstreamReadComplete()
    /// The connection closed or failed before the response ended.
    func upstreamClosed(_ error: (any Error)?)
    func upstreamWritabilityChanged(isWritable: Bool)
}

/// Keep-alive connections to backend endpoints, one pool per event loop and used only on it: a request's upstream
/// connection lives on the loop of the client connection it serves, so neither side hops threads.
final class UpstreamPool {
    /// Idle connections kept per endpoint; more are closed when released.
    static let maximumIdlePerEndpoint = 64
    /// ingress-nginx's `proxy-connect-timeout`.
    static let connectTimeout = TimeAmount.seconds(5)

    let eventLoop: any EventLoop
    private var idle: [SocketAddress: [UpstreamConnection]] = [:]
    private let tlsContext: NIOSSLContext?

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        // Backends that speak HTTPS (`backend-protocol: HTTPS`) are reached without verifying their certificates,
        // as ingress-nginx does unless told otherwise: they are the cluster's own pods, addressed by IP.
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        tlsContext = try? NIOSSLContext(configuration: configuration)
    }

    /// An idle connection to `address` still open, taken out of the pool.
    func takeIdle(_ address: SocketAddress) -> UpstreamConnection? {
        // Popped in place: a copy of the list would be copied again on write, an allocation per request.
        while let connection = idle[address]?.popLast() {
            connection.idleIn = nil
            if connection.channel.isActive { return connection }
        }
        return nil
    }

    /// A new connection to `address`, over TLS for backends that speak HTTPS.
    func connect(_ address: SocketAddress, tls: Bool) -> EventLoopFuture<UpstreamConnection>.Isolated {
        let tlsContext = tls ? self.tlsContext : nil
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(Self.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tlsContext, serverHostname: nil)) }
                }
            }
            .connect(to: address)
            .assumeIsolated()
            .flatMapThrowing { channel in try UpstreamConnection(channel: channel, address: address, reusable: !tls) }
    }

    /// Returns a connection whose last response ended cleanly, to be reused by a later request.
    func release(_ connection: UpstreamConnection) {
        guard connection.reusable, connection.channel.isActive, idle[connection.address, default: []].count < Self.maximumIdlePerEndpoint else {
            connection.close()
            return
        }
        connection.receiver = nil
        connection.idleIn = self
        idle[connection.address, default: []].append(connection)
    }

    /// Drops a connection the backend closed while it sat in the pool.
    func forget(_ connection: UpstreamConnection) {
        idle[connection.address]?.removeAll { $0 === connection }
        if idle[connection.address]?.isEmpty == true { idle[connection.address] = nil }
    }
}

/// One connection to a backend endpoint. Requests go out as bytes the proxy wrote; responses are framed by
/// `ResponseFraming` and go to whichever request holds the connection.
final class UpstreamConnection {
    let channel: any Channel
    let address: SocketAddress
    /// Whether it may go back to the pool (plain HTTP; not after an upgrade or a `Connection: close`).
    var reusable: Bool
    /// Strong rather than weak (a weak reference slows every retain of the handler down): cleared whenever an
    /// exchange ends, the connection goes back to the pool or closes, which breaks the cycle with the handler.
    var receiver: (any UpstreamResponseReceiver)?
    /// The pool it sits in while idle, to leave when the backend closes it: a strong reference, dropped when the
    /// connection is taken again or closes (the pool may go before its connections do, when the listener closes at
    /// shutdown).
    var idleIn: UpstreamPool?
    private(set) var handler: UpstreamHandler?

    init(channel: any Channel, address: SocketAddress, reusable: Bool) throws {
        self.channel = channel
        self.address = address
        self.reusable = reusable
        let handler = UpstreamHandler()
        try channel.pipeline.syncOperations.addHandler(handler)
        self.handler = handler
        handler.connection = self
    }

    func write(_ bytes: ByteBuffer, flush: Bool) {
        if flush {
            channel.writeAndFlush(bytes, promise: nil)
        } else {
            channel.write(bytes, promise: nil)
        }
    }

    /// Readies the framing for the response to the request about to be written.
    func expectResponse(to method: HTTPMethod, decodesChunks: Bool) {
        handler?.framing.expectResponse(to: method, decodesChunks: decodesChunks)
    }

    func close() {
        reusable = false
        receiver = nil
        channel.close(promise: nil)
    }

    /// Takes the response framing out after a `101 Switching Protocols`, leaving bytes to flow through `relay`.
    func switchToRelay(_ relay: RelayHandler) throws {
        reusable = false
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(relay)
        if let handler {
            pipeline.removeHandler(handler, promise: nil)
            self.handler = nil
        }
    }
}

/// Frames an upstream connection's responses and passes them, and its closing, to the request holding it.
final class UpstreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    /// Set by the connection, cleared when the handler leaves the pipeline (the channel closed or the connection
    /// was upgraded), which ends the reference cycle between them.
    var connection: UpstreamConnection?
    var framing = ResponseFraming()

    func handlerRemoved(context: ChannelHandlerContext) {
        connection = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = Self.unwrapInboundIn(data)
        do {
            // The receiver may end its exchange, and the connection go to another, at any event.
            while let connection {
                guard let receiver = connection.receiver else {
                    // Bytes from a backend no request is waiting on: it is out of step and is not used again.
                    if input.readableBytes > 0 { connection.close() }
                    return
                }
                guard let event = try framing.next(&input) else { return }
                if case .end = event, input.readableBytes > 0 { connection.reusable = false }
                receiver.upstreamRead(event)
            }
        } catch {
            errorCaught(context: context, error: error)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection?.receiver?.upstreamReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        guard let connection else { return }
        if let receiver = connection.receiver {
            if framing.endsAtClose {
                // A body without a length ends with the connection.
                connection.reusable = false
                receiver.upstreamRead(.end)
            } else {
                connection.receiver = nil
                receiver.upstreamClosed(nil)
            }
        } else {
            connection.idleIn?.forget(connection)
        }
        connection.idleIn = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection?.receiver?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let connection, let receiver = connection.receiver {
            connection.receiver = nil
            receiver.upstreamClosed(error)
        }
        context.close(promise: nil)
    }
}
