import APIMachinery
import KubeObjects
import Testing

@testable import Authorization

/// The bootstrap policy as kube-apiserver creates it, and its reconciliation at later starts.
struct BootstrapPolicyTests {
    @Test func thePolicyHasKubernetesRolesAndBindings() throws {
        let objects = BootstrapPolicy.objects
        let roleNames = Set(objects.clusterRoles.map(\.metadata.name))
        for name in ["cluster-admin", "admin", "edit", "view", "system:node", "system:kube-scheduler", "system:controller:deployment-controller"] {
            #expect(roleNames.contains(name), "\(name)")
        }
        var policy = RBACPolicy()
        for role in objects.clusterRoles { policy.apply(resource: "clusterroles", object: role) }
        for binding in objects.clusterRoleBindings { policy.apply(resource: "clusterrolebindings", object: binding) }
        // cluster-admin is bound to system:masters; every authenticated user may review its own access and read /version.
        #expect(policy.authorize(.resource(user: "x", groups: ["system:masters"], verb: "delete", apiGroup: "apps", resource: "deployments", namespace: "n")).allowed)
        let authenticated = ["system:authenticated"]
        #expect(policy.authorize(.resource(user: "x", groups: authenticated, verb: "create", apiGroup: "authorization.k8s.io", resource: "selfsubjectaccessreviews")).allowed)
        #expect(policy.authorize(.nonResource(user: "x", groups: authenticated, verb: "get", path: "/version")).allowed)
        #expect(!policy.authorize(.resource(user: "x", groups: authenticated, verb: "list", apiGroup: "", resource: "pods", namespace: "n")).allowed)
        // Node agents may read pods and write their node.
        #expect(policy.authorize(.resource(user: "skiff:agent", groups: ["system:nodes"], verb: "patch", apiGroup: "", resource: "nodes", subresource: "status", name: "n1")).allowed)
        // admin, edit and view aggregate: their own rules are filled in by the aggregation controller.
        let view = try #require(objects.clusterRoles.first { $0.metadata.name == "view" })
        #expect(RoleObject(view).aggregationSelectors?.isEmpty == false)
    }

    @Test func reconciliationAddsWhatIsMissingAndRespectsAutoupdateFalse() {
        let expected: JSONValue = [
            "metadata": ["name": "r", "annotations": ["rbac.authorization.kubernetes.io/autoupdate": "true"]],
            "rules": [["verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]]],
        ]
        let existing: JSONValue = ["metadata": ["name": "r"], "rules": [["verbs": ["get"], "apiGroups": [""], "resources": ["pods"]], ["verbs": ["delete"], "apiGroups": [""], "resources": ["pods"]]]]
        let updated = BootstrapPolicy.reconciled(existing: existing, expected: expected)
        #expect(updated?.metadata.annotations[BootstrapPolicy.autoupdateAnnotation] == "true")
        // The user's extra rule stays; the missing verb is added.
        #expect(
            updated.map { RoleObject($0).rules } == [
                PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"]), PolicyRule(verbs: ["delete"], apiGroups: [""], resources: ["pods"]),
                PolicyRule(verbs: ["list"], apiGroups: [""], resources: ["pods"]),
            ])
        #expect(updated.flatMap { BootstrapPolicy.reconciled(existing: $0, expected: expected) } == nil)
        var pinned = existing
        pinned[path: "metadata", "annotations"] = ["rbac.authorization.kubernetes.io/autoupdate": "false"]
        #expect(BootstrapPolicy.reconciled(existing: pinned, expected: expected) == nil)
    }

    @Test func reconciliationAddsMissingSubjectsAndReplacesAChangedRoleRef() {
        let expected: JSONValue = [
            "metadata": ["name": "b"], "roleRef": ["kind": "ClusterRole", "name": "system:node"],
            "subjects": [["kind": "Group", "name": "system:nodes"]],
        ]
        let existing: JSONValue = [
            "metadata": ["name": "b"], "roleRef": ["kind": "ClusterRole", "name": "system:node"], "subjects": [["kind": "User", "name": "me"]],
        ]
        #expect(BootstrapPolicy.reconciled(existing: existing, expected: expected)?["subjects"]?.arrayValue?.count == 2)
        var moved = existing
        moved["roleRef"] = ["kind": "ClusterRole", "name": "view"]
        #expect(BootstrapPolicy.replacesBinding(existing: moved, expected: expected))
        #expect(!BootstrapPolicy.replacesBinding(existing: existing, expected: expected))
    }
}
