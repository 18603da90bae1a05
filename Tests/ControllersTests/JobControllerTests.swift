import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import Controllers
import Foundation
import HollowNodes
import KubeClient
import Testing

/// The job controller with hollow nodes against a real in-process API server. The pods' annotations script their
/// hollow containers: how long they run and what they exit with.
@Suite("job controller")
struct JobControllerTests {
    static func job(
        _ name: String, runSeconds: Double, exitCode: Int = 0, spec extra: [String: JSONValue] = [:]
    ) -> JSONValue {
        let annotations: JSONValue = [
            "hollow.skiff.dev/run-seconds": .string(String(runSeconds)), "hollow.skiff.dev/exit-code": .string(String(exitCode)),
        ]
        var spec: [String: JSONValue] = [
            "template": [
                "metadata": ["labels": ["job": .string(name)], "annotations": annotations],
                // Bound up front: no scheduler runs here, and the hollow node runs whatever is bound to it.
                "spec": ["nodeName": "hollow-node-0", "restartPolicy": "Never", "containers": [["name": "work", "image": "busybox"]]],
            ]
        ]
        for (field, value) in extra { spec[field] = value }
        return ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": .string(name), "namespace": "default"], "spec": .object(spec)]
    }

    /// The job controller with its informers and one hollow node, both reading `clock` when given.
    static func start(_ cluster: InProcessCluster, clock: ManualClock? = nil) -> Task<Void, Never> {
        let client = cluster.client()
        let now: @Sendable () -> Date
        if let clock { now = clock.source } else { now = { Date() } }
        // Events are named after their time, as in Kubernetes: on a clock that stands still they would collide, so
        // the context's recorders keep real time.
        let context = ControllerContext(client: client, logger: cluster.logger)
        let controller = JobController(context: context, now: now)
        let nodes = HollowNodePool(client: client, options: HollowNodeOptions(count: 1), logger: cluster.logger, now: now)
        return Workloads.start([context.run, controller.run, nodes.run])
    }

    static func get(_ client: KubeClient, _ name: String) async throws -> JSONValue {
        try await client.get(.jobs, namespace: "default", name: name)
    }

    /// The Job's condition of `type` when it is True, as `kubectl wait --for=condition=…` waits for.
    static func condition(_ type: String, _ job: JSONValue) -> JSONValue? {
        Workloads.condition(type, of: job).flatMap { $0["status"] == "True" ? $0 : nil }
    }

    static func pods(_ client: KubeClient, _ job: String) async throws -> [JSONValue] {
        try await Workloads.list(client, .pods, selector: "job=\(job)")
    }

    static func phases(_ pods: [JSONValue]) -> [String] {
        pods.map { $0[path: "status", "phase"]?.stringValue ?? "Pending" }.sorted()
    }

    @Test func runsParallelismPodsAtATimeUntilCompletionsSucceeded() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let running = Self.start(cluster)
        defer { running.cancel() }
        let watched = Informer(client: client, resource: .pods, logger: cluster.logger)
        // How many of the Job's pods run at once, after every change.
        let timeline = Timeline(watched) { pods in
            pods.filter { pod in
                let phase = pod[path: "status", "phase"]?.stringValue
                return !Workloads.isTerminating(pod) && phase != "Succeeded" && phase != "Failed"
            }.count
        }
        let watching = Task { await watched.run() }
        defer { watching.cancel() }

