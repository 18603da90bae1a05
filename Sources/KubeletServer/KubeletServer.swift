import APIMachinery
import ContainerStreams
import Foundation
import HTTPSEndpoint
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import NodeAgent
import PKI
import ResourceUsage
import ServiceLifecycle

/// The node agent's HTTPS endpoint, as the kubelet's port 10250: the API server reads container logs and relays
/// `exec`/`attach` through it for pods on this node. Only the API server is served: a client certificate from the
/// cluster CA in `system:masters` (the API server's kubelet-client certificate), not a node's.
///
/// - `GET /containerLogs/<namespace>/<pod>/<container>?<pods/log query>`: the log as `text/plain`, streamed.
/// - `GET /metrics/resource`: the node's and its containers' CPU and memory, for the control plane's metrics server;
///   `GET /metrics/cadvisor`: the containers' usage as cAdvisor names it, for Prometheus.
/// - websocket `GET /exec/<namespace>/<pod>/<container>?command=…&stdin=…&stdout=…&stderr=…&tty=…` and
///   `/attach/…` (`v5.channel.k8s.io` or v4): relayed to the container runtime's streaming server.
/// - websocket `GET /portForward/<namespace>/<pod>` (`SPDY/3.1+portforward.k8s.io`): likewise.
public struct KubeletServer: Service {
    public struct Configuration: Sendable {
        public var bindAddress: String
        public var port: Int
        public var certificateChainPEM: String
        public var privateKeyPEM: String
        public var clusterCAPEM: String

        public init(bindAddress: String, port: Int, certificateChainPEM: String, privateKeyPEM: String, clusterCAPEM: String) {
            self.bindAddress = bindAddress
            self.port = port
            self.certificateChainPEM = certificateChainPEM
            self.privateKeyPEM = privateKeyPEM
            self.clusterCAPEM = clusterCAPEM
        }
    }

    let agent: NodeAgent
    let configuration: Configuration
    let logger: Logger
    let onRunning: @Sendable (Int) async -> Void

    public init(agent: NodeAgent, configuration: Configuration, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void) {
        self.agent = agent
        self.configuration = configuration
        self.logger = logger
        self.onRunning = onRunning
    }

    public func run() async throws {
        let agent = self.agent
        let logger = self.logger
        let endpoint = HTTPSEndpoint(
            bindAddress: configuration.bindAddress, port: configuration.port, certificateChainPEM: configuration.certificateChainPEM,
            privateKeyPEM: configuration.privateKeyPEM, clientCAPEM: configuration.clusterCAPEM,
            // This endpoint runs commands in containers: only the API server's kubelet-client certificate is served.
            clientCertificates: .required, maximumWebSocketFrame: ContainerStreamRelay.maximumMessageBytes)
        try await endpoint.run(
            responder: CallbackResponder<ConnectionRequestContext> { request, context in
                guard await Self.isAPIServer(context.channel) else { return Self.failure(Self.notTheAPIServer) }
                return await Self.respond(to: request, agent: agent)
            },
            upgrade: { head, channel, _ in
                guard await Self.isAPIServer(channel) else { return .dontUpgrade }
                return await Self.upgrade(head, agent: agent, logger: logger)
            },
            onRunning: onRunning, logger: logger)
    }

    /// Whether the client is the API server (its kubelet-client certificate is in `system:masters`, as
    /// kube-apiserver's usually is) rather than another holder of a certificate from the cluster CA, such as another
    /// node: only the API server may read logs or run commands here.
    static func isAPIServer(_ channel: any Channel) async -> Bool {
        guard let certificate = try? await channel.nioSSL_peerCertificate().get(), let der = try? certificate.toDERBytes(),
            let identity = ClusterPKI.subjectIdentity(certificateDER: der)
        else { return false }
        return identity.groups.contains("system:masters")
    }

    static let notTheAPIServer = APIError(
        code: 403, reason: "Forbidden", message: "the kubelet endpoint serves only the API server (a certificate in system:masters)")

