import ControllerRuntime
import Logging
import NIOCore
import NIOHTTP1

/// The HTTP/1.1 request decoder of a client connection, kept so that an upgrade can take it out of the pipeline.
/// Responses to HTTP/1.1 clients are written as bytes by the proxy itself, mostly the backend's own.
struct ServerCodecs {
    let decoder: ByteToMessageHandler<HTTPRequestDecoder>
}

/// Serves one client connection's requests, one at a time: each is routed by the current `IngressSnapshot`, sent to
/// a ready endpoint of its Service over a pooled keep-alive connection, and its response passed back as it comes,
/// bodies streamed both ways. An HTTP/1.1 client gets the backend's response bytes as they came, its head rewritten
/// only when a hop-by-hop header must go. A side that cannot take more stops the other's reads. An `Upgrade` request
/// answered `101` joins the two connections byte for byte.
final class IngressProxyHandler: ChannelDuplexHandler, RemovableChannelHandler, UpstreamResponseReceiver {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// What the client connected to: the scheme and port the forwarded headers report.
    struct Entry: Sendable {
        var scheme: String
        var port: Int
        /// Where HTTPS is served, for redirects; nil when it is not.
        var httpsPort: Int?
    }

    /// One request on its way through; a class, so that moving it between states costs one reference.
    private final class Exchange {
        let request: HTTPRequestHead
        /// The request line and headers as the backend gets them.
        let upstreamHead: ByteBuffer
        /// Whether the body goes to the backend in chunks (its length is unknown).
        let chunksBody: Bool
        let route: IngressRoute
        let host: String
        let endpoints: EndpointRotation
        var endpoint: SocketAddress
        var attempts = 1
        var requestEnded = false
        var responseStatus: HTTPResponseStatus?
        /// A request without a body can be sent again when the backend fails before answering.
        let replayable: Bool
        var bodyBytes = 0
        let isUpgrade: Bool
        /// Whether the client connection stays open after this exchange; not when the response's end can only be
        /// told by closing it.
        var keepAlive: Bool
        let started = NIODeadline.now()

        init(
            request: HTTPRequestHead, upstreamHead: ByteBuffer, chunksBody: Bool, route: IngressRoute, host: String, endpoints: EndpointRotation,
            endpoint: SocketAddress, replayable: Bool, isUpgrade: Bool, keepAlive: Bool
        ) {
            self.request = request
            self.upstreamHead = upstreamHead
            self.chunksBody = chunksBody
            self.route = route
            self.host = host
            self.endpoints = endpoints
            self.endpoint = endpoint
            self.replayable = replayable
            self.isUpgrade = isUpgrade
            self.keepAlive = keepAlive
        }
    }

    private enum State {
        case idle
        /// Waiting for a connection to the endpoint; the request's parts read meanwhile.
        case connecting(Exchange, buffered: [ByteBuffer])
        case proxying(Exchange, UpstreamConnection)
        /// Answered without a backend; the rest of the request's body is read and dropped.
        case discarding(keepAlive: Bool)
        case upgraded
        case closed
    }

    private let entry: Entry
    /// The client's address, read once from the TCP connection (an HTTP/2 stream channel has none of its own).
    private let client: String
    private let forwarding: UpstreamRequest.Forwarding
    private let snapshot: @Sendable () -> IngressSnapshot
    private let pool: UpstreamPool
    /// Nil for an HTTP/2 stream, where there is no `Upgrade` and responses are written as parts for the HTTP/2 codec.
    private let codecs: ServerCodecs?
    private let speaksHTTP2: Bool
    private let metrics: IngressMetrics
    private let logger: Logger
    private var state = State.idle
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    /// Parts of requests a client sent before the answer to its previous one ended (HTTP/1.1 pipelining), served in
    /// order once it has; reading stops while any wait.
    private var queued: [HTTPServerRequestPart] = []

