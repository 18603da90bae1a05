import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import Controllers
import Foundation
import HollowNodes
import KubeClient
import Testing

/// The deployment controller, with the replica set controller and hollow nodes, against a real in-process API server.
@Suite("deployment controller")
struct DeploymentControllerTests {
    static let labels: JSONValue = ["app": "web"]

    static func deployment(
        replicas: Int64, image: String = "nginx:1.25", strategy: JSONValue? = nil, extra: [String: JSONValue] = [:]
    ) -> JSONValue {
        var spec: [String: JSONValue] = [
            "replicas": .integer(replicas), "selector": ["matchLabels": labels],
            // Bound up front: no scheduler runs here, and the hollow node runs whatever is bound to it.
            "template": [
                "metadata": ["labels": labels],
                "spec": ["nodeName": "hollow-node-0", "containers": [["name": "app", "image": .string(image)]]],
            ],
        ]
        if let strategy { spec["strategy"] = strategy }
        for (field, value) in extra { spec[field] = value }
        return ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web", "namespace": "default"], "spec": .object(spec)]
    }

    /// The deployment and replica set controllers with their informers, and hollow nodes when `nodes` is given.
    /// Without `replicaSetController` the test plays that controller, writing the ReplicaSets' status itself.
    static func start(
        _ cluster: InProcessCluster, nodes: HollowNodeOptions?, clock: ManualClock? = nil, replicaSetController runsReplicaSets: Bool = true
    ) -> Task<Void, Never> {
        let client = cluster.client()
        let now: @Sendable () -> Date
        if let clock { now = clock.source } else { now = { Date() } }
        // Events are named after their time, as in Kubernetes: on a clock that stands still they would collide, so
        // the context's recorders keep real time.
        let context = ControllerContext(client: client, logger: cluster.logger)
        let deploymentController = DeploymentController(context: context, now: now)
        var bodies: [@Sendable () async -> Void] = [context.run, deploymentController.run]
        if runsReplicaSets { bodies.append(ReplicaSetController(kind: .replicaSet, context: context).run) }
        if let nodes {
            let pool = HollowNodePool(client: client, options: nodes, logger: cluster.logger)
            bodies.append { await pool.run() }
        }
        return Workloads.start(bodies)
    }

    static func status(_ client: KubeClient) async throws -> JSONValue {
        try await client.get(.deployments, namespace: "default", name: "web")["status"] ?? .emptyObject
    }

    /// Every replica of the current template is there and available, as `kubectl rollout status` waits for.
    static func rolledOut(_ client: KubeClient, replicas: Int64) async throws -> Bool {
        let deployment = try await client.get(.deployments, namespace: "default", name: "web")
        let status = deployment["status"] ?? .emptyObject
        return status["observedGeneration"] == deployment[path: "metadata", "generation"] && status["updatedReplicas"] == .integer(replicas)
            && status["replicas"] == .integer(replicas) && status["availableReplicas"] == .integer(replicas)
            && Workloads.condition("Progressing", of: deployment)?["reason"] == "NewReplicaSetAvailable"
    }

    static func replicaSets(_ client: KubeClient) async throws -> [JSONValue] {
        try await Workloads.list(client, .replicaSets).sorted { revision($0) < revision($1) }
    }

    static func revision(_ replicaSet: JSONValue) -> Int {
        replicaSet[path: "metadata", "annotations", "deployment.kubernetes.io/revision"]?.stringValue.flatMap { Int($0) } ?? 0
    }

    /// The image of a pod's (or pod template's) one container.
    static func image(_ pod: JSONValue) -> String? {
        pod[path: "spec", "containers"]?.arrayValue?.first?["image"]?.stringValue
    }

    /// The `spec.replicas` of each ReplicaSet, oldest revision first.
    static func sizes(_ client: KubeClient) async throws -> [Int64] {
        try await replicaSets(client).map { $0[path: "spec", "replicas"]?.integerValue ?? 0 }
    }

    /// Writes the counts the replica set controller reports for the ReplicaSet of `revision`.
    static func report(_ client: KubeClient, revision: Int, replicas: Int64, available: Int64) async throws {
        let replicaSet = try #require(try await replicaSets(client).first { Self.revision($0) == revision })
        let status: JSONValue = [
            "replicas": .integer(replicas), "readyReplicas": .integer(available), "availableReplicas": .integer(available),
            "observedGeneration": replicaSet[path: "metadata", "generation"] ?? 1,
        ]
        _ = try await client.patch(
            .replicaSets, namespace: "default", name: Workloads.name(replicaSet), type: .merge, ["status": status], subresource: "status")
    }

