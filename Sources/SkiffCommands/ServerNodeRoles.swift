import APIMachinery
import KubeClient
import Logging

/// The server labels its own node with its roles, as k3s' server does once the kubelet has registered, so that
/// `kubectl get nodes` shows ROLES `control-plane,master`: NodeRestriction lets no kubelet set `node-role` labels.
struct ServerNodeRoles: Sendable {
    let client: KubeClient
    let nodeName: String
    let logger: Logger

    static let labels = ["node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/master": "true"]

    /// Waits for the Node, then adds the labels it lacks; returns once they are there (or at cancellation).
    func apply() async {
        while !Task.isCancelled {
            do {
                var node = try await client.get(.nodes, name: nodeName)
                let labels = node.metadata.labels
                if Self.labels.allSatisfy({ labels[$0.key] == $0.value }) { return }
                node[path: "metadata", "labels"] = .object(labels.merging(Self.labels) { $1 }.mapValues(JSONValue.string))
                _ = try await client.update(.nodes, node)
                return
            } catch where error.code == 404 || error.code == 409 {
                // Not registered yet, or written meanwhile by the node agent: look again shortly.
            } catch {
                logger.warning("cannot label the server's node with its roles", metadata: ["node": "\(nodeName)", "error": "\(error.message)"])
                return
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }
}