    init(
        entry: Entry, client: SocketAddress?, snapshot: @escaping @Sendable () -> IngressSnapshot, pool: UpstreamPool, codecs: ServerCodecs?,
        metrics: IngressMetrics, logger: Logger
    ) {
        self.entry = entry
        self.client = client?.ipAddress ?? ""
        forwarding = UpstreamRequest.Forwarding(client: self.client, port: entry.port, scheme: entry.scheme)
        self.snapshot = snapshot
        self.pool = pool
        self.codecs = codecs
        speaksHTTP2 = codecs == nil
        self.metrics = metrics
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: client side

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = Self.unwrapInboundIn(data)
        if !queued.isEmpty || isAnsweringEndedRequest {
            queued.append(part)
            return
        }
        handle(part, context: context)
    }

    /// Whether the request being served has been read whole, so that anything read now belongs to the next one.
    private var isAnsweringEndedRequest: Bool {
        switch state {
        case .connecting(let exchange, _), .proxying(let exchange, _): exchange.requestEnded
        case .idle, .discarding, .upgraded, .closed: false
        }
    }

    /// Serves the requests queued behind the one that just ended, until one of them is in progress again.
    private func serveQueued(context: ChannelHandlerContext) {
        while !queued.isEmpty, case .idle = state {
            handle(queued.removeFirst(), context: context)
            while !queued.isEmpty, !isAnsweringEndedRequest, !isIdle { handle(queued.removeFirst(), context: context) }
        }
        resumeReading()
    }

