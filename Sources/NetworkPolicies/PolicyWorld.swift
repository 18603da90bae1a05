/// The pods and namespaces policies select from, as the enforcer's informers last saw them, and the node whose pods
/// it guards.
struct PolicyWorld: Sendable {
    var nodeName: String
    /// Namespace → pod key (`namespace/name`) → pod.
    var pods: [String: [String: PolicyPod]] = [:]
    /// Namespace → its labels; a namespace not yet seen has none.
    var namespaceLabels: [String: [String: String]] = [:]

    init(nodeName: String) {
        self.nodeName = nodeName
    }

    /// The pods a peer selects for a policy of `namespace`.
    func pods(selectedBy peer: PolicySpec.Peer, policyNamespace namespace: String) -> [PolicyPod] {
        guard case .pods(let podSelector, let namespaceSelector) = peer else { return [] }
        let namespaces: [String]
        if let namespaceSelector {
            namespaces = pods.keys.filter { namespaceSelector.matches(namespaceLabels[$0] ?? [:]) }
        } else {
            namespaces = [namespace]
        }
        return namespaces.flatMap { (pods[$0] ?? [:]).values.filter { podSelector?.matches($0.labels) ?? true } }
    }

    /// Every pod of the cluster.
    var allPods: [PolicyPod] { pods.values.flatMap(\.values) }

    /// Whether a peer of a policy in `namespace` selects `pod`.
    func selects(_ peer: PolicySpec.Peer, policyNamespace namespace: String, pod: PolicyPod) -> Bool {
        guard case .pods(let podSelector, let namespaceSelector) = peer else { return false }
        if let namespaceSelector {
            guard namespaceSelector.matches(namespaceLabels[pod.namespace] ?? [:]) else { return false }
        } else if pod.namespace != namespace {
            return false
        }
        return podSelector?.matches(pod.labels) ?? true
    }
}
