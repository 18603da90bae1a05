import APIMachinery
import APIServer
import AsyncHTTPClient
import ContainerStreams
import Foundation
import KubeClient
import KubeObjects
import KubeletServer
import MetricsServer
import NIOCore
import NIOSSL
import NodeAgent
import ResourceUsage

/// How the API server reaches node agents, as kube-apiserver reaches kubelets: the agent in this process directly,
/// any other node's agent at its kubelet endpoint (the Node's InternalIP and `daemonEndpoints.kubeletEndpoint`
/// port) over HTTPS with the server's kubelet-client certificate.
struct ClusterNodes: NodeConnections, NodeResourceUsageSource {
    /// The agent running in this process and its node, if any.
    let local: (agent: NodeAgent, nodeName: String)?
    let kubelets: RemoteKubelets

    func containerLogs(node: String, namespace: String, pod: String, container: String, query: [String: String]) async throws(APIError)
        -> AsyncStream<[UInt8]>
    {
        if let local, local.nodeName == node {
            return try await local.agent.containerLogs(namespace: namespace, pod: pod, container: container, query: query)
        }
        return try await kubelets.containerLogs(node: node, namespace: namespace, pod: pod, container: container, query: query)
    }

    func streamingTarget(node: String, request: ContainerStreamRequest) async throws(APIError) -> ContainerStreamTarget {
        guard let local, local.nodeName == node else { return try await kubelets.streamingTarget(node: node, request: request) }
        let kind: PodStreamKind
        switch request.kind {
        case .exec: kind = .exec(command: request.command)
        case .attach: kind = .attach
        case .portforward: kind = .portForward(ports: request.ports)
        }
        return try await local.agent.streamTarget(
            kind, namespace: request.namespace, pod: request.pod, container: request.container, stdin: request.stdin, stdout: request.stdout,
            stderr: request.stderr, tty: request.tty)
    }
}

extension ClusterNodes {
    func resourceUsage(node: JSONValue) async throws -> ResourceUsageReport {
        if let local, local.nodeName == node.metadata.name { return try await local.agent.resourceUsage() }
        return try await kubelets.resourceUsage(node: node)
    }
}

/// Other nodes' kubelet endpoints (`KubeletServer`).
struct RemoteKubelets: Sendable {
    let client: KubeClient
    /// The server's kubelet-client certificate; the kubelets' serving certificates are not verified, as
    /// kube-apiserver does not verify them without `--kubelet-certificate-authority`.
    let tls: TLSConfiguration
    let http: HTTPClient

    init(client: KubeClient, clientCertificatePEM: String, clientKeyPEM: String) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(clientCertificatePEM.utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(clientKeyPEM.utf8), format: .pem))
        tls.certificateVerification = .none
        self.client = client
        self.tls = tls
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(5))
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// `https://<InternalIP>:<kubelet port>` of the node.
    private func endpoint(node name: String) async throws(APIError) -> String {
        try Self.endpoint(node: try await client.get(.nodes, name: name))
    }

    private static func endpoint(node: JSONValue) throws(APIError) -> String {
        let name = node.metadata.name
        let address = (node[path: "status", "addresses"]?.arrayValue ?? []).first { $0["type"]?.stringValue == "InternalIP" }?["address"]?.stringValue
        guard let address, let port = node[path: "status", "daemonEndpoints", "kubeletEndpoint", "Port"]?.integerValue, port > 0 else {
            throw APIError(code: 503, reason: "ServiceUnavailable", message: "node \(name) has no kubelet endpoint to reach its containers at")
        }
        return "https://\(address.contains(":") ? "[\(address)]" : address):\(port)"
    }

    private static func pathComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }

    private static func query(_ pairs: [(String, String)]) -> String {
        let allowed = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))
        return pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }.joined(separator: "&")
    }

    func containerLogs(node: String, namespace: String, pod: String, container: String, query: [String: String]) async throws(APIError)
        -> AsyncStream<[UInt8]>
    {
        let base = try await endpoint(node: node)
        let path = [namespace, pod, container].map(Self.pathComponent).joined(separator: "/")
        let url = "\(base)/containerLogs/\(path)?\(Self.query(query.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))"
        let response: HTTPClientResponse
        do {
            response = try await http.execute(HTTPClientRequest(url: url), timeout: .hours(24))
        } catch {
            throw APIError(code: 503, reason: "ServiceUnavailable", message: "cannot reach the kubelet of node \(node): \(error)")
        }
        guard response.status == .ok else { throw await Self.failure(response, node: node) }
        let body = response.body
        return AsyncStream { continuation in
            let reader = Task {
                do {
                    for try await chunk in body { continuation.yield(Array(buffer: chunk)) }
                } catch {}
                continuation.finish()
            }
            continuation.onTermination = { _ in reader.cancel() }
        }
    }

    func streamingTarget(node: String, request: ContainerStreamRequest) async throws(APIError) -> ContainerStreamTarget {
        let base = try await endpoint(node: node).replacingOccurrences(of: "https://", with: "wss://")
        if request.kind == .portforward {
            // The kubelet's own spelling of this path.
            let path = [request.namespace, request.pod].map(Self.pathComponent).joined(separator: "/")
            return .kubelet(url: "\(base)/portForward/\(path)", tls: tls, serverName: node)
        }
        let path = [request.namespace, request.pod, request.container].map(Self.pathComponent).joined(separator: "/")
        var pairs = request.command.map { ("command", $0) }
        for (name, value) in [("stdin", request.stdin), ("stdout", request.stdout), ("stderr", request.stderr), ("tty", request.tty)] where value {
            pairs.append((name, "true"))
        }
        // The serving certificate names the node; the URL's host is its address, which TLS cannot send as the name.
        return .kubelet(url: "\(base)/\(request.kind.rawValue)/\(path)?\(Self.query(pairs))", tls: tls, serverName: node)
    }

    /// The node's `/metrics/resource`, as metrics-server reads it.
    func resourceUsage(node: JSONValue) async throws -> ResourceUsageReport {
        let name = node.metadata.name
        let response = try await http.execute(HTTPClientRequest(url: "\(try Self.endpoint(node: node))/metrics/resource"), timeout: .seconds(10))
        guard response.status == .ok else { throw await Self.failure(response, node: name) }
        let body = try await response.body.collect(upTo: 64 << 20)
        return try ResourceUsageReport(prometheusText: String(buffer: body))
    }

    /// The kubelet's `Status`, or what went wrong reading it.
    private static func failure(_ response: HTTPClientResponse, node: String) async -> APIError {
        let body = (try? await response.body.collect(upTo: 1 << 20)).map { Array(buffer: $0) } ?? []
        if let status = try? JSONValue.parse(body), let message = status["message"]?.stringValue {
            return APIError(code: Int(response.status.code), reason: status["reason"]?.stringValue ?? "InternalError", message: message)
        }
        return APIError(code: 502, reason: "BadGateway", message: "the kubelet of node \(node) answered \(response.status.code)")
    }
}
