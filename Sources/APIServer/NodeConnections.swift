import APIMachinery
import Synchronization

/// How the API server reaches a node's agent for what only the node has — container logs — as kube-apiserver
/// reaches the kubelet. The composition root supplies it (the agent in the same process, for now).
public protocol NodeConnections: Sendable {
    /// The kubelet's `containerLogs`: a container's log, rendered as `query` asks (`previous`, `follow`,
    /// `tailLines`, `sinceSeconds`, `sinceTime`, `timestamps`, `limitBytes`), as chunks of bytes.
    func containerLogs(node: String, namespace: String, pod: String, container: String, query: [String: String]) async throws(APIError)
        -> AsyncStream<[UInt8]>
}

/// The connections set once the node agents exist (they start after the API they talk to).
final class NodeConnectionSlot: Sendable {
    private let connections = Mutex<(any NodeConnections)?>(nil)

    func set(_ value: any NodeConnections) { connections.withLock { $0 = value } }
    var current: (any NodeConnections)? { connections.withLock { $0 } }
}