    private var isIdle: Bool {
        if case .idle = state { return true }
        return false
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch (part, state) {
        case (.head(let head), .idle):
            start(head, context: context)
        case (.body(let buffer), .connecting(let exchange, var buffered)):
            guard accept(buffer.readableBytes, in: exchange, context: context), buffer.readableBytes > 0 else { return }
            buffered.append(exchange.chunksBody ? UpstreamRequest.chunk(buffer, allocator: context.channel.allocator) : buffer)
            state = .connecting(exchange, buffered: buffered)
        case (.body(let buffer), .proxying(let exchange, let connection)):
            guard accept(buffer.readableBytes, in: exchange, context: context), buffer.readableBytes > 0 else { return }
            connection.write(exchange.chunksBody ? UpstreamRequest.chunk(buffer, allocator: context.channel.allocator) : buffer, flush: false)
        case (.end, .connecting(let exchange, var buffered)):
            exchange.requestEnded = true
            if exchange.chunksBody { buffered.append(UpstreamRequest.lastChunk) }
            state = .connecting(exchange, buffered: buffered)
        case (.end, .proxying(let exchange, let connection)):
            exchange.requestEnded = true
            if exchange.chunksBody {
                connection.write(UpstreamRequest.lastChunk, flush: true)
            } else {
                connection.channel.flush()
            }
        case (.end, .discarding(let keepAlive)):
            state = .idle
            if keepAlive {
                serveQueued(context: context)
            } else {
                close(context)
            }
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .proxying(_, let connection) = state { connection.channel.flush() }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch state {
        case .connecting, .discarding, .idle, .upgraded, .closed:
            break
        case .proxying(_, let connection):
            connection.close()
        }
        state = .closed
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .proxying(_, let connection) = state {
            // A client that reads slowly holds the backend's response back rather than having it buffered here.
            connection.channel.setOption(.autoRead, value: context.channel.isWritable).whenFailure { _ in }
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if !queued.isEmpty {
            pendingRead = true
            return
        }
        switch state {
        case .connecting:
            pendingRead = true
        case .proxying(_, let connection) where !connection.channel.isWritable:
            pendingRead = true
        default:
            context.read()
        }
    }

    private func resumeReading() {
        guard pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }

    /// Counts body bytes against the route's `proxy-body-size`; past it the request is refused with 413 and the
    /// connection closed, since the rest of the body cannot be told from a next request.
    private func accept(_ bytes: Int, in exchange: Exchange, context: ChannelHandlerContext) -> Bool {
        exchange.bodyBytes += bytes
        guard let limit = exchange.route.options.bodySizeLimit, exchange.bodyBytes > limit else { return true }
        if case .proxying(_, let connection) = state { connection.close() }
        if exchange.responseStatus == nil {
            respond(.payloadTooLarge, "413 Request Entity Too Large\n", to: exchange.request, keepAlive: false, context: context)
        } else {
            context.close(promise: nil)
        }
        state = .closed
        return false
    }

    private func start(_ request: HTTPRequestHead, context: ChannelHandlerContext) {
        let snapshot = snapshot()
        let (host, path, query) = Self.target(of: request)
        if entry.scheme == "http", let httpsPort = entry.httpsPort, snapshot.routes.redirectsToHTTPS(host: host) {
            let port = httpsPort == 443 ? "" : ":\(httpsPort)"
            return answer(
                .permanentRedirect, "308 Permanent Redirect\n", to: request, context: context,
                headers: [("location", "https://\(host)\(port)\(request.uri.hasPrefix("/") ? request.uri : "/")")])
        }
        guard let (route, backendPath) = snapshot.routes.route(host: host, path: path) else {
            return answer(.notFound, "404 Not Found\n", to: request, context: context)
        }
        let rotation: EndpointRotation
        switch snapshot.endpoints(for: route.backend) {
        case .endpoints(let endpoints):
            rotation = endpoints
        case .missingService, .missingPort:
            return answer(.serviceUnavailable, "503 Service Unavailable: no such Service port\n", to: request, context: context, route: route)
        }
        guard let endpoint = rotation.pick() else {
            return answer(.serviceUnavailable, "503 Service Unavailable: no ready endpoint\n", to: request, context: context, route: route)
        }
        if let limit = route.options.bodySizeLimit, let length = request.headers.first(name: "content-length").flatMap(Int.init), length > limit {
            return answer(.payloadTooLarge, "413 Request Entity Too Large\n", to: request, context: context, route: route, keepAlive: false)
        }
        let isUpgrade = !speaksHTTP2 && request.headers.contains(name: "upgrade")
            && request.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
        let length = request.headers.first(name: "content-length")
        // A body of unknown length goes in chunks: HTTP/1.1 clients said so; over HTTP/2 a body may follow
        // unannounced, for methods that carry one.
        let chunksBody = length == nil
            && (request.headers.contains(name: "transfer-encoding") || (speaksHTTP2 && !Self.bodilessMethods.contains(request.method.rawValue)))
        let upstreamHead = UpstreamRequest.head(
            method: request.method, path: backendPath, query: query, headers: request.headers, host: host,
            forwarding: forwarding,
            upgrade: isUpgrade ? request.headers.first(name: "upgrade") : nil, chunked: chunksBody, allocator: context.channel.allocator)
        let exchange = Exchange(
            request: request, upstreamHead: upstreamHead, chunksBody: chunksBody, route: route, host: host, endpoints: rotation, endpoint: endpoint,
            replayable: !chunksBody && (length == nil || length == "0"), isUpgrade: isUpgrade, keepAlive: Self.keepsAlive(request))
        connect(exchange, pooled: !isUpgrade)
    }

    static let bodilessMethods: Set<String> = ["GET", "HEAD", "DELETE", "OPTIONS", "TRACE"]

    /// Whether the client connection stays open after this request: always for an HTTP/2 stream's connection.
    static func keepsAlive(_ request: HTTPRequestHead) -> Bool {
        request.version.major >= 2 || request.isKeepAlive
    }

    /// The request's host (lowercased, without a port), path and query, from an absolute URI or the Host header.
    static func target(of request: HTTPRequestHead) -> (host: String, path: Substring, query: Substring?) {
        var uri = request.uri[...]
        var authority = request.headers.first(name: "host").map { $0[...] } ?? ""
        if uri.first != "/", let schemeLength = ["http://", "https://"].first(where: { uri.hasPrefix($0) })?.count {
            let rest = uri.dropFirst(schemeLength)
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            authority = rest[..<slash]
            uri = rest[slash...]
        }
        let host: Substring
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[...close]
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
        } else {
            host = authority
        }
        let queryStart = uri.firstIndex(of: "?")
        let path = uri[..<(queryStart ?? uri.endIndex)]
        let query = queryStart.map { uri[uri.index(after: $0)...] }
        // Hosts are nearly always written in lowercase already; lowercasing allocates.
        let lowered = host.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } ? host.lowercased() : String(host)
        return (lowered, path.isEmpty ? "/" : path, query)
    }