    /// `<kind>/<namespace>/<pod>/<container>` from a request path (`portForward/<namespace>/<pod>` has no container),
    /// and its query.
    struct Target: Equatable {
        var kind: String
        var namespace: String
        var pod: String
        var container: String
        var query: [String: [String]]

        init?(path: String, query: String) {
            let parts = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
            guard parts.count == 4 || parts.count == 3 && parts[0] == "portForward" else { return nil }
            (kind, namespace, pod, container) = (parts[0], parts[1], parts[2], parts.count == 4 ? parts[3] : "")
            var values: [String: [String]] = [:]
            for pair in query.split(separator: "&") {
                let field = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                    $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
                }
                values[field[0], default: []].append(field.count > 1 ? field[1] : "")
            }
            self.query = values
        }

        func flag(_ name: String) -> Bool { ["true", "1"].contains(query[name]?.first ?? "") }

        /// `ports=8080,9090` (or repeated), each port on its own.
        var ports: [String] { (query["ports"] ?? []).flatMap { $0.split(separator: ",").map(String.init) } }
    }

    static func respond(to request: Request, agent: NodeAgent) async -> Response {
        if request.method == .get && request.uri.path == "/metrics/resource" {
            return metrics(await agent.resourceMetricsText())
        }
        if request.method == .get && request.uri.path == "/metrics/cadvisor" {
            return metrics(await agent.cadvisorMetricsText())
        }
        guard request.method == .get, let target = Target(path: request.uri.path, query: request.uri.query ?? ""), target.kind == "containerLogs"
        else {
            return failure(APIError(code: 404, reason: "NotFound", message: "the kubelet endpoint serves containerLogs, metrics/resource, metrics/cadvisor, exec and attach"))
        }
        do throws(APIError) {
            let chunks = try await agent.containerLogs(
                namespace: target.namespace, pod: target.pod, container: target.container, query: target.query.compactMapValues(\.first))
            return Response(
                status: .ok, headers: [.contentType: "text/plain"],
                body: ResponseBody { writer in
                    for await chunk in chunks { try await writer.write(ByteBuffer(bytes: chunk)) }
                    try await writer.finish(nil)
                })
        } catch {
            return failure(error)
        }
    }

    /// A Prometheus page: `/metrics/resource`, which metrics-server scrapes, or `/metrics/cadvisor`.
    static func metrics(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: ResourceUsageReport.contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func failure(_ error: APIError) -> Response {
        Response(
            status: .init(code: error.code), headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: error.status.serializedForClients())))
    }

    /// Takes over `exec`, `attach` and `portForward` upgrades; a refused one is upgraded too, to carry the refusal.
    static func upgrade(_ head: HTTPRequest, agent: NodeAgent, logger: Logger) async
        -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>
    {
        let parts = (head.path ?? "").split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard let target = Target(path: String(parts.first ?? ""), query: parts.count > 1 ? String(parts[1]) : "") else { return .dontUpgrade }
        let kind: PodStreamKind
        switch target.kind {
        case "exec": kind = .exec(command: target.query["command"] ?? [])
        case "attach": kind = .attach
        case "portForward": kind = .portForward(ports: target.ports.compactMap { Int32($0) })
        default: return .dontUpgrade
        }
        let portForward = target.kind == "portForward"
        guard let subprotocol = ContainerStreamRelay.negotiate(offered: head.headerFields[.secWebSocketProtocol], portForward: portForward) else {
            return .dontUpgrade
        }
        let upstream: Result<ContainerStreamTarget, APIError>
        do throws(APIError) {
            upstream = .success(
                try await agent.streamTarget(
                    kind, namespace: target.namespace, pod: target.pod, container: target.container, stdin: target.flag("stdin"),
                    stdout: target.flag("stdout"), stderr: target.flag("stderr"), tty: target.flag("tty")))
        } catch {
            upstream = .failure(error)
        }
        return .upgrade([.secWebSocketProtocol: subprotocol]) { inbound, outbound, _ in
            try await ContainerStreamRelay.serve(
                client: inbound, outbound, upstream: upstream, subprotocol: subprotocol, portForward: portForward,
                ports: target.ports.joined(separator: ","), logger: logger)
        }
    }
}
