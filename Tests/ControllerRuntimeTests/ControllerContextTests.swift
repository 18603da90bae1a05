import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import KubeClient
import Synchronization
import Testing

@Suite("controller context and watches")
struct ControllerContextTests {
    @Test func controllersAskingForTheSameResourceShareOneInformer() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let context = ControllerContext(client: cluster.client(), logger: cluster.logger)
        #expect(context.informer(.pods) === context.informer(.pods))
        #expect(context.informer(.pods) !== context.informer(.pods, namespace: "default"))
        #expect(context.informer(.configMaps) !== context.informer(.configMaps, selectors: ListOptions(fieldSelector: "metadata.name=x")))
        #expect(context.acting(as: cluster.client("system:kube-scheduler")).informer(.pods) === context.informer(.pods))
        #expect(context.recorder(component: "job-controller") === context.recorder(component: "job-controller"))
        let pruned = context.informer(.pods, pruning: "names") { $0 }
        #expect(pruned !== context.informer(.pods), "no one else gets a pruned cache")
        #expect(pruned === context.informer(.pods, pruning: "names") { $0 })
    }

    @Test func aPrunedInformerCachesAndHandsOnWhatItsTransformKeeps() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let context = ControllerContext(client: client, logger: cluster.logger)
        let pruned = context.informer(.configMaps, namespace: "default", pruning: "metadata only") { object in
            ["metadata": object["metadata"] ?? .emptyObject]
        }
        let configMap: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "listed"], "data": ["big": "value"]]
        _ = try await client.create(.configMaps, namespace: "default", configMap)
        let handed = Mutex<[JSONValue]>([])
        pruned.addHandler(InformerHandler(onAdd: { object in handed.withLock { $0.append(object) } }))
        let running = Task { await context.run() }
        defer { running.cancel() }
        await pruned.waitForSync()
        var watched = configMap
        watched["metadata"] = ["name": "watched"]
        _ = try await client.create(.configMaps, namespace: "default", watched)
        #expect(await eventually { pruned.get(ObjectKey(namespace: "default", name: "watched")) != nil })
        for name in ["listed", "watched"] {
            let cached = pruned.get(ObjectKey(namespace: "default", name: name))
            #expect(cached?["data"] == nil && cached?[path: "metadata", "resourceVersion"] != nil, "\(name): the cached copy is pruned")
        }
        #expect(handed.withLock { $0.allSatisfy { $0["data"] == nil } } && handed.withLock { $0.count } == 2, "handlers get the pruned objects")
    }

    @Test func anInformerHandedOutAfterTheContextStartedRunsToo() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let context = ControllerContext(client: client, logger: cluster.logger)
        let early = context.informer(.configMaps, namespace: "default")
        let running = Task { await context.run() }
        defer { running.cancel() }
        await early.waitForSync()
        let late = context.informer(.secrets, namespace: "default")
        _ = try await client.create(
            .secrets, namespace: "default", ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "late"], "data": [:]])
        let seen = await eventually { late.get(ObjectKey(namespace: "default", name: "late")) != nil }
        #expect(seen, "the informer asked for after run() began lists and watches")
    }

    @Test func ownedObjectsMapToTheirControllersKey() {
        let pod: JSONValue = [
            "metadata": [
                "name": "web-abc", "namespace": "shop",
                "ownerReferences": [
                    ["apiVersion": "v1", "kind": "Node", "name": "n", "uid": "1"],
                    ["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "2", "controller": true],
                ],
            ]
        ]
        #expect(ObjectKey.owner(of: pod, kind: "ReplicaSet") == ObjectKey(namespace: "shop", name: "web"))
        #expect(ObjectKey.owner(of: pod, kind: "ReplicaSet", apiVersion: "apps/v1") != nil)
        #expect(ObjectKey.owner(of: pod, kind: "ReplicaSet", apiVersion: "extensions/v1beta1") == nil)
        #expect(ObjectKey.owner(of: pod, kind: "Node") == nil, "only the controller reference counts")
    }
}