        _ = try await client.create(.jobs, namespace: "default", Self.job("calc", runSeconds: 0.5, spec: ["completions": 4, "parallelism": 2]))
        let complete = try await eventually(timeout: .seconds(60)) { Self.condition("Complete", try await Self.get(client, "calc")) != nil }
        #expect(complete)
        let job = try await Self.get(client, "calc")
        #expect(job[path: "status", "succeeded"] == 4)
        #expect(job[path: "status", "failed"] == nil || job[path: "status", "failed"] == 0)
        #expect(job[path: "status", "completionTime"] != nil)
        #expect(Self.condition("SuccessCriteriaMet", job) != nil)
        let pods = try await Self.pods(client, "calc")
        #expect(Self.phases(pods) == ["Succeeded", "Succeeded", "Succeeded", "Succeeded"])
        #expect(pods.allSatisfy { Workloads.name($0).hasPrefix("calc-") })
        let samples = timeline.all
        #expect(samples.max() == 2, "two pods ran at once, never more")
    }

    @Test func failingPodsAreRetriedAfterABackOffUntilTheBackoffLimit() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let clock = ManualClock()
        let running = Self.start(cluster, clock: clock)
        defer { running.cancel() }

        _ = try await client.create(.jobs, namespace: "default", Self.job("flaky", runSeconds: 0, exitCode: 1, spec: ["backoffLimit": 2]))
        let firstFailure = try await eventually(timeout: .seconds(30)) { try await Self.get(client, "flaky")[path: "status", "failed"] == 1 }
        #expect(firstFailure)
        // The replacement waits out the back-off (10 s, then 20 s) on the controller's clock.
        try await Task.sleep(for: .seconds(1))
        #expect(try await Self.pods(client, "flaky").count == 1, "no retry before the back-off has passed")

        clock.advance(by: 10)
        try await Workloads.touch(client, .jobs, "flaky")
        let secondFailure = try await eventually(timeout: .seconds(30)) { try await Self.get(client, "flaky")[path: "status", "failed"] == 2 }
        #expect(secondFailure)
        #expect(Self.condition("Failed", try await Self.get(client, "flaky")) == nil, "backoffLimit 2 allows a third attempt")

        clock.advance(by: 20)
        try await Workloads.touch(client, .jobs, "flaky")
        let failed = try await eventually(timeout: .seconds(30)) { Self.condition("Failed", try await Self.get(client, "flaky")) != nil }
        #expect(failed)
        let job = try await Self.get(client, "flaky")
        #expect(Self.condition("Failed", job)?["reason"] == "BackoffLimitExceeded")
        #expect(Self.condition("FailureTarget", job)?["reason"] == "BackoffLimitExceeded")
        #expect(Self.condition("Complete", job) == nil)
        #expect(job[path: "status", "failed"] == 3)
        #expect(Self.phases(try await Self.pods(client, "flaky")) == ["Failed", "Failed", "Failed"])
        let warned = try await eventually {
            try await Workloads.list(client, .events).contains { $0["reason"] == "BackoffLimitExceeded" && $0["type"] == "Warning" }
        }
        #expect(warned)
    }

    @Test func aJobActiveLongerThanItsDeadlineFailsAndItsPodsAreStopped() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let clock = ManualClock()
        let running = Self.start(cluster, clock: clock)
        defer { running.cancel() }

        _ = try await client.create(
            .jobs, namespace: "default", Self.job("slow", runSeconds: 3600, spec: ["parallelism": 2, "completions": 2, "activeDeadlineSeconds": 2]))
        let active = try await eventually(timeout: .seconds(30)) {
            let status = try await Self.get(client, "slow")["status"]
            return status?["active"] == 2 && status?["ready"] == 2
        }
        #expect(active)
        // More real time than the deadline passes, but the controller's clock stands still.
        try await Task.sleep(for: .seconds(3))
        #expect(Self.condition("Failed", try await Self.get(client, "slow")) == nil)

        clock.advance(by: 3)
        let failed = try await eventually(timeout: .seconds(30)) { Self.condition("Failed", try await Self.get(client, "slow")) != nil }
        #expect(failed)
        let job = try await Self.get(client, "slow")
        #expect(Self.condition("Failed", job)?["reason"] == "DeadlineExceeded")
        #expect(job[path: "status", "active"] == nil || job[path: "status", "active"] == 0)
        let stopped = try await eventually(timeout: .seconds(30)) { try await Self.pods(client, "slow").isEmpty }
        #expect(stopped, "the running pods are deleted")
    }

    @Test func anIndexedJobRunsEachCompletionIndexOnce() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let running = Self.start(cluster)
        defer { running.cancel() }

        let spec: [String: JSONValue] = ["completions": 3, "parallelism": 3, "completionMode": "Indexed"]
        _ = try await client.create(.jobs, namespace: "default", Self.job("shard", runSeconds: 0.3, spec: spec))
        let complete = try await eventually(timeout: .seconds(60)) { Self.condition("Complete", try await Self.get(client, "shard")) != nil }
        #expect(complete)
        let job = try await Self.get(client, "shard")
        #expect(job[path: "status", "completedIndexes"] == "0-2")
        #expect(job[path: "status", "succeeded"] == 3)

        let pods = try await Self.pods(client, "shard")
        let indexes = pods.compactMap { $0[path: "metadata", "annotations", "batch.kubernetes.io/job-completion-index"]?.stringValue }
        #expect(indexes.sorted() == ["0", "1", "2"])
        for pod in pods {
            let index = pod[path: "metadata", "annotations", "batch.kubernetes.io/job-completion-index"]?.stringValue ?? "?"
            #expect(Workloads.name(pod).hasPrefix("shard-\(index)-"))
            #expect(pod[path: "metadata", "labels", "batch.kubernetes.io/job-completion-index"]?.stringValue == index)
            #expect(pod[path: "spec", "hostname"]?.stringValue == "shard-\(index)")
            let env = pod[path: "spec", "containers"]?.arrayValue?.first?["env"]?.arrayValue ?? []
            #expect(env.contains { $0["name"] == "JOB_COMPLETION_INDEX" })
            #expect(pod[path: "status", "phase"] == "Succeeded")
        }
    }

    @Test func aFinishedJobIsDeletedOnceItsTimeToLiveHasPassed() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let clock = ManualClock()
        let running = Self.start(cluster, clock: clock)
        defer { running.cancel() }

        _ = try await client.create(.jobs, namespace: "default", Self.job("brief", runSeconds: 0, spec: ["ttlSecondsAfterFinished": 2]))
        let complete = try await eventually(timeout: .seconds(30)) { Self.condition("Complete", try await Self.get(client, "brief")) != nil }
        #expect(complete)
        // More real time than the time to live passes, but the controller's clock stands still.
        try await Task.sleep(for: .seconds(3))
        #expect(try await Workloads.find(client, .jobs, "brief") != nil)

        clock.advance(by: 3)
        let deleted = try await eventually(timeout: .seconds(30)) { try await Workloads.find(client, .jobs, "brief") == nil }
        #expect(deleted)
    }
}
