import APIMachinery
import KubeObjects
import Testing

@testable import Authorization

/// The RBAC authorizer's decisions over roles and bindings, case by case as in upstream's `rbac_test.go`.
struct RBACPolicyTests {
    static let reader = "system:serviceaccount:dev:reader"
    static let serviceAccountGroups = ["system:serviceaccounts", "system:serviceaccounts:dev", "system:authenticated"]

    static func role(_ name: String, namespace: String? = nil, rules: [PolicyRule]) -> JSONValue {
        var metadata: JSONValue = ["name": .string(name)]
        if let namespace { metadata["namespace"] = .string(namespace) }
        return ["kind": namespace == nil ? "ClusterRole" : "Role", "metadata": metadata, "rules": .array(rules.map(\.json))]
    }

    static func binding(_ name: String, namespace: String? = nil, role: String, roleKind: String, subjects: [JSONValue]) -> JSONValue {
        var metadata: JSONValue = ["name": .string(name)]
        if let namespace { metadata["namespace"] = .string(namespace) }
        return ["metadata": metadata, "roleRef": ["kind": .string(roleKind), "name": .string(role)], "subjects": .array(subjects)]
    }

    /// Seed 002's pod reader: a Role in `dev` bound to the ServiceAccount `dev/reader`, named without a namespace.
    static func podReaderPolicy() -> RBACPolicy {
        var policy = RBACPolicy()
        policy.apply(
            resource: "roles",
            object: role("pod-reader", namespace: "dev", rules: [PolicyRule(verbs: ["get", "watch", "list"], apiGroups: [""], resources: ["pods"])]))
        policy.apply(
            resource: "rolebindings",
            object: binding("read-pods", namespace: "dev", role: "pod-reader", roleKind: "Role", subjects: [["kind": "ServiceAccount", "name": "reader"]]))
        return policy
    }

    static func pods(_ verb: String, in namespace: String, user: String = reader, groups: [String] = serviceAccountGroups) -> AuthorizationAttributes {
        .resource(user: user, groups: groups, verb: verb, apiGroup: "", resource: "pods", namespace: namespace)
    }

    @Test func aRoleBindingGrantsItsRoleOnlyInItsNamespace() {
        let policy = Self.podReaderPolicy()
        let allowed = policy.authorize(Self.pods("list", in: "dev"))
        #expect(allowed.allowed)
        #expect(allowed.reason == "RBAC: allowed by RoleBinding \"read-pods/dev\" of Role \"pod-reader\" to ServiceAccount \"dev/reader\"")
        #expect(!policy.authorize(Self.pods("list", in: "prod")).allowed)
        #expect(!policy.authorize(Self.pods("delete", in: "dev")).allowed)
        let secrets = AuthorizationAttributes.resource(
            user: Self.reader, groups: Self.serviceAccountGroups, verb: "list", apiGroup: "", resource: "secrets", namespace: "dev")
        #expect(!policy.authorize(secrets).allowed)
        #expect(!policy.authorize(Self.pods("list", in: "dev", user: "system:serviceaccount:prod:reader")).allowed)
    }

