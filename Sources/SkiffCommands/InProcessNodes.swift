import APIMachinery
import APIServer
import NodeAgent

/// The API server's way to the node agent running in the same process (the server's own node).
struct InProcessNodes: NodeConnections {
    let agent: NodeAgent
    let nodeName: String

    func containerLogs(node: String, namespace: String, pod: String, container: String, query: [String: String]) async throws(APIError)
        -> AsyncStream<[UInt8]>
    {
        guard node == nodeName else {
            throw APIError(code: 503, reason: "ServiceUnavailable", message: "node \(node) is not served by this server's agent; remote node logs are not supported yet")
        }
        return try await agent.containerLogs(namespace: namespace, pod: pod, container: container, query: query)
    }

    func streamingURL(node: String, request: ContainerStreamRequest) async throws(APIError) -> String {
        guard node == nodeName else {
            throw APIError(
                code: 503, reason: "ServiceUnavailable",
                message: "node \(node) is not served by this server's agent; \(request.kind.rawValue) on remote nodes is not supported yet")
        }
        switch request.kind {
        case .exec:
            return try await agent.execURL(
                namespace: request.namespace, pod: request.pod, container: request.container, command: request.command, stdin: request.stdin,
                stdout: request.stdout, stderr: request.stderr, tty: request.tty)
        case .attach:
            return try await agent.attachURL(
                namespace: request.namespace, pod: request.pod, container: request.container, stdin: request.stdin, stdout: request.stdout,
                stderr: request.stderr, tty: request.tty)
        }
    }
}
