import APIMachinery
import KubeObjects

/// The roles and bindings every cluster starts with: Kubernetes' bootstrap policy (`cluster-admin`, `admin`/`edit`/
/// `view`, the `system:` roles of the control plane's components and controllers) exactly as kube-apiserver creates
/// it, and Skiff's own for what its node agents run besides a kubelet (service proxy, cluster DNS, local-path
/// volumes). The API server reconciles them at every start as kube-apiserver does: what is missing is created, and
/// what an existing object lacks is added unless it is annotated `rbac.authorization.kubernetes.io/autoupdate: "false"`.
public enum BootstrapPolicy {
    public struct Objects: Sendable {
        public var clusterRoles: [JSONValue]
        public var clusterRoleBindings: [JSONValue]
        public var roles: [JSONValue]
        public var roleBindings: [JSONValue]
    }

    public static let autoupdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate"
    /// The group every node agent's user is in.
    public static let nodesGroup = "system:nodes"
    /// The join token's user: hollow-node agents, and real agents until they hold a node certificate of their own.
    public static let agentUser = "skiff:agent"
    /// The server's own hollow nodes.
    public static let hollowNodesUser = "skiff:hollow-nodes"

    /// Kubernetes' policy and Skiff's additions.
    public static var objects: Objects {
        Objects(
            clusterRoles: kubernetesClusterRoles + controllerRoles + skiffClusterRoles,
            clusterRoleBindings: kubernetesClusterRoleBindings + skiffClusterRoleBindings, roles: kubernetesRoles, roleBindings: kubernetesRoleBindings)
    }

    /// The service accounts of kube-system that Skiff's own controllers act as.
    public static let clusterDNSControllerAccount = "cluster-dns-controller"
    public static let ingressControllerAccount = "skiff-ingress-controller"

