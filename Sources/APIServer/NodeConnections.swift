import APIMachinery
import ContainerStreams
import Synchronization

/// How the API server reaches a node's agent for what only the node has — container logs and streams — as
/// kube-apiserver reaches the kubelet. The composition root supplies it (the agent in the same process, for now).
public protocol NodeConnections: Sendable {
    /// The kubelet's `containerLogs`: a container's log, rendered as `query` asks (`previous`, `follow`,
    /// `tailLines`, `sinceSeconds`, `sinceTime`, `timestamps`, `limitBytes`), as chunks of bytes.
    func containerLogs(node: String, namespace: String, pod: String, container: String, query: [String: String]) async throws(APIError)
        -> AsyncStream<[UInt8]>

    /// The kubelet's `exec` and `attach`: where a websocket speaking `v4.channel.k8s.io` serves this one request.
    func streamingTarget(node: String, request: ContainerStreamRequest) async throws(APIError) -> ContainerStreamTarget
}

/// What `kubectl exec` or `kubectl attach` asks of one container, or `kubectl port-forward` of a pod (whose ports
/// are named in the query by the websocket channel protocol, and later, by the session's streams, over SPDY).
public struct ContainerStreamRequest: Sendable, Equatable {
    public init(
        kind: Kind, namespace: String, pod: String, container: String, command: [String], stdin: Bool, stdout: Bool, stderr: Bool, tty: Bool
    ) {
        self.kind = kind
        self.namespace = namespace
        self.pod = pod
        self.container = container
        self.command = command
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.tty = tty
    }

    public enum Kind: String, Sendable {
        case exec, attach, portforward
    }

    public var kind: Kind
    public var namespace: String
    public var pod: String
    public var container: String
    /// The command to run (exec only).
    public var command: [String]
    public var stdin: Bool
    public var stdout: Bool
    public var stderr: Bool
    public var tty: Bool
    /// The ports a port-forward names in its query (`ports=8080,9090`).
    public var ports: [Int32] = []
}

/// What the composition root connects once it exists: the node agents and the metrics server start after the API
/// they talk to.
final class ProviderSlot<Provider: Sendable>: Sendable {
    private let provider = Mutex<Provider?>(nil)

    func set(_ value: Provider) { provider.withLock { $0 = value } }
    var current: Provider? { provider.withLock { $0 } }
}
