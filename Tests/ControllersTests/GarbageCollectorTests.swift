import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import Controllers
import Foundation
import KubeClient
import Testing

/// The garbage collector against a real in-process API server: ConfigMaps own pods and other ConfigMaps.
@Suite("garbage collector")
struct GarbageCollectorTests {
    static func configMap(_ name: String, owners: [JSONValue] = []) -> JSONValue {
        var object: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": "default"]]
        if !owners.isEmpty { object[path: "metadata", "ownerReferences"] = .array(owners) }
        return object
    }

    static func pod(_ name: String, owners: [JSONValue]) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": "default", "ownerReferences": .array(owners)],
            "spec": ["containers": [["name": "app", "image": "nginx"]]],
        ]
    }

    static func reference(to owner: JSONValue, blocking: Bool = false) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "ConfigMap", "name": owner[path: "metadata", "name"] ?? "",
            "uid": owner[path: "metadata", "uid"] ?? "", "blockOwnerDeletion": .bool(blocking),
        ]
    }

    /// Runs the collector (with its informers) for the body's duration.
    static func withCollector(_ cluster: InProcessCluster, _ body: (KubeClient) async throws -> Void) async throws {
        let client = cluster.client()
        let context = ControllerContext(client: client, logger: cluster.logger)
        let collector = GarbageCollector(context: context)
        // Cancelled when the body returns; the task group ends with the informers and workers.
        let running = Workloads.start([context.run, collector.run])
        defer { running.cancel() }
        try await body(client)
    }

    static func gone(_ client: KubeClient, _ resource: ResourceType, _ name: String) async throws -> Bool {
        do throws(APIError) {
            _ = try await client.get(resource, namespace: "default", name: name)
            return false
        } catch where error.isNotFound {
            return true
        }
    }

    @Test func dependentsOfADeletedOwnerAreDeletedAndASharedDependentOnlyLosesTheReference() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        try await Self.withCollector(cluster) { client in
            let owner = try await client.create(.configMaps, namespace: "default", Self.configMap("owner"))
            let other = try await client.create(.configMaps, namespace: "default", Self.configMap("other"))
            _ = try await client.create(.pods, namespace: "default", Self.pod("child", owners: [Self.reference(to: owner)]))
            _ = try await client.create(.configMaps, namespace: "default", Self.configMap("shared", owners: [Self.reference(to: owner), Self.reference(to: other)]))
            _ = try await client.create(.configMaps, namespace: "default", Self.configMap("kept", owners: [Self.reference(to: other)]))

            try await client.delete(.configMaps, namespace: "default", name: "owner")
            #expect(try await eventually { try await Self.gone(client, .pods, "child") })
            let released = try await eventually {
                let shared = try await client.get(.configMaps, namespace: "default", name: "shared")
                return shared[path: "metadata", "ownerReferences"]?.arrayValue?.count == 1
            }
            #expect(released)
            let shared = try await client.get(.configMaps, namespace: "default", name: "shared")
            #expect(shared[path: "metadata", "ownerReferences"]?.arrayValue?.first?["name"] == "other")
            #expect(!(try await Self.gone(client, .configMaps, "kept")))
        }
    }

    @Test func orphanDeletionKeepsDependentsWithoutTheReference() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        try await Self.withCollector(cluster) { client in
            let owner = try await client.create(.configMaps, namespace: "default", Self.configMap("owner"))
            _ = try await client.create(.configMaps, namespace: "default", Self.configMap("child", owners: [Self.reference(to: owner)]))
            try await client.delete(.configMaps, namespace: "default", name: "owner", options: ["propagationPolicy": "Orphan"])
            #expect(try await eventually { try await Self.gone(client, .configMaps, "owner") })
            let child = try await client.get(.configMaps, namespace: "default", name: "child")
            #expect(child[path: "metadata", "ownerReferences"] == nil)
            try await Task.sleep(for: .milliseconds(200))
            #expect(!(try await Self.gone(client, .configMaps, "child")))
        }
    }

    @Test func foregroundDeletionRemovesDependentsBeforeTheOwner() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        try await Self.withCollector(cluster) { client in
            let owner = try await client.create(.configMaps, namespace: "default", Self.configMap("owner"))
            // The child blocks the owner and has its own finalizer, so the owner must stay until the child is gone.
            var child = Self.configMap("child", owners: [Self.reference(to: owner, blocking: true)])
            child[path: "metadata", "finalizers"] = ["example.com/hold"]
            _ = try await client.create(.configMaps, namespace: "default", child)
            _ = try await client.create(.pods, namespace: "default", Self.pod("grandchild", owners: [Self.reference(to: owner)]))

            try await client.delete(.configMaps, namespace: "default", name: "owner", options: ["propagationPolicy": "Foreground"])
            let childTerminating = try await eventually {
                try await client.get(.configMaps, namespace: "default", name: "child")[path: "metadata", "deletionTimestamp"] != nil
            }
            #expect(childTerminating)
            #expect(try await eventually { try await Self.gone(client, .pods, "grandchild") })
            let waiting = try await client.get(.configMaps, namespace: "default", name: "owner")
            #expect(waiting[path: "metadata", "finalizers"] == ["foregroundDeletion"], "the owner waits for its blocking dependent")

            let held = try await client.get(.configMaps, namespace: "default", name: "child")
            _ = try await client.patch(
                .configMaps, namespace: "default", name: "child", type: .merge,
                ["metadata": ["finalizers": .null, "resourceVersion": held[path: "metadata", "resourceVersion"] ?? ""]])
            #expect(try await eventually { try await Self.gone(client, .configMaps, "child") })
            #expect(try await eventually { try await Self.gone(client, .configMaps, "owner") })
        }
    }
    @Test func aPodOnANodeWaitsForItsFinalDeleteAfterTheForegroundFinalizerIsRemoved() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        try await Self.withCollector(cluster) { client in
            var pod = Self.pod("running", owners: [])
            pod[path: "metadata", "ownerReferences"] = nil
            pod[path: "spec", "nodeName"] = "somewhere"
            _ = try await client.create(.pods, namespace: "default", pod)
            try await client.delete(.pods, namespace: "default", name: "running", options: ["propagationPolicy": "Foreground"])
            let released = try await eventually {
                try await client.get(.pods, namespace: "default", name: "running")[path: "metadata", "finalizers"] == nil
            }
            #expect(released, "a pod without dependents loses the finalizer at once")
            #expect(!(try await Self.gone(client, .pods, "running")), "its grace period still runs")
            let current = try await client.get(.pods, namespace: "default", name: "running")
            try await client.delete(
                .pods, namespace: "default", name: "running",
                options: ["gracePeriodSeconds": 0, "preconditions": ["uid": current[path: "metadata", "uid"] ?? .null]])
            #expect(try await Self.gone(client, .pods, "running"))
        }
    }
}