    static func setImage(_ client: KubeClient, _ image: String) async throws {
        let patch: JSONValue = ["spec": ["template": ["spec": ["containers": [["name": "app", "image": .string(image)]]]]]]
        _ = try await client.patch(.deployments, namespace: "default", name: "web", type: .strategicMerge, patch)
    }

    @Test func aNewDeploymentGetsOneReplicaSetNamedByItsTemplateHashWithEveryReplicaAvailable() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let running = Self.start(cluster, nodes: HollowNodeOptions(count: 1))
        defer { running.cancel() }

        let created = try await client.create(.deployments, namespace: "default", Self.deployment(replicas: 3))
        let available = try await eventually(timeout: .seconds(60)) { try await Self.rolledOut(client, replicas: 3) }
        #expect(available)

        let sets = try await Self.replicaSets(client)
        #expect(sets.count == 1)
        let replicaSet = try #require(sets.first)
        let hash = try #require(replicaSet[path: "metadata", "labels", "pod-template-hash"]?.stringValue)
        #expect(Workloads.name(replicaSet) == "web-\(hash)")
        #expect(replicaSet[path: "spec", "selector", "matchLabels", "pod-template-hash"]?.stringValue == hash)
        #expect(replicaSet[path: "spec", "template", "metadata", "labels", "pod-template-hash"]?.stringValue == hash)
        #expect(Self.revision(replicaSet) == 1)
        #expect(replicaSet[path: "spec", "replicas"] == 3)
        let owner = replicaSet[path: "metadata", "ownerReferences"]?.arrayValue?.first
        #expect(owner?["kind"] == "Deployment" && owner?["uid"] == created[path: "metadata", "uid"] && owner?["controller"] == true)

        let deployment = try await client.get(.deployments, namespace: "default", name: "web")
        #expect(deployment[path: "metadata", "annotations", "deployment.kubernetes.io/revision"] == "1")
        #expect(deployment[path: "status", "readyReplicas"] == 3)
        #expect(Workloads.condition("Available", of: deployment)?["status"] == "True")
        let progressing = Workloads.condition("Progressing", of: deployment)
        #expect(progressing?["status"] == "True")
        #expect(progressing?["message"]?.stringValue == "ReplicaSet \"web-\(hash)\" has successfully progressed.")