    // MARK: upstream side

    /// Sends the request over a kept-alive connection to its endpoint when one is idle (no future, no wait), else
    /// over a new one once connected.
    private func connect(_ exchange: Exchange, pooled: Bool) {
        let tls = exchange.route.options.backendProtocol == .https
        if pooled, !tls, let connection = pool.takeIdle(exchange.endpoint) {
            return attach(connection, to: exchange, buffered: [])
        }
        if case .connecting = state {} else { state = .connecting(exchange, buffered: []) }
        pool.connect(exchange.endpoint, tls: tls).whenComplete { result in
            guard case .connecting(let exchange, let buffered) = self.state else {
                if case .success(let connection) = result { self.pool.release(connection) }
                return
            }
            switch result {
            case .success(let connection):
                self.attach(connection, to: exchange, buffered: buffered)
                connection.channel.flush()
                self.resumeReading()
            case .failure(let error):
                // A refused or timed-out connection is tried once more, on another endpoint when there is one.
                if exchange.attempts < 2 {
                    exchange.attempts += 1
                    exchange.endpoint = exchange.endpoints.pick(excluding: exchange.endpoint) ?? exchange.endpoint
                    self.connect(exchange, pooled: false)
                    return
                }
                self.logger.debug("ingress backend unreachable", metadata: ["endpoint": "\(exchange.endpoint)", "error": "\(error)"])
                self.fail(exchange)
            }
        }
    }

    /// Makes `connection` carry the exchange: the request's head, then the parts read while it was being connected.
    /// The flush comes with the request's end or the end of the read.
    private func attach(_ connection: UpstreamConnection, to exchange: Exchange, buffered: [ByteBuffer]) {
        connection.receiver = self
        state = .proxying(exchange, connection)
        // HTTP/1.0 and HTTP/2 clients get a chunked body's data without the chunks' framing.
        connection.expectResponse(to: exchange.request.method, decodesChunks: speaksHTTP2 || exchange.request.version.minor == 0)
        connection.write(exchange.upstreamHead, flush: false)
        for bytes in buffered { connection.write(bytes, flush: false) }
    }

    /// Answers 502 when no backend could take the request, or drops the client when its response had begun.
    private func fail(_ exchange: Exchange) {
        guard let context else { return }
        if exchange.responseStatus != nil {
            close(context)
            return
        }
        respond(.badGateway, "502 Bad Gateway\n", to: exchange.request, keepAlive: exchange.keepAlive, context: context)
        record(exchange.route, request: exchange.request, host: exchange.host, status: .badGateway, started: exchange.started, endpoint: exchange.endpoint)
        guard exchange.requestEnded else {
            state = .discarding(keepAlive: exchange.keepAlive)
            return resumeReading()
        }
        state = .idle
        if exchange.keepAlive {
            serveQueued(context: context)
        } else {
            close(context)
        }
    }

