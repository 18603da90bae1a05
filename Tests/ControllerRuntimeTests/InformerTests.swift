import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import KubeClient
import Synchronization
import Testing

@Suite("informer against a real API server")
struct InformerTests {
    static let configMaps = ResourceType(group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespaced: true)

    static func configMap(_ name: String, _ value: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": "default"], "data": ["v": .string(value)]]
    }

    @Test func listsThenFollowsChangesAndCallsHandlers() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        _ = try await client.create(Self.configMaps, namespace: "default", Self.configMap("before", "1"))

        let informer = Informer(client: client, resource: Self.configMaps, namespace: "default", logger: cluster.logger)
        let seen = Mutex<[String]>([])
        informer.addHandler(
            InformerHandler(
                onAdd: { object in seen.withLock { $0.append("add \(ObjectKey(object))") } },
                onUpdate: { _, object in seen.withLock { $0.append("update \(ObjectKey(object)) \(object[path: "data", "v"]?.stringValue ?? "")") } },
                onDelete: { object in seen.withLock { $0.append("delete \(ObjectKey(object))") } }))
        let running = Task { await informer.run() }
        defer { running.cancel() }
        await informer.waitForSync()
        #expect(informer.get(ObjectKey(namespace: "default", name: "before"))?[path: "data", "v"] == "1")
        #expect(informer.get(ObjectKey(namespace: "default", name: "before"))?["kind"] == "ConfigMap", "cached list items carry their kind")

        var later = try await client.create(Self.configMaps, namespace: "default", Self.configMap("later", "a"))
        later["data"] = ["v": "b"]
        _ = try await client.update(Self.configMaps, later)
        try await client.delete(Self.configMaps, namespace: "default", name: "before")

        let complete = await eventually { seen.withLock { $0.count } >= 4 }
        #expect(complete)
        #expect(seen.withLock { $0 } == ["add default/before", "add default/later", "update default/later b", "delete default/before"])
        #expect(informer.list().count == 1)
    }
}
