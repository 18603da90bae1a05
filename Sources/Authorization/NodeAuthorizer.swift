import KubeObjects

/// Kubernetes' Node authorizer (plugin/pkg/auth/authorizer/node): a kubelet, user `system:node:<name>` in
/// `system:nodes`, reads only the Secrets, ConfigMaps, claims and volumes of the pods bound to its node, requests
/// tokens only for their service accounts, and touches only its own Lease and CSINode; for everything else it has
/// the `system:node` role's rules.
public enum NodeAuthorizer {
    public static let userPrefix = "system:node:"
    /// The start of the reason for an object no pod of the node refers to.
    public static let unrelatedReason = "no relationship found between node"

    /// The node a request comes from, or nil when its user is no node's.
    public static func node(of request: AuthorizationAttributes) -> String? {
        guard request.user.hasPrefix(userPrefix), request.groups.contains(BootstrapPolicy.nodesGroup) else { return nil }
        let name = String(request.user.dropFirst(userPrefix.count))
        return name.isEmpty ? nil : name
    }

    /// The decision for a request of `node` (`NodeAuthorizer.Authorize`).
    public static func authorize(_ request: AuthorizationAttributes, node: String, graph: NodeGraph) -> AuthorizationDecision {
        guard request.isResourceRequest else { return rulesDecision(request) }
        switch (request.apiGroup, request.resource) {
        case ("", "secrets"): return readNamespaced(request, node: node, kind: .secret, graph: graph)
        case ("", "configmaps"): return readNamespaced(request, node: node, kind: .configMap, graph: graph)
        case ("", "persistentvolumeclaims"):
            if request.subresource == "status" {
                guard ["update", "patch"].contains(request.verb) else { return .noOpinion("can only get, update or patch the status of this object") }
                return related(graph.relates(node: node, .claim, namespace: request.namespace, name: request.name), request, node: node)
            }
            guard request.verb == "get", request.subresource.isEmpty else { return .noOpinion("can only get individual resources of this type") }
            return related(graph.relates(node: node, .claim, namespace: request.namespace, name: request.name), request, node: node)
        case ("", "persistentvolumes"):
            guard request.verb == "get", request.subresource.isEmpty else { return .noOpinion("can only get individual resources of this type") }
            return related(graph.relates(node: node, volume: request.name), request, node: node)
        case ("", "serviceaccounts"):
            guard request.subresource == "token", request.verb == "create" else { return .noOpinion("can only create tokens for individual service accounts") }
            return related(graph.relates(node: node, .serviceAccount, namespace: request.namespace, name: request.name), request, node: node)
        case ("coordination.k8s.io", "leases"):
            guard ["get", "create", "update", "patch", "delete"].contains(request.verb) else {
                return .noOpinion("can only get, create, update, patch, or delete a node lease")
            }
            guard request.namespace == "kube-node-lease" else { return .noOpinion("can only access leases in the kube-node-lease namespace") }
            guard request.verb == "create" || request.name == node else {
                return .noOpinion("can only access node lease with the same name as the requesting node")
            }
            return rulesDecision(request)
        case ("storage.k8s.io", "csinodes"):
            guard request.verb == "create" || request.name == node else { return .noOpinion("can only access CSINode with the same name as the requesting node") }
            return rulesDecision(request)
        default:
            return rulesDecision(request)
        }
    }

    /// get, or a list or watch of one object by name, of an object the node's pods refer to.
    private static func readNamespaced(_ request: AuthorizationAttributes, node: String, kind: NodeGraph.Kind, graph: NodeGraph) -> AuthorizationDecision {
        guard ["get", "list", "watch"].contains(request.verb) else { return .noOpinion("can only read resources of this type") }
        guard request.subresource.isEmpty else { return .noOpinion("cannot read subresource") }
        guard !request.namespace.isEmpty else { return .noOpinion("can only read namespaced object of this type") }
        guard !request.name.isEmpty else { return .noOpinion("No Object name found") }
        return related(graph.relates(node: node, kind, namespace: request.namespace, name: request.name), request, node: node)
    }

    private static func related(_ relates: Bool, _ request: AuthorizationAttributes, node: String) -> AuthorizationDecision {
        guard !request.name.isEmpty else { return .noOpinion("No Object name found") }
        return relates ? .allow("") : .noOpinion("\(unrelatedReason) '\(node)' and this object")
    }

    private static func rulesDecision(_ request: AuthorizationAttributes) -> AuthorizationDecision {
        BootstrapPolicy.nodeRules.contains { $0.allows(request) } ? .allow("") : .noOpinion("")
    }
}
