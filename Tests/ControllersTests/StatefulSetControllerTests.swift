import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import Controllers
import Foundation
import HollowNodes
import KubeClient
import Testing

/// The statefulset controller with hollow nodes against a real in-process API server.
@Suite("statefulset controller")
struct StatefulSetControllerTests {
    /// What `kubectl get pods` shows of one pod, enough to tell the order things happened in.
    enum PodState: Sendable, Equatable {
        case pending, ready, terminating
    }

    static func statefulSet(
        _ name: String, replicas: Int64, node: String = "hollow-node-0", policy: String? = nil, claims: Bool = false
    ) -> JSONValue {
        let labels: JSONValue = ["app": .string(name)]
        var spec: JSONValue = [
            "replicas": .integer(replicas), "serviceName": .string(name), "selector": ["matchLabels": labels],
            // Bound up front: no scheduler runs here, and the hollow node runs whatever is bound to it.
            "template": ["metadata": ["labels": labels], "spec": ["nodeName": .string(node), "containers": [["name": "app", "image": "nginx"]]]],
        ]
        if let policy { spec["podManagementPolicy"] = .string(policy) }
        if claims {
            spec["volumeClaimTemplates"] = [
                [
                    "metadata": ["name": "data"],
                    "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]],
                ]
            ]
        }
        return ["apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": ["name": .string(name), "namespace": "default"], "spec": spec]
    }

    /// The statefulset controller with its informers, and hollow nodes when `nodes` is given.
    static func start(_ cluster: InProcessCluster, nodes: HollowNodeOptions?) -> Task<Void, Never> {
        let client = cluster.client()
        let context = ControllerContext(client: client, logger: cluster.logger)
        let controller = StatefulSetController(context: context)
        var bodies: [@Sendable () async -> Void] = [context.run, controller.run]
        if let nodes {
            let pool = HollowNodePool(client: client, options: nodes, logger: cluster.logger)
            bodies.append { await pool.run() }
        }
        return Workloads.start(bodies)
    }

    static func state(_ pod: JSONValue) -> PodState {
        Workloads.isTerminating(pod) ? .terminating : Workloads.isReady(pod) ? .ready : .pending
    }

    static func pods(_ client: KubeClient, _ set: String) async throws -> [String: JSONValue] {
        var byName: [String: JSONValue] = [:]
        for pod in try await Workloads.list(client, .pods, selector: "app=\(set)") { byName[Workloads.name(pod)] = pod }
        return byName
    }

    @Test func orderedReadyCreatesPodsOneAtATimeWithAClaimEachAndRemovesThemInReverse() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        // Each pod takes a moment to become ready, so the controller has to wait for it.
        let running = Self.start(cluster, nodes: HollowNodeOptions(count: 1, startDelay: .milliseconds(400)))
        defer { running.cancel() }
        let watched = Informer(client: client, resource: .pods, logger: cluster.logger)
        let timeline = Timeline(watched) { pods in
            Dictionary(pods.map { (Workloads.name($0), Self.state($0)) }, uniquingKeysWith: { _, last in last })
        }
        let watching = Task { await watched.run() }
        defer { watching.cancel() }

        let created = try await client.create(.statefulSets, namespace: "default", Self.statefulSet("web", replicas: 3, claims: true))
        let up = try await eventually(timeout: .seconds(60)) {
            let status = try await client.get(.statefulSets, namespace: "default", name: "web")["status"]
            return status?["replicas"] == 3 && status?["readyReplicas"] == 3
        }
        #expect(up)

        // web-1 appears only once web-0 is ready, web-2 only once web-1 is.
        let scaleUp = timeline.all
        for sample in scaleUp {
            for ordinal in 1..<3 where sample["web-\(ordinal)"] != nil {
                let previous = sample["web-\(ordinal - 1)"]
                #expect(previous == .ready, "web-\(ordinal) exists while web-\(ordinal - 1) is \(String(describing: previous))")
            }
        }
        #expect(scaleUp.contains { $0 == ["web-0": .pending] }, "web-0 was waited for")
        #expect(scaleUp.contains { $0 == ["web-0": .ready, "web-1": .pending] }, "web-1 was waited for")