    @Test func forbiddenMessagesAreWordedAsKubernetes() {
        #expect(
            Self.pods("list", in: "prod").forbiddenMessage
                == "User \"system:serviceaccount:dev:reader\" cannot list resource \"pods\" in API group \"\" in the namespace \"prod\"")
        let nodes = AuthorizationAttributes.resource(user: "alice", groups: [], verb: "get", apiGroup: "", resource: "nodes", subresource: "proxy", name: "n1")
        #expect(nodes.forbiddenMessage == "User \"alice\" cannot get resource \"nodes/proxy\" in API group \"\" at the cluster scope")
        #expect(AuthorizationAttributes.nonResource(user: "alice", groups: [], verb: "get", path: "/logs").forbiddenMessage == "User \"alice\" cannot get path \"/logs\"")
    }

    @Test func clusterRoleBindingsToGroupsApplyEverywhere() {
        var policy = RBACPolicy()
        policy.apply(resource: "clusterroles", object: Self.role("view-pods", rules: [PolicyRule(verbs: ["get", "list"], apiGroups: [""], resources: ["pods"])]))
        policy.apply(
            resource: "clusterrolebindings",
            object: Self.binding("viewers", role: "view-pods", roleKind: "ClusterRole", subjects: [["kind": "Group", "name": "viewers"]]))
        #expect(policy.authorize(Self.pods("list", in: "any", user: "bob", groups: ["viewers"])).allowed)
        #expect(!policy.authorize(Self.pods("list", in: "any", user: "bob", groups: ["others"])).allowed)
        // A ClusterRoleBinding's ServiceAccount subject needs its namespace: without one it names nobody.
        policy.apply(
            resource: "clusterrolebindings",
            object: Self.binding("no-namespace", role: "view-pods", roleKind: "ClusterRole", subjects: [["kind": "ServiceAccount", "name": "reader"]]))
        #expect(!policy.authorize(Self.pods("list", in: "dev")).allowed)
    }

    @Test func aRoleBindingToAClusterRoleGrantsItInTheBindingsNamespace() {
        var policy = RBACPolicy()
        policy.apply(resource: "clusterroles", object: Self.role("edit-pods", rules: [PolicyRule(verbs: ["*"], apiGroups: [""], resources: ["pods"])]))
        policy.apply(
            resource: "rolebindings",
            object: Self.binding("edit", namespace: "team", role: "edit-pods", roleKind: "ClusterRole", subjects: [["kind": "User", "name": "carol"]]))
        #expect(policy.authorize(Self.pods("delete", in: "team", user: "carol", groups: [])).allowed)
        #expect(!policy.authorize(Self.pods("delete", in: "other", user: "carol", groups: [])).allowed)
        #expect(!policy.authorize(.resource(user: "carol", groups: [], verb: "list", apiGroup: "", resource: "pods")).allowed)
    }

    @Test func resourceNamesSubresourcesAndURLsMatchAsUpstream() {
        let named = PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["settings"])
        func configMap(_ verb: String, _ name: String) -> AuthorizationAttributes {
            .resource(user: "u", groups: [], verb: verb, apiGroup: "", resource: "configmaps", namespace: "n", name: name)
        }
        #expect(named.allows(configMap("get", "settings")))
        #expect(!named.allows(configMap("get", "other")))
        #expect(!named.allows(configMap("list", "")))

        let logs = PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods/log"])
        let log = AuthorizationAttributes.resource(user: "u", groups: [], verb: "get", apiGroup: "", resource: "pods", subresource: "log", namespace: "n", name: "p")
        #expect(logs.allows(log))
        #expect(!logs.allows(.resource(user: "u", groups: [], verb: "get", apiGroup: "", resource: "pods", namespace: "n", name: "p")))
        #expect(!PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"]).allows(log))

        let scale = PolicyRule(verbs: ["update"], apiGroups: ["*"], resources: ["*/scale"])
        #expect(scale.allows(.resource(user: "u", groups: [], verb: "update", apiGroup: "apps", resource: "deployments", subresource: "scale", namespace: "n")))
        #expect(!scale.allows(.resource(user: "u", groups: [], verb: "update", apiGroup: "apps", resource: "deployments", subresource: "status", namespace: "n")))

        let health = PolicyRule(verbs: ["get"], nonResourceURLs: ["/healthz", "/healthz/*"])
        for path in ["/healthz", "/healthz/etcd"] {
            #expect(health.allows(.nonResource(user: "u", groups: [], verb: "get", path: path)))
        }
        #expect(!health.allows(.nonResource(user: "u", groups: [], verb: "get", path: "/healthzz")))
        #expect(!health.allows(.nonResource(user: "u", groups: [], verb: "post", path: "/healthz")))
        #expect(!health.allows(.resource(user: "u", groups: [], verb: "get", apiGroup: "", resource: "healthz")))
    }

    @Test func aBindingToAMissingRoleSaysSoAndGrantsNothing() {
        var policy = RBACPolicy()
        policy.apply(
            resource: "clusterrolebindings",
            object: Self.binding("dangling", role: "gone", roleKind: "ClusterRole", subjects: [["kind": "User", "name": "dave"]]))
        let decision = policy.authorize(Self.pods("list", in: "x", user: "dave", groups: []))
        #expect(!decision.allowed)
        #expect(decision.reason == "RBAC: clusterrole.rbac.authorization.k8s.io \"gone\" not found")
        // The role appearing later makes the binding work.
        policy.apply(resource: "clusterroles", object: Self.role("gone", rules: [PolicyRule(verbs: ["list"], apiGroups: [""], resources: ["pods"])]))
        #expect(policy.authorize(Self.pods("list", in: "x", user: "dave", groups: [])).allowed)
    }

    @Test func removedAndChangedBindingsStopGranting() {
        var policy = Self.podReaderPolicy()
        policy.apply(
            resource: "rolebindings",
            object: Self.binding("read-pods", namespace: "dev", role: "pod-reader", roleKind: "Role", subjects: [["kind": "User", "name": "erin"]]))
        #expect(!policy.authorize(Self.pods("list", in: "dev")).allowed)
        #expect(policy.authorize(Self.pods("list", in: "dev", user: "erin", groups: [])).allowed)
        policy.remove(resource: "rolebindings", namespace: "dev", name: "read-pods")
        #expect(!policy.authorize(Self.pods("list", in: "dev", user: "erin", groups: [])).allowed)
        #expect(policy.bindingCount == 0)
    }

    @Test func rulesForAUserCollectClusterAndNamespaceGrants() {
        var policy = Self.podReaderPolicy()
        policy.apply(resource: "clusterroles", object: Self.role("basic", rules: [PolicyRule(verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews"])]))
        policy.apply(
            resource: "clusterrolebindings",
            object: Self.binding("basic", role: "basic", roleKind: "ClusterRole", subjects: [["kind": "Group", "name": "system:authenticated"]]))
        let (devRules, errors) = policy.rules(user: Self.reader, groups: Self.serviceAccountGroups, namespace: "dev")
        #expect(errors.isEmpty)
        #expect(devRules.count == 2)
        #expect(policy.rules(user: Self.reader, groups: Self.serviceAccountGroups, namespace: "prod").rules.count == 1)
    }
}
