import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import Controllers
import Foundation
import HollowNodes
import KubeClient
import Testing

/// The replica set controller with hollow nodes against a real in-process API server.
@Suite("replica set controller")
struct ReplicaSetControllerTests {
    static let labels: JSONValue = ["app": "web"]

    static func replicaSet(_ replicas: Int64) -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": ["name": "web", "namespace": "default"],
            "spec": [
                "replicas": .integer(replicas), "selector": ["matchLabels": labels],
                // Bound up front: no scheduler runs here, and the hollow node runs whatever is bound to it.
                "template": ["metadata": ["labels": labels], "spec": ["nodeName": "hollow-node-0", "containers": [["name": "app", "image": "nginx"]]]],
            ],
        ]
    }

    static func orphan(_ name: String, node: String?) -> JSONValue {
        var spec: JSONValue = ["containers": [["name": "app", "image": "nginx"]]]
        if let node { spec["nodeName"] = .string(node) }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "default", "labels": labels], "spec": spec]
    }

    /// The active pods in `default` and the uid of their controller.
    static func livePods(_ client: KubeClient) async throws -> [(name: String, owner: String?)] {
        let items = try await client.list(.pods, namespace: "default")["items"]?.arrayValue ?? []
        return items.filter { $0[path: "metadata", "deletionTimestamp"] == nil }.map { pod in
            (
                pod[path: "metadata", "name"]?.stringValue ?? "",
                pod[path: "metadata", "ownerReferences"]?.arrayValue?.first { $0["controller"] == true }?["uid"]?.stringValue
            )
        }
    }

    @Test func keepsTheReplicaCountAdoptsOrphansAndDeletesTheCheapestPods() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let context = ControllerContext(client: client, logger: cluster.logger)
        let controller = ReplicaSetController(kind: .replicaSet, context: context)
        let nodes = HollowNodePool(client: client, options: HollowNodeOptions(count: 1), logger: cluster.logger)
        let running = Workloads.start([context.run, controller.run, nodes.run])
        defer { running.cancel() }

        // An orphan that matches is adopted by a set that asks for nothing yet, then deleted as surplus.
        let created = try await client.create(.replicaSets, namespace: "default", Self.replicaSet(0))
        let uid = try #require(created[path: "metadata", "uid"]?.stringValue)
        _ = try await client.create(.pods, namespace: "default", Self.orphan("stray", node: "hollow-node-0"))
        let strayGone = try await eventually(timeout: .seconds(20)) { try await Self.livePods(client).isEmpty }
        #expect(strayGone)

        // 0 → 5: five pods, each named after the set and controlled by it, all ready.
        _ = try await client.patch(.replicaSets, namespace: "default", name: "web", type: .merge, ["spec": ["replicas": 5]])
        let scaledUp = try await eventually(timeout: .seconds(30)) {
            let status = try await client.get(.replicaSets, namespace: "default", name: "web")["status"]
            return status?["readyReplicas"] == 5 && status?["availableReplicas"] == 5 && status?["replicas"] == 5
        }
        #expect(scaledUp)
        let five = try await Self.livePods(client)
        #expect(five.count == 5)
        #expect(five.allSatisfy { $0.owner == uid && $0.name.hasPrefix("web-") && $0.name.count == "web-".count + 5 })

        // A deleted pod is replaced.
        let lost = try #require(five.first?.name)
        try await client.delete(.pods, namespace: "default", name: lost, options: ["gracePeriodSeconds": 0])
        let replaced = try await eventually(timeout: .seconds(30)) {
            let live = try await Self.livePods(client)
            return live.count == 5 && !live.contains { $0.name == lost }
        }
        #expect(replaced)

        // A sixth, unassigned pod is adopted, and being the cheapest to lose, it is the one deleted.
        let before = Set(try await Self.livePods(client).map(\.name))
        _ = try await client.create(.pods, namespace: "default", Self.orphan("unassigned", node: nil))
        let trimmed = try await eventually(timeout: .seconds(30)) {
            let live = try await Self.livePods(client)
            return Set(live.map(\.name)) == before
        }
        #expect(trimmed)

        // 5 → 2.
        _ = try await client.patch(.replicaSets, namespace: "default", name: "web", type: .merge, ["spec": ["replicas": 2]])
        let scaledDown = try await eventually(timeout: .seconds(30)) {
            let status = try await client.get(.replicaSets, namespace: "default", name: "web")["status"]
            return try await Self.livePods(client).count == 2 && status?["replicas"] == 2
        }
        #expect(scaledDown)

        let reasons = try await eventually {
            let events = try await client.list(.events, namespace: "default")["items"]?.arrayValue ?? []
            let reasons = Set(events.compactMap { $0["reason"]?.stringValue })
            return reasons.isSuperset(of: ["SuccessfulCreate", "SuccessfulDelete"])
        }
        #expect(reasons)
    }

    @Test func aReplicationControllerSelectsByLabelMap() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let context = ControllerContext(client: client, logger: cluster.logger)
        let controller = ReplicaSetController(kind: .replicationController, context: context)
        let running = Workloads.start([context.run, controller.run])
        defer { running.cancel() }
        let rc: JSONValue = [
            "apiVersion": "v1", "kind": "ReplicationController", "metadata": ["name": "legacy", "namespace": "default"],
            "spec": [
                "replicas": 3, "selector": Self.labels,
                "template": ["metadata": ["labels": Self.labels], "spec": ["containers": [["name": "app", "image": "nginx"]]]],
            ],
        ]
        let created = try await client.create(.replicationControllers, namespace: "default", rc)
        let three = try await eventually(timeout: .seconds(20)) {
            let status = try await client.get(.replicationControllers, namespace: "default", name: "legacy")["status"]
            return try await Self.livePods(client).count == 3 && status?["replicas"] == 3
        }
        #expect(three)
        let controllers = try await Self.livePods(client).map(\.owner)
        #expect(controllers.allSatisfy { $0 == created[path: "metadata", "uid"]?.stringValue })
    }
}