    func upstreamRead(_ event: ResponseFraming.Event) {
        guard let context, case .proxying(let exchange, let connection) = state else { return }
        switch event {
        case .head(let head):
            if head.status.code < 200, head.status != .switchingProtocols {
                // 100 Continue and the like: passed to HTTP/1.1 clients, which may wait for it before their body.
                if !speaksHTTP2, exchange.request.version.minor >= 1 { context.write(NIOAny(head.bytes), promise: nil) }
                return
            }
            exchange.responseStatus = head.status
            if !head.keepAlive { connection.reusable = false }
            // A body whose end only the connection's end tells: the client learns it the same way.
            if head.endsAtClose || (head.isChunked && exchange.request.version.minor == 0 && !speaksHTTP2) { exchange.keepAlive = false }
            writeHead(head, for: exchange, context: context)
        case .body(let buffer):
            if speaksHTTP2 {
                context.write(Self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            } else {
                context.write(NIOAny(buffer), promise: nil)
            }
        case .switched(let following):
            guard exchange.isUpgrade else {
                logger.debug("ingress backend switched protocols unasked", metadata: ["endpoint": "\(exchange.endpoint)"])
                connection.close()
                return close(context)
            }
            // What the backend sent right after its 101 is the new protocol's, for the client.
            if following.readableBytes > 0 { context.write(NIOAny(following), promise: nil) }
            context.flush()
            upgrade(exchange, connection: connection, context: context)
        case .end:
            if speaksHTTP2 {
                context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                context.flush()
            }
            record(exchange.route, request: exchange.request, host: exchange.host, status: exchange.responseStatus ?? .ok, started: exchange.started, endpoint: exchange.endpoint)
            connection.receiver = nil
            if exchange.requestEnded {
                pool.release(connection)
                state = .idle
                if exchange.keepAlive {
                    serveQueued(context: context)
                    return
                }
                close(context)
            } else {
                // The backend answered before the body ended: that connection is out of step, the client's is not.
                connection.close()
                state = .discarding(keepAlive: exchange.keepAlive)
            }
            resumeReading()
        }
    }

    /// Passes a response head on: as the backend sent it to an HTTP/1.1 client when nothing in it is for this hop
    /// only, rewritten without those headers otherwise, parsed for HTTP/2.
    private func writeHead(_ head: ResponseFraming.Head, for exchange: Exchange, context: ChannelHandlerContext) {
        if speaksHTTP2 {
            let response = HTTPResponseHead(version: exchange.request.version, status: head.status, headers: head.endToEndHeaders)
            context.write(Self.wrapOutboundOut(.head(response)), promise: nil)
            return
        }
        let isSwitch = head.status == .switchingProtocols && exchange.isUpgrade
        let asSent = isSwitch || (!head.hasHopByHopHeaders && exchange.keepAlive && exchange.request.version.minor == 1 && head.version.minor == 1)
        if asSent { return context.write(NIOAny(head.bytes), promise: nil) }
        let decodesChunks = exchange.request.version.minor == 0
        var buffer = context.channel.allocator.buffer(capacity: head.bytes.readableBytes + 32)
        buffer.writeStaticString(exchange.request.version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        buffer.writeString(String(head.status.code))
        buffer.writeStaticString(" ")
        buffer.writeImmutableBuffer(head.reasonPhrase)
        buffer.writeStaticString("\r\n")
        head.forEachHeaderLine { line in
            if let (name, _) = ResponseFraming.split(line), ResponseFraming.isHopByHop(name) {
                // The chunks go on as they came, so their Transfer-Encoding with them.
                guard !decodesChunks, head.isChunked, ResponseFraming.equalsIgnoringCase(name, "transfer-encoding") else { return }
            }
            buffer.writeBytes(line)
            buffer.writeStaticString("\r\n")
        }
        if !exchange.keepAlive {
            buffer.writeStaticString("connection: close\r\n")
        } else if exchange.request.version.minor == 0 {
            buffer.writeStaticString("connection: keep-alive\r\n")
        }
        buffer.writeStaticString("\r\n")
        context.write(NIOAny(buffer), promise: nil)
    }

    func upstreamReadComplete() {
        context?.flush()
    }

    func upstreamClosed(_ error: (any Error)?) {
        guard case .proxying(let exchange, let connection) = state else { return }
        connection.close()
        if exchange.responseStatus == nil, exchange.replayable, exchange.attempts < 2 {
            // A kept-alive connection the backend closed as the request went out, or an endpoint that went away:
            // a request without a body is sent once more, on a new connection.
            exchange.attempts += 1
            exchange.endpoint = exchange.endpoints.pick(excluding: exchange.endpoint) ?? exchange.endpoint
            state = .connecting(exchange, buffered: [])
            connect(exchange, pooled: false)
            return
        }
        logger.debug("ingress backend closed the connection", metadata: ["endpoint": "\(exchange.endpoint)", "error": "\(error.map { "\($0)" } ?? "none")"])
        fail(exchange)
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable { resumeReading() }
    }

    private func close(_ context: ChannelHandlerContext) {
        state = .closed
        context.close(promise: nil)
    }

    /// Joins the client and backend connections once the backend agreed to switch protocols.
    private func upgrade(_ exchange: Exchange, connection: UpstreamConnection, context: ChannelHandlerContext) {
        record(exchange.route, request: exchange.request, host: exchange.host, status: .switchingProtocols, started: exchange.started, endpoint: exchange.endpoint)
        state = .upgraded
        connection.receiver = nil
        let (clientRelay, upstreamRelay) = RelayHandler.pair()
        guard let codecs else { return }
        do {
            let pipeline = context.pipeline.syncOperations
            try pipeline.addHandler(clientRelay, position: .after(self))
            try connection.switchToRelay(upstreamRelay)
            let channel = context.channel
            pipeline.removeHandler(context: context, promise: nil)
            pipeline.removeHandler(codecs.decoder, promise: nil)
            // Reads were held while the request was answered; both sides are asked to read again.
            channel.read()
            connection.channel.read()
        } catch {
            logger.debug("ingress upgrade failed", metadata: ["error": "\(error)"])
            connection.close()
            context.close(promise: nil)
        }
    }

    // MARK: answers of its own

    private func answer(
        _ status: HTTPResponseStatus, _ body: String, to request: HTTPRequestHead, context: ChannelHandlerContext, route: IngressRoute? = nil,
        keepAlive: Bool = true, headers extra: [(String, String)] = []
    ) {
        let keepAlive = keepAlive && Self.keepsAlive(request)
        state = .discarding(keepAlive: keepAlive)
        respond(status, body, to: request, keepAlive: keepAlive, context: context, headers: extra)
        let (host, _, _) = Self.target(of: request)
        record(route, request: request, host: host, status: status, started: .now(), endpoint: nil)
    }

    private func respond(
        _ status: HTTPResponseStatus, _ body: String, to request: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext,
        headers extra: [(String, String)] = []
    ) {
        var headers = HTTPHeaders([("content-type", "text/plain; charset=utf-8"), ("content-length", String(body.utf8.count))])
        headers.add(contentsOf: extra)
        if !keepAlive {
            headers.add(name: "connection", value: "close")
        } else if request.version.major == 1, request.version.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        let withBody = request.method != .HEAD
        if speaksHTTP2 {
            context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
            if withBody { context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil) }
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 256)
        buffer.writeString("HTTP/1.\(request.version.minor == 0 ? 0 : 1) \(status.code) \(status.reasonPhrase)\r\n")
        for (name, value) in headers { buffer.writeString("\(name): \(value)\r\n") }
        buffer.writeStaticString("\r\n")
        if withBody { buffer.writeString(body) }
        context.writeAndFlush(NIOAny(buffer), promise: nil)
    }

    /// A request the decoder could not read: answered 400 when no response is under way, and the connection closed,
    /// since where the next request would begin is unknown.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !speaksHTTP2, case .idle = state, error is HTTPParserError {
            context.writeAndFlush(NIOAny(ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")), promise: nil)
        }
        if case .proxying(_, let connection) = state { connection.close() }
        close(context)
    }

    private func record(_ route: IngressRoute?, request: HTTPRequestHead, host: String, status: HTTPResponseStatus, started: NIODeadline, endpoint: SocketAddress?) {
        let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        (route?.statistics ?? metrics.unrouted).record(status: Int(status.code), seconds: seconds)
        if logger.logLevel <= .debug {
            logger.debug(
                "ingress request",
                metadata: [
                    "client": "\(client)", "method": "\(request.method.rawValue)", "host": "\(host)",
                    "uri": "\(request.uri)", "status": "\(status.code)", "ingress": "\(route?.ingress.description ?? "")",
                    "upstream": "\(endpoint.map { "\($0.ipAddress ?? ""):\($0.port ?? 0)" } ?? "")", "seconds": "\(seconds)",
                ])
        }
    }
}
