import APIMachinery
import Testing

@testable import APIServer

/// NodeRestriction's decisions, each worded as Kubernetes words it.
struct NodeRestrictionTests {
    static let pods = GroupResource(group: "", resource: "pods")
    static let nodes = GroupResource(group: "", resource: "nodes")

    static func request(
        _ resource: GroupResource, _ operation: NodeRestriction.Operation, name: String, subresource: String = "", namespace: String? = "default",
        object: JSONValue? = nil, old: JSONValue? = nil
    ) -> NodeRestriction.Request {
        NodeRestriction.Request(node: "a", operation: operation, resource: resource, subresource: subresource, namespace: namespace, name: name, object: object, old: old)
    }

    /// Pods `on-a` (node a, uid 1) and `on-b` (node b, uid 2).
    static func refusal(_ request: NodeRestriction.Request) async throws -> String? {
        try await NodeRestriction.refusal(request) { (_, name) throws(APIError) in
            switch name {
            case "on-a": ("a", "1")
            case "on-b": ("b", "2")
            default: nil
            }
        }
    }

    static func node(labels: [String: String] = [:], taints: JSONValue? = nil) -> JSONValue {
        var node: JSONValue = ["metadata": ["name": "a", "labels": .object(labels.mapValues(JSONValue.string))]]
        if let taints { node[path: "spec", "taints"] = taints }
        return node
    }

    @Test func onlyTheNodesOwnUserIsANode() {
        #expect(NodeRestriction.nodeName(user: "system:node:a", groups: ["system:nodes"]) == "a")
        #expect(NodeRestriction.nodeName(user: "system:node:a", groups: []) == nil)
        #expect(NodeRestriction.nodeName(user: "skiff:agent", groups: ["system:nodes"]) == nil)
    }

    @Test func aNodeWritesOnlyItsOwnNodeWithoutTaintsOrRestrictedLabels() async throws {
        #expect(try await Self.refusal(Self.request(Self.nodes, .update, name: "b", object: Self.node())) == #"node "a" is not allowed to modify node "b""#)
        #expect(try await Self.refusal(Self.request(Self.nodes, .create, name: "a", object: Self.node(labels: ["kubernetes.io/hostname": "a", "example.com/x": "y"]))) == nil)
        #expect(
            try await Self.refusal(
                Self.request(Self.nodes, .create, name: "a", object: Self.node(labels: ["node-role.kubernetes.io/worker": "", "node-restriction.kubernetes.io/x": ""])))
                == #"node "a" is not allowed to set the following labels: node-restriction.kubernetes.io/x, node-role.kubernetes.io/worker"#)
        let tainted = Self.node(taints: [["key": "k", "effect": "NoSchedule"]])
        #expect(try await Self.refusal(Self.request(Self.nodes, .update, name: "a", object: tainted, old: Self.node())) == #"node "a" is not allowed to modify taints"#)
        #expect(try await Self.refusal(Self.request(Self.nodes, .update, name: "a", subresource: "status", object: tainted, old: Self.node())) == nil)
        #expect(
            try await Self.refusal(Self.request(Self.nodes, .update, name: "a", object: Self.node(labels: ["kubernetes.io/role": "x"]), old: Self.node()))
                == "is not allowed to modify labels: kubernetes.io/role")
    }

    @Test func aNodeTouchesOnlyPodsBoundToIt() async throws {
        #expect(try await Self.refusal(Self.request(Self.pods, .delete, name: "on-a")) == nil)
        #expect(try await Self.refusal(Self.request(Self.pods, .delete, name: "on-b")) == #"node "a" can only delete pods with spec.nodeName set to itself"#)
        #expect(try await Self.refusal(Self.request(Self.pods, .create, name: "on-b", subresource: "eviction")) == "node a can only evict pods with spec.nodeName set to itself")
        let onB: JSONValue = ["metadata": ["name": "on-b"], "spec": ["nodeName": "b"]]
        #expect(
            try await Self.refusal(Self.request(Self.pods, .update, name: "on-b", subresource: "status", object: onB, old: onB))
                == #"node "a" can only update pod status for pods with spec.nodeName set to itself"#)
        #expect(
            try await Self.refusal(Self.request(Self.pods, .update, name: "on-a", object: onB, old: onB))
                == #"unexpected operation "UPDATE", node "a" can only create and delete mirror pods"#)
        #expect(try await Self.refusal(Self.request(Self.pods, .create, name: "x", subresource: "exec")) == "unexpected pod subresource \"exec\", only 'status' and 'eviction' are allowed")
    }

    @Test func aNodeCreatesOnlyItsOwnSelfContainedMirrorPods() async throws {
        func mirror(_ spec: JSONValue, owner: String = "a") -> JSONValue {
            [
                "metadata": [
                    "name": "static-a", "annotations": ["kubernetes.io/config.mirror": "hash"],
                    "ownerReferences": [["apiVersion": "v1", "kind": "Node", "name": .string(owner), "uid": "n1"]],
                ],
                "spec": spec,
            ]
        }
        let plain: JSONValue = ["nodeName": "a", "containers": [["name": "c", "image": "busybox"]]]
        #expect(try await Self.refusal(Self.request(Self.pods, .create, name: "static-a", object: mirror(plain))) == nil)
        var unannotated = mirror(plain)
        unannotated[path: "metadata", "annotations"] = .emptyObject
        #expect(
            try await Self.refusal(Self.request(Self.pods, .create, name: "static-a", object: unannotated))
                == #"pod does not have "kubernetes.io/config.mirror" annotation, node "a" can only create mirror pods"#)
        #expect(
            try await Self.refusal(Self.request(Self.pods, .create, name: "static-a", object: mirror(plain, owner: "b")))
                == #"node "a" can only create pods with an owner reference set to itself"#)
        var withSecret = plain
        withSecret["volumes"] = [["name": "s", "secret": ["secretName": "db"]]]
        #expect(
            try await Self.refusal(Self.request(Self.pods, .create, name: "static-a", object: mirror(withSecret)))
                == #"node "a" can not create pods that reference secrets"#)
    }

    @Test func leasesAndTokensAreTheNodesOwn() async throws {
        let leases = GroupResource(group: "coordination.k8s.io", resource: "leases")
        #expect(try await Self.refusal(Self.request(leases, .update, name: "a", namespace: "kube-node-lease")) == nil)
        #expect(try await Self.refusal(Self.request(leases, .update, name: "a")) == #"can only access leases in the "kube-node-lease" namespace"#)
        #expect(
            try await Self.refusal(Self.request(leases, .create, name: "b", namespace: "kube-node-lease"))
                == "can only access node lease with the same name as the requesting node")

        let accounts = GroupResource(group: "", resource: "serviceaccounts")
        func token(_ pod: String, uid: String) -> JSONValue {
            ["spec": ["boundObjectRef": ["apiVersion": "v1", "kind": "Pod", "name": .string(pod), "uid": .string(uid)]]]
        }
        #expect(try await Self.refusal(Self.request(accounts, .create, name: "default", subresource: "token", object: token("on-a", uid: "1"))) == nil)
        #expect(
            try await Self.refusal(Self.request(accounts, .create, name: "default", subresource: "token", object: token("on-b", uid: "2")))
                == "node requested token bound to a pod scheduled on a different node")
        #expect(
            try await Self.refusal(Self.request(accounts, .create, name: "default", subresource: "token", object: ["spec": [:]]))
                == "node requested token not bound to a pod")
    }
}
