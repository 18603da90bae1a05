import APIMachinery
import Testing

@testable import Authorization

/// The Node authorizer's graph and decisions, as upstream's `node_authorizer_test.go` checks them.
struct NodeAuthorizerTests {
    static func pod(_ name: String, node: String?, spec extra: [String: JSONValue] = [:]) -> JSONValue {
        var spec: [String: JSONValue] = [
            "serviceAccountName": "runner",
            "imagePullSecrets": [["name": "pull"]],
            "volumes": [
                ["name": "config", "configMap": ["name": "settings"]],
                ["name": "tls", "secret": ["secretName": "tls"]],
                ["name": "data", "persistentVolumeClaim": ["claimName": "data"]],
                ["name": "scratch", "ephemeral": ["volumeClaimTemplate": ["spec": [:]]]],
                ["name": "bundle", "projected": ["sources": [["secret": ["name": "projected-secret"]], ["configMap": ["name": "projected-map"]]]]],
            ],
            "containers": [
                [
                    "name": "c",
                    "env": [["name": "PASSWORD", "valueFrom": ["secretKeyRef": ["name": "db", "key": "password"]]]],
                    "envFrom": [["configMapRef": ["name": "env-map"]]],
                ]
            ],
        ]
        if let node { spec["nodeName"] = .string(node) }
        for (key, value) in extra { spec[key] = value }
        return ["metadata": ["name": .string(name), "namespace": "shop"], "spec": .object(spec)]
    }

    static func request(_ node: String, _ verb: String, _ resource: String, name: String, namespace: String = "shop", subresource: String = "", group: String = "")
        -> AuthorizationAttributes
    {
        .resource(
            user: "system:node:\(node)", groups: ["system:nodes", "system:authenticated"], verb: verb, apiGroup: group, resource: resource,
            subresource: subresource, namespace: namespace, name: name)
    }

    static func allowed(_ graph: NodeGraph, _ request: AuthorizationAttributes) -> Bool {
        guard let node = NodeAuthorizer.node(of: request) else { return false }
        return NodeAuthorizer.authorize(request, node: node, graph: graph).allowed
    }

    @Test func aNodeReadsWhatItsPodsReferToAndNothingElse() {
        var graph = NodeGraph()
        graph.apply(pod: Self.pod("web", node: "a"))
        graph.apply(claim: ["metadata": ["name": "data", "namespace": "shop"], "spec": ["volumeName": "pv-1"]])
        for secret in ["pull", "tls", "projected-secret", "db"] {
            #expect(Self.allowed(graph, Self.request("a", "get", "secrets", name: secret)), "\(secret)")
            #expect(!Self.allowed(graph, Self.request("b", "get", "secrets", name: secret)), "\(secret)")
        }
        for map in ["settings", "projected-map", "env-map"] {
            #expect(Self.allowed(graph, Self.request("a", "watch", "configmaps", name: map)), "\(map)")
        }
        #expect(Self.allowed(graph, Self.request("a", "get", "persistentvolumeclaims", name: "data")))
        #expect(Self.allowed(graph, Self.request("a", "get", "persistentvolumeclaims", name: "web-scratch")))
        #expect(Self.allowed(graph, Self.request("a", "get", "persistentvolumes", name: "pv-1", namespace: "")))
        #expect(!Self.allowed(graph, Self.request("b", "get", "persistentvolumes", name: "pv-1", namespace: "")))
        #expect(Self.allowed(graph, Self.request("a", "create", "serviceaccounts", name: "runner", subresource: "token")))
        #expect(!Self.allowed(graph, Self.request("a", "create", "serviceaccounts", name: "default", subresource: "token")))

        let unrelated = Self.request("b", "get", "secrets", name: "tls")
        #expect(NodeAuthorizer.authorize(unrelated, node: "b", graph: graph).reason == "no relationship found between node 'b' and this object")
        // Only single objects, and only reads.
        #expect(!Self.allowed(graph, Self.request("a", "list", "secrets", name: "")))
        #expect(!Self.allowed(graph, Self.request("a", "update", "secrets", name: "tls")))
    }

    @Test func unboundDeletedAndMovedPodsGrantNothing() {
        var graph = NodeGraph()
        graph.apply(pod: Self.pod("web", node: nil))
        #expect(!Self.allowed(graph, Self.request("a", "get", "secrets", name: "tls")))
        graph.apply(pod: Self.pod("web", node: "a"))
        graph.apply(pod: Self.pod("other", node: "a"))
        graph.removePod(namespace: "shop", name: "web")
        #expect(Self.allowed(graph, Self.request("a", "get", "secrets", name: "tls")), "the other pod still refers to it")
        graph.removePod(namespace: "shop", name: "other")
        #expect(!Self.allowed(graph, Self.request("a", "get", "secrets", name: "tls")))
    }

    @Test func leasesAreTheNodesOwnAndTheRestFollowsTheNodeRole() {
        let graph = NodeGraph()
        #expect(Self.allowed(graph, Self.request("a", "update", "leases", name: "a", namespace: "kube-node-lease", group: "coordination.k8s.io")))
        #expect(!Self.allowed(graph, Self.request("a", "update", "leases", name: "b", namespace: "kube-node-lease", group: "coordination.k8s.io")))
        #expect(Self.allowed(graph, Self.request("a", "patch", "nodes", name: "a", namespace: "", subresource: "status")))
        #expect(Self.allowed(graph, Self.request("a", "list", "pods", name: "", namespace: "")))
        #expect(!Self.allowed(graph, Self.request("a", "delete", "nodes", name: "b", namespace: "")))
        #expect(!Self.allowed(graph, Self.request("a", "create", "deployments", name: "", group: "apps")))
        // Users other than nodes are not the Node authorizer's.
        #expect(NodeAuthorizer.node(of: .resource(user: "system:node:a", groups: [], verb: "get", apiGroup: "", resource: "pods")) == nil)
        #expect(NodeAuthorizer.node(of: .resource(user: "skiff:agent", groups: ["system:nodes"], verb: "get", apiGroup: "", resource: "pods")) == nil)
    }
}
