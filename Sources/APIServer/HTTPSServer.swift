import APIMachinery
import ContainerStreams
import Foundation
import HTTPSEndpoint
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle

/// Where and how the API is served.
public struct HTTPSServerConfiguration: Sendable {
    public var bindAddress: String
    public var port: Int
    public var certificateChainPEM: String
    public var privateKeyPEM: String
    /// Client certificates must be signed by this CA. `/cacerts` answers it, unauthenticated, as k3s does.
    public var clientCAPEM: String
    /// Who may call the API: a client certificate or a bearer token is required for everything but `/cacerts`.
    public var authenticator: RequestAuthenticator

    public init(
        bindAddress: String, port: Int, certificateChainPEM: String, privateKeyPEM: String, clientCAPEM: String,
        authenticator: RequestAuthenticator
    ) {
        self.bindAddress = bindAddress
        self.port = port
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
        self.clientCAPEM = clientCAPEM
        self.authenticator = authenticator
    }
}

extension HTTPSServerConfiguration: CustomStringConvertible {
    /// Never prints the key material: service groups log a failed service by its description.
    public var description: String { "HTTPSServerConfiguration(\(bindAddress):\(port))" }
}

extension HTTPSServer: CustomStringConvertible {
    public var description: String { "HTTPSServer(\(configuration.bindAddress):\(configuration.port))" }
}

/// The HTTPS edge: turns HTTP requests into `APIRequest`s for `KubernetesAPI` and writes its answers.
public struct HTTPSServer: Service {
    let api: KubernetesAPI
    let configuration: HTTPSServerConfiguration
    let logger: Logger
    let onRunning: @Sendable (Int) async -> Void

    public init(api: KubernetesAPI, configuration: HTTPSServerConfiguration, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void) {
        self.api = api
        self.configuration = configuration
        self.logger = logger
        self.onRunning = onRunning
    }

    public func run() async throws {
        let api = self.api
        let logger = self.logger
        let edge = Edge(authenticator: configuration.authenticator, caBundle: Array(configuration.clientCAPEM.utf8))
        let endpoint = HTTPSEndpoint(
            bindAddress: configuration.bindAddress, port: configuration.port, certificateChainPEM: configuration.certificateChainPEM,
            privateKeyPEM: configuration.privateKeyPEM, clientCAPEM: configuration.clientCAPEM,
            // Agents come with a bearer token and `/cacerts` with nothing: the request handler decides.
            clientCertificates: .verifiedIfGiven, maximumWebSocketFrame: ContainerStreamRelay.maximumMessageBytes)
        try await endpoint.run(
            responder: CallbackResponder<ConnectionRequestContext> { request, context in
                await Self.respond(to: request, connection: context.channel, edge: edge, api: api)
            },
            upgrade: { head, channel, _ in await Self.upgradeContainerStream(head, connection: channel, edge: edge, api: api, logger: logger) },
            onRunning: onRunning, logger: logger)
    }

    /// What the request handler needs besides the API: authentication and the CA bundle `/cacerts` answers.
    struct Edge: Sendable {
        let authenticator: RequestAuthenticator
        let caBundle: [UInt8]
    }