        let pods = try await Workloads.list(client, .pods)
        #expect(pods.count == 3)
        #expect(pods.allSatisfy { Workloads.name($0).hasPrefix("web-\(hash)-") })
        #expect(pods.allSatisfy { $0[path: "metadata", "labels", "pod-template-hash"]?.stringValue == hash })
        #expect(pods.allSatisfy(Workloads.isReady))
    }

    @Test func aTemplateChangeRollsOutWithinMaxSurgeAndMaxUnavailable() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        // Pods take a moment to start, so the rollout goes in several steps.
        let running = Self.start(cluster, nodes: HollowNodeOptions(count: 1, startDelay: .milliseconds(300)))
        defer { running.cancel() }
        // Every state the pods pass through: how many are available, how many exist (not terminating), how many are new.
        let pods = Informer(client: client, resource: .pods, logger: cluster.logger)
        let timeline = Timeline(pods) { pods -> (available: Int, total: Int, updated: Int) in
            let live = pods.filter { !Workloads.isTerminating($0) }
            let updated = live.filter { Self.image($0) == "nginx:1.26" }
            return (live.filter(Workloads.isReady).count, live.count, updated.count)
        }
        let watching = Task { await pods.run() }
        defer { watching.cancel() }

        let strategy: JSONValue = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": 1]]
        _ = try await client.create(.deployments, namespace: "default", Self.deployment(replicas: 4, strategy: strategy))
        let first = try await eventually(timeout: .seconds(60)) { try await Self.rolledOut(client, replicas: 4) }
        #expect(first)
        await pods.waitForSync()
        let settled = await eventually(timeout: .seconds(30)) { timeline.all.last.map { $0.available == 4 && $0.total == 4 } ?? false }
        #expect(settled)
        timeline.reset()

        try await Self.setImage(client, "nginx:1.26")
        let second = try await eventually(timeout: .seconds(90)) {
            try await Self.rolledOut(client, replicas: 4) && timeline.all.last.map { $0.updated == 4 && $0.total == 4 } ?? false
        }
        #expect(second)

        let samples = timeline.all
        #expect(!samples.isEmpty)
        let fewestAvailable = samples.map(\.available).min() ?? 0
        let most = samples.map(\.total).max() ?? 0
        #expect(fewestAvailable >= 4 - 1, "available pods never drop below replicas - maxUnavailable")
        #expect(most <= 4 + 1, "pods never exceed replicas + maxSurge")
        #expect(samples.contains { $0.updated > 0 && $0.updated < $0.total }, "old and new pods ran side by side")

        let sets = try await Self.replicaSets(client)
        #expect(sets.count == 2)
        #expect(sets.map(Self.revision) == [1, 2])
        #expect(sets.map { $0[path: "spec", "replicas"] } == [0, 4])
        let deployment = try await client.get(.deployments, namespace: "default", name: "web")
        #expect(deployment[path: "metadata", "annotations", "deployment.kubernetes.io/revision"] == "2")
        let message = Workloads.condition("Progressing", of: deployment)?["message"]?.stringValue
        #expect(message == "ReplicaSet \"\(Workloads.name(sets[1]))\" has successfully progressed.")
    }

    /// After every scale-down, an old ReplicaSet's status for a while counts more available pods than its spec asks
    /// for: the deployment controller's own update reaches its cache before the replica set controller has looked,
    /// and that controller then reports the pods it listed before deleting the surplus. Taking those departing pods
    /// for available ones would scale the old set below `replicas - maxUnavailable` available pods. Here the test
    /// plays the replica set controller, so that status stays behind for as long as the test wants.
    @Test func anOldSetWhoseStatusLagsItsScaleDownIsScaledDownNoFurtherUntilItCatchesUp() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let running = Self.start(cluster, nodes: nil, replicaSetController: false)
        defer { running.cancel() }
        // Every size the old set passes through, not just the ones a poll happens to catch.
        let replicaSets = Informer(client: client, resource: .replicaSets, logger: cluster.logger)
        let oldSizes = Timeline(replicaSets) { sets in
            sets.first { Self.revision($0) == 1 }.flatMap { $0[path: "spec", "replicas"]?.integerValue }
        }
        let watching = Task { await replicaSets.run() }
        defer { watching.cancel() }

        let strategy: JSONValue = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": 1]]
        _ = try await client.create(.deployments, namespace: "default", Self.deployment(replicas: 4, strategy: strategy))
        #expect(try await eventually(timeout: .seconds(30)) { try await Self.sizes(client) == [4] })
        try await Self.report(client, revision: 1, replicas: 4, available: 4)
        #expect(try await eventually(timeout: .seconds(30)) { try await Self.status(client)["availableReplicas"] == 4 })
        // The set is created empty and then sized: only what happens from here on counts.
        #expect(await eventually(timeout: .seconds(30)) { oldSizes.all.last == 4 })
        oldSizes.reset()

        try await Self.setImage(client, "nginx:1.26")
        // One new pod surges, one old pod goes as the unavailability budget allows, and a second new pod replaces it.
        #expect(try await eventually(timeout: .seconds(30)) { try await Self.sizes(client) == [3, 2] })
        // A new pod becomes available while the old set's status still counts the pod its scale-down is removing.
        try await Self.report(client, revision: 2, replicas: 2, available: 1)
        // The Deployment counts 4 + 1 available: the controller has acted on this view of its sets.
        #expect(try await eventually(timeout: .seconds(30)) { try await Self.status(client)["availableReplicas"] == 5 })
        #expect(try await Self.sizes(client) == [3, 2], "no old pod goes on the strength of a status that is behind")

        try await Self.report(client, revision: 1, replicas: 3, available: 3)
        #expect(try await eventually(timeout: .seconds(30)) { try await Self.sizes(client) == [2, 3] })
        #expect(oldSizes.all.compactMap { $0 }.min() == 2, "the old set never went below the 2 pods that keep 3 available")
    }

    @Test func recreateRemovesEveryOldPodBeforeCreatingNewOnes() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let running = Self.start(cluster, nodes: HollowNodeOptions(count: 1, startDelay: .milliseconds(200)))
        defer { running.cancel() }
        let pods = Informer(client: client, resource: .pods, logger: cluster.logger)
        // Old pods still there (terminating or not) and new pods, after every change.
        let timeline = Timeline(pods) { pods -> (old: Int, new: Int) in
            let new = pods.filter { Self.image($0) == "nginx:1.26" }.count
            return (pods.count - new, new)
        }
        let watching = Task { await pods.run() }
        defer { watching.cancel() }

        _ = try await client.create(.deployments, namespace: "default", Self.deployment(replicas: 3, strategy: ["type": "Recreate"]))
        let first = try await eventually(timeout: .seconds(60)) { try await Self.rolledOut(client, replicas: 3) }
        #expect(first)
        timeline.reset()

        try await Self.setImage(client, "nginx:1.26")
        let second = try await eventually(timeout: .seconds(90)) {
            try await Self.rolledOut(client, replicas: 3) && timeline.all.last.map { $0.old == 0 && $0.new == 3 } ?? false
        }
        #expect(second)
        let samples = timeline.all
        #expect(samples.contains { $0.old > 0 }, "the old pods were seen going")
        #expect(!samples.contains { $0.old > 0 && $0.new > 0 }, "no new pod exists while an old one does")
        let sets = try await Self.replicaSets(client)
        #expect(sets.map { $0[path: "spec", "replicas"] } == [0, 3])
    }

    @Test func revisionHistoryLimitKeepsOnlyTheNewestOldReplicaSets() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let running = Self.start(cluster, nodes: HollowNodeOptions(count: 1))
        defer { running.cancel() }

        _ = try await client.create(.deployments, namespace: "default", Self.deployment(replicas: 2, extra: ["revisionHistoryLimit": 1]))
        let first = try await eventually(timeout: .seconds(60)) { try await Self.rolledOut(client, replicas: 2) }
        #expect(first)
        for (index, image) in ["nginx:1.26", "nginx:1.27", "nginx:1.28"].enumerated() {
            try await Self.setImage(client, image)
            let rolled = try await eventually(timeout: .seconds(60)) {
                let deployment = try await client.get(.deployments, namespace: "default", name: "web")
                let revision = deployment[path: "metadata", "annotations", "deployment.kubernetes.io/revision"]
                guard revision == .string(String(index + 2)) else { return false }
                return try await Self.rolledOut(client, replicas: 2)
            }
            #expect(rolled, "rollout to \(image)")
        }
        // Revisions 1 and 2 are pruned; the current one (4) and one old one (3) remain.
        let pruned = try await eventually(timeout: .seconds(30)) { try await Self.replicaSets(client).map(Self.revision) == [3, 4] }
        #expect(pruned)
        let sets = try await Self.replicaSets(client)
        #expect(sets.map { Self.image($0[path: "spec", "template"] ?? .emptyObject) } == ["nginx:1.27", "nginx:1.28"])
        #expect(sets.map { $0[path: "spec", "replicas"] } == [0, 2])
    }

    @Test func aRolloutWhosePodsNeverBecomeReadyExceedsItsProgressDeadline() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let clock = ManualClock()
        // No nodes: the pods stay Pending for ever.
        let running = Self.start(cluster, nodes: nil, clock: clock)
        defer { running.cancel() }

        _ = try await client.create(.deployments, namespace: "default", Self.deployment(replicas: 3, extra: ["progressDeadlineSeconds": 3]))
        let progressing = try await eventually(timeout: .seconds(30)) {
            let deployment = try await client.get(.deployments, namespace: "default", name: "web")
            let condition = Workloads.condition("Progressing", of: deployment)
            return deployment[path: "status", "replicas"] == 3 && condition?["status"] == "True" && condition?["reason"] == "ReplicaSetUpdated"
        }
        #expect(progressing)
        // More real time than the deadline passes, but the controller's clock stands still: still progressing.
        try await Task.sleep(for: .seconds(4))
        let waiting = try await client.get(.deployments, namespace: "default", name: "web")
        #expect(Workloads.condition("Progressing", of: waiting)?["status"] == "True")

        clock.advance(by: 4)
        let exceeded = try await eventually(timeout: .seconds(30)) {
            let deployment = try await client.get(.deployments, namespace: "default", name: "web")
            return Workloads.condition("Progressing", of: deployment)?["reason"] == "ProgressDeadlineExceeded"
        }
        #expect(exceeded)
        let deployment = try await client.get(.deployments, namespace: "default", name: "web")
        let condition = Workloads.condition("Progressing", of: deployment)
        #expect(condition?["status"] == "False")
        let replicaSet = try #require(try await Self.replicaSets(client).first)
        #expect(condition?["message"]?.stringValue == "ReplicaSet \"\(Workloads.name(replicaSet))\" has timed out progressing.")
        #expect(Workloads.condition("Available", of: deployment)?["status"] == "False")
        #expect(deployment[path: "status", "availableReplicas"] == 0)
        #expect(deployment[path: "status", "unavailableReplicas"] == 3)
    }
}