        let pods = try await Self.pods(client, "web")
        #expect(pods.keys.sorted() == ["web-0", "web-1", "web-2"])
        for (name, pod) in pods {
            #expect(pod[path: "spec", "hostname"]?.stringValue == name)
            #expect(pod[path: "spec", "subdomain"] == "web")
            #expect(pod[path: "metadata", "ownerReferences"]?.arrayValue?.first?["uid"] == created[path: "metadata", "uid"])
            let volume = pod[path: "spec", "volumes"]?.arrayValue?.first { $0["name"] == "data" }
            #expect(volume?[path: "persistentVolumeClaim", "claimName"]?.stringValue == "data-\(name)")
        }
        let claims = try await Workloads.list(client, .persistentVolumeClaims)
        #expect(claims.map(Workloads.name).sorted() == ["data-web-0", "data-web-1", "data-web-2"])
        #expect(claims.allSatisfy { $0[path: "metadata", "labels", "app"] == "web" && $0[path: "spec", "resources", "requests", "storage"] == "1Gi" })

        // 3 → 1: web-2 goes first, and web-1 only once web-2 is gone.
        timeline.reset()
        _ = try await client.patch(.statefulSets, namespace: "default", name: "web", type: .merge, ["spec": ["replicas": 1]])
        let down = try await eventually(timeout: .seconds(60)) {
            let status = try await client.get(.statefulSets, namespace: "default", name: "web")["status"]
            return try await Self.pods(client, "web").keys.sorted() == ["web-0"] && status?["replicas"] == 1
        }
        #expect(down)
        let seen = await eventually(timeout: .seconds(30)) { timeline.all.last.map { Array($0.keys) } == ["web-0"] }
        #expect(seen)
        var order: [String] = []
        for sample in timeline.all {
            for (name, state) in sample.sorted(by: { $0.key < $1.key }) where state == .terminating && !order.contains(name) { order.append(name) }
        }
        #expect(order == ["web-2", "web-1"])
        #expect(!timeline.all.contains { $0["web-1"] == .terminating && $0["web-2"] != nil }, "web-1 waits until web-2 is gone")
        let kept = try await Workloads.list(client, .persistentVolumeClaims)
        #expect(kept.count == 3, "claims outlive the pods scaled away")

        // A deleted pod comes back under the same name, with the same claim.
        let before = try #require(try await Self.pods(client, "web")["web-0"])
        let claim = try await client.get(.persistentVolumeClaims, namespace: "default", name: "data-web-0")
        try await client.delete(.pods, namespace: "default", name: "web-0")
        let replaced = try await eventually(timeout: .seconds(60)) {
            guard let pod = try await Self.pods(client, "web")["web-0"] else { return false }
            return pod[path: "metadata", "uid"] != before[path: "metadata", "uid"] && Workloads.isReady(pod)
        }
        #expect(replaced)
        let again = try await client.get(.persistentVolumeClaims, namespace: "default", name: "data-web-0")
        #expect(again[path: "metadata", "uid"] == claim[path: "metadata", "uid"])
        let pod = try #require(try await Self.pods(client, "web")["web-0"])
        #expect(pod[path: "spec", "volumes"]?.arrayValue?.first?[path: "persistentVolumeClaim", "claimName"] == "data-web-0")
    }

    @Test func parallelCreatesEveryPodAtOnceWhileOrderedReadyWaitsForTheFirst() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        // No nodes: the pods stay Pending, so nothing ever becomes ready.
        let running = Self.start(cluster, nodes: nil)
        defer { running.cancel() }

        _ = try await client.create(.statefulSets, namespace: "default", Self.statefulSet("ordered", replicas: 3, node: "nowhere"))
        let parallelSet = Self.statefulSet("parallel", replicas: 3, node: "nowhere", policy: "Parallel")
        _ = try await client.create(.statefulSets, namespace: "default", parallelSet)
        let all = try await eventually(timeout: .seconds(30)) {
            let status = try await client.get(.statefulSets, namespace: "default", name: "parallel")["status"]
            return try await Self.pods(client, "parallel").keys.sorted() == ["parallel-0", "parallel-1", "parallel-2"] && status?["replicas"] == 3
        }
        #expect(all)
        let parallel = try await Self.pods(client, "parallel")
        #expect(parallel.values.allSatisfy { !Workloads.isReady($0) })
        let first = try await eventually(timeout: .seconds(30)) { try await Self.pods(client, "ordered").keys.sorted() == ["ordered-0"] }
        #expect(first)
        let counted = try await eventually(timeout: .seconds(30)) {
            let status = try await client.get(.statefulSets, namespace: "default", name: "ordered")["status"]
            return status?["replicas"] == 1 && status?["readyReplicas"] == 0
        }
        #expect(counted)
        // Given time, the ordered set still waits for ordered-0 to become ready.
        try await Task.sleep(for: .seconds(1))
        #expect(try await Self.pods(client, "ordered").keys.sorted() == ["ordered-0"])
    }
}