    /// Roles for what Skiff runs that Kubernetes has no role for: on every node the cluster DNS server (CoreDNS'
    /// `system:coredns`), the network policy enforcer (kube-router's role) and the local-path provisioner (k3s' `local-path-provisioner-role`); in the control plane
    /// the controller keeping the kube-dns Service, the ingress controller (as k3s' Traefik role) and
    /// metrics-server (its manifest's `system:metrics-server`).
    static let skiffClusterRoles: [JSONValue] = [
        clusterRole(
            "skiff:cluster-dns",
            rules: [
                PolicyRule(verbs: ["list", "watch"], apiGroups: [""], resources: ["endpoints", "services", "pods", "namespaces"]),
                PolicyRule(verbs: ["list", "watch"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"]),
            ]),
        clusterRole(
            "skiff:network-policy",
            rules: [
                PolicyRule(verbs: ["list", "watch"], apiGroups: [""], resources: ["pods", "namespaces"]),
                PolicyRule(verbs: ["list", "watch"], apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"]),
                PolicyRule(verbs: ["create", "patch", "update"], apiGroups: ["", "events.k8s.io"], resources: ["events"]),
            ]),
        clusterRole(
            "skiff:local-path-provisioner",
            rules: [
                PolicyRule(verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["nodes", "configmaps", "pods"]),
                PolicyRule(verbs: ["get", "list", "watch", "update", "patch"], apiGroups: [""], resources: ["persistentvolumeclaims"]),
                PolicyRule(verbs: ["get", "list", "watch", "create", "patch", "update", "delete"], apiGroups: [""], resources: ["persistentvolumes"]),
                PolicyRule(verbs: ["create", "patch", "update"], apiGroups: ["", "events.k8s.io"], resources: ["events"]),
                PolicyRule(verbs: ["get", "list", "watch"], apiGroups: ["storage.k8s.io"], resources: ["storageclasses"]),
            ]),
        clusterRole(
            "skiff:cluster-dns-controller",
            rules: [
                PolicyRule(verbs: ["get", "create", "update"], apiGroups: [""], resources: ["services"]),
                PolicyRule(verbs: ["get", "create", "update"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"]),
                PolicyRule(verbs: ["create", "patch", "update"], apiGroups: ["", "events.k8s.io"], resources: ["events"]),
            ]),
        clusterRole(
            "skiff:ingress-controller",
            rules: [
                PolicyRule(verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["services", "endpoints", "secrets", "nodes"]),
                PolicyRule(verbs: ["get", "list", "watch"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"]),
                PolicyRule(verbs: ["get", "list", "watch"], apiGroups: ["networking.k8s.io"], resources: ["ingresses"]),
                PolicyRule(verbs: ["get", "list", "watch", "create"], apiGroups: ["networking.k8s.io"], resources: ["ingressclasses"]),
                PolicyRule(verbs: ["update", "patch"], apiGroups: ["networking.k8s.io"], resources: ["ingresses/status"]),
                PolicyRule(verbs: ["create", "patch", "update"], apiGroups: ["", "events.k8s.io"], resources: ["events"]),
            ]),
        clusterRole("skiff:node-credentials", rules: [PolicyRule(verbs: ["post"], nonResourceURLs: ["/v1-skiff/client-kubelet"])]),
        clusterRole(
            "system:metrics-server",
            rules: [
                PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["nodes/metrics"]),
                PolicyRule(verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods", "nodes"]),
            ]),
    ]

    /// Every node agent acts in the group `system:nodes`, which gets the service proxy's role and the node roles
    /// above; a node with a certificate of its own (`system:node:<name>`) has the kubelet's through the Node
    /// authorizer, while the join token's user and the hollow nodes, which stand for many nodes, are given the
    /// kubelet's role outright, as `system:node` was given to every node before the Node authorizer. Skiff's job
    /// controller also removes finished Jobs past their TTL and its volume protection
    /// controller guards volumes as well as claims, which Kubernetes gives controllers of their own.
    static let skiffClusterRoleBindings: [JSONValue] = [
        clusterRoleBinding("skiff:node-agents", role: "system:node", subjects: [user(agentUser), user(hollowNodesUser)]),
        clusterRoleBinding("skiff:node-credentials", role: "skiff:node-credentials", subject: user(agentUser)),
        clusterRoleBinding("skiff:node-proxier", role: "system:node-proxier", subject: group(nodesGroup)),
        clusterRoleBinding("skiff:cluster-dns", role: "skiff:cluster-dns", subject: group(nodesGroup)),
        clusterRoleBinding("skiff:network-policy", role: "skiff:network-policy", subject: group(nodesGroup)),
        clusterRoleBinding("skiff:local-path-provisioner", role: "skiff:local-path-provisioner", subject: group(nodesGroup)),
        clusterRoleBinding("skiff:cluster-dns-controller", role: "skiff:cluster-dns-controller", subject: serviceAccount(clusterDNSControllerAccount)),
        clusterRoleBinding("skiff:ingress-controller", role: "skiff:ingress-controller", subject: serviceAccount(ingressControllerAccount)),
        clusterRoleBinding("system:metrics-server", role: "system:metrics-server", subject: serviceAccount("metrics-server")),
        clusterRoleBinding("skiff:job-controller-ttl", role: "system:controller:ttl-after-finished-controller", subject: serviceAccount("job-controller")),
        clusterRoleBinding(
            "skiff:volume-protection", role: "system:controller:pv-protection-controller", subject: serviceAccount("pvc-protection-controller")),
    ]

    private static func user(_ name: String) -> JSONValue { ["apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": .string(name)] }

    private static func group(_ name: String) -> JSONValue { ["apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": .string(name)] }

    private static func serviceAccount(_ name: String) -> JSONValue { ["kind": "ServiceAccount", "name": .string(name), "namespace": "kube-system"] }

    private static func clusterRole(_ name: String, rules: [PolicyRule]) -> JSONValue {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": ["name": .string(name), "annotations": [.init(stringLiteral: autoupdateAnnotation): "true"]],
            "rules": .array(rules.map(\.json)),
        ]
    }

    private static func clusterRoleBinding(_ name: String, role: String, subject: JSONValue) -> JSONValue {
        clusterRoleBinding(name, role: role, subjects: [subject])
    }

    private static func clusterRoleBinding(_ name: String, role: String, subjects: [JSONValue]) -> JSONValue {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": ["name": .string(name), "annotations": [.init(stringLiteral: autoupdateAnnotation): "true"]],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(role)],
            "subjects": .array(subjects),
        ]
    }

    /// `existing` with what `expected` has and it lacks — labels, annotations, rules, aggregation selectors,
    /// subjects — or nil when nothing is missing or it may not be changed (`autoupdate: "false"`). Nothing is ever
    /// taken away, as kube-apiserver's start-up reconciliation takes nothing away. A binding whose `roleRef` differs
    /// cannot be changed in place; `replacesBinding` tells the caller to delete and create it.
    public static func reconciled(existing: JSONValue, expected: JSONValue) -> JSONValue? {
        if existing.metadata.annotations[autoupdateAnnotation] == "false" { return nil }
        var updated = existing
        for field in ["labels", "annotations"] {
            let have = existing[path: "metadata", field]?.objectValue ?? [:]
            for (key, value) in expected[path: "metadata", field]?.objectValue ?? [:] where have[key] == nil {
                updated[path: "metadata", field, key] = value
            }
        }
        if let expectedRules = expected["rules"]?.arrayValue {
            let missing = RuleCoverage.uncovered(by: RoleObject(existing).rules, expectedRules.map(PolicyRule.init))
            if !missing.isEmpty { updated["rules"] = .array((existing["rules"]?.arrayValue ?? []) + missing.map(\.json)) }
        }
        if let selectors = expected[path: "aggregationRule", "clusterRoleSelectors"]?.arrayValue {
            let have = existing[path: "aggregationRule", "clusterRoleSelectors"]?.arrayValue ?? []
            let missing = selectors.filter { !have.contains($0) }
            if !missing.isEmpty { updated[path: "aggregationRule", "clusterRoleSelectors"] = .array(have + missing) }
        }
        if let subjects = expected["subjects"]?.arrayValue {
            let have = existing["subjects"]?.arrayValue ?? []
            let haveKeys = Set(RoleBindingObject(existing).subjects)
            let missing = subjects.filter { !haveKeys.contains(RoleBindingObject(["subjects": [$0]]).subjects[0]) }
            if !missing.isEmpty { updated["subjects"] = .array(have + missing) }
        }
        if updated == existing { return nil }
        return updated
    }

    /// Whether a binding refers to another role than the policy's, which only deleting and creating it can change.
    public static func replacesBinding(existing: JSONValue, expected: JSONValue) -> Bool {
        guard existing.metadata.annotations[autoupdateAnnotation] != "false" else { return false }
        return RoleBindingObject(existing).roleRef != RoleBindingObject(expected).roleRef
    }
}
