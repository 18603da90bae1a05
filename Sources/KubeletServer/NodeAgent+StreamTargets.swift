import APIMachinery
import ContainerStreams
import NodeAgent

/// What a stream into one of this node's pods is for.
public enum PodStreamKind: Sendable {
    case exec(command: [String])
    case attach
    /// The ports the websocket channel protocol names in its query (SPDY sessions name theirs per stream).
    case portForward(ports: [Int32])
}

extension NodeAgent {
    /// Where the container runtime serves a stream of this node's pod, prepared as the kubelet prepares `exec`,
    /// `attach` and `portForward`: for the agent's own kubelet endpoint and for a server running this agent.
    public func streamTarget(
        _ kind: PodStreamKind, namespace: String, pod: String, container: String, stdin: Bool, stdout: Bool, stderr: Bool, tty: Bool
    ) async throws(APIError) -> ContainerStreamTarget {
        let streams = RemoteCommandStreams(stdin: stdin, stdout: stdout, stderr: stderr, tty: tty)
        switch kind {
        case .exec(let command):
            let url = try await execURL(
                namespace: namespace, pod: pod, container: container, command: command, stdin: stdin, stdout: stdout, stderr: stderr, tty: tty)
            return .runtime(url: url, streams: streams)
        case .attach:
            let url = try await attachURL(namespace: namespace, pod: pod, container: container, stdin: stdin, stdout: stdout, stderr: stderr, tty: tty)
            return .runtime(url: url, streams: streams)
        case .portForward(let ports):
            return .runtimePortForward(url: try await portForwardURL(namespace: namespace, pod: pod, ports: ports))
        }
    }
}