    static func respond(to request: Request, connection: any Channel, edge: Edge, api: KubernetesAPI) async -> Response {
        if request.uri.path == "/cacerts" && (request.method == .get || request.method == .head) {
            // Unauthenticated on purpose: an agent fetches the CA before it trusts the server, then checks it
            // against the hash in its join token.
            return Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-cache, private"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: edge.caBundle)))
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: KubernetesAPI.maximumBodyBytes + 1)
        } catch {
            return encode(.error(.requestEntityTooLarge(limit: KubernetesAPI.maximumBodyBytes)))
        }
        guard
            let apiRequest = await authenticatedRequest(
                method: request.method, path: request.uri.path, query: request.uri.query ?? "", headers: request.headers,
                body: Array(buffer: body), connection: connection, edge: edge)
        else {
            return encode(.error(.unauthorized()))
        }
        var response = encode(await api.handle(apiRequest))
        if api.isShuttingDown {
            // Keep-alive connections would otherwise keep the draining server busy forever.
            response.headers[.connection] = "close"
        }
        return response
    }

    /// The request as the API sees it, once its client certificate or bearer token names a user; `nil` if neither does.
    static func authenticatedRequest(
        method: HTTPRequest.Method, path: String, query: String, headers fields: HTTPFields, body: [UInt8], connection: any Channel,
        edge: Edge
    ) async -> APIRequest? {
        // TLS has verified the certificate against the cluster CA; this reads who it names.
        let certificate = try? await connection.nioSSL_peerCertificate().get()
        guard
            let user = await edge.authenticator.authenticate(
                clientCertificateDER: certificate.flatMap { try? $0.toDERBytes() }, authorization: fields[.authorization])
        else {
            return nil
        }
        var headers: [String: String] = [:]
        for field in fields {
            headers[field.name.canonicalName] = headers[field.name.canonicalName].map { "\($0), \(field.value)" } ?? field.value
        }
        // As kube-apiserver does once a request is authenticated: the token goes no further.
        headers["authorization"] = nil
        var apiRequest = APIRequest(
            method: method.rawValue, path: path.removingPercentEncoding ?? path, query: parseQuery(query), headers: headers, body: body,
            user: user.name)
        apiRequest.queryValues = parseQueryValues(query)
        apiRequest.groups = user.groups
        apiRequest.userUID = user.uid
        apiRequest.userExtra = user.extra
        return apiRequest
    }

    /// Takes over a websocket upgrade of `pods/exec`, `pods/attach` or `pods/portforward` in a protocol this server
    /// speaks, relaying it to the node's streaming server; a request the API refuses is upgraded too, to carry the
    /// refusal.
    static func upgradeContainerStream(
        _ head: HTTPRequest, connection: any Channel, edge: Edge, api: KubernetesAPI, logger: Logger
    ) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        let target = (head.path ?? "").split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(target.first ?? "")
        let portForward = path.hasSuffix("/portforward")
        guard portForward || path.hasSuffix("/exec") || path.hasSuffix("/attach"),
            let subprotocol = ContainerStreamRelay.negotiate(offered: head.headerFields[.secWebSocketProtocol], portForward: portForward)
        else { return .dontUpgrade }
        let query = target.count > 1 ? String(target[1]) : ""
        let upstream: Result<ContainerStreamTarget, APIError>
        if let request = await authenticatedRequest(
            method: head.method, path: path, query: query, headers: head.headerFields, body: [], connection: connection, edge: edge)
        {
            do throws(APIError) {
                guard let target = try await api.containerStreamTarget(request) else { return .dontUpgrade }
                upstream = .success(target)
            } catch {
                upstream = .failure(error)
            }
        } else {
            upstream = .failure(.unauthorized())
        }
        let ports = (parseQueryValues(query)["ports"] ?? []).joined(separator: ",")
        return .upgrade([.secWebSocketProtocol: subprotocol]) { inbound, outbound, _ in
            try await ContainerStreamRelay.serve(
                client: inbound, outbound, upstream: upstream, subprotocol: subprotocol, portForward: portForward, ports: ports, logger: logger)
        }
    }

    /// Every value of each query parameter, in order (Go's `url.ParseQuery` without the first-wins reduction).
    static func parseQueryValues(_ query: String) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            result[decodeQueryComponent(parts[0]), default: []].append(parts.count > 1 ? decodeQueryComponent(parts[1]) : "")
        }
        return result
    }

    static func decodeQueryComponent(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// Go's `url.ParseQuery`: `+` is a space, then percent-decoding; the first value of a repeated key wins.
    static func parseQuery(_ query: String) -> [String: String] {
        parseQueryValues(query).compactMapValues(\.first)
    }

    static func encode(_ response: APIResponse) -> Response {
        switch response {
        case .json(let code, let body, let extraHeaders):
            var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-cache, private"]
            for (name, value) in extraHeaders {
                if let field = HTTPField.Name(name) { headers[field] = value }
            }
            return Response(status: .init(code: code), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.serializedForClients())))
        case .bytes(let code, let body, let contentType):
            return Response(
                status: .init(code: code), headers: [.contentType: contentType, .cacheControl: "no-cache, private"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        case .stream(let contentType, let events):
            return Response(
                status: .ok, headers: [.contentType: contentType, .cacheControl: "no-cache, private"],
                body: ResponseBody { writer in
                    for await event in events {
                        var line = event.serializedForClients()
                        line.append(0x0a)
                        try await writer.write(ByteBuffer(bytes: line))
                    }
                    try await writer.finish(nil)
                })
        case .byteStream(let contentType, let chunks):
            return Response(
                status: .ok, headers: [.contentType: contentType, .cacheControl: "no-cache, private"],
                body: ResponseBody { writer in
                    for await chunk in chunks {
                        try await writer.write(ByteBuffer(bytes: chunk))
                    }
                    try await writer.finish(nil)
                })
        }
    }
}
