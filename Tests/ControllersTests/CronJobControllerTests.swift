import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import Controllers
import Foundation
import HollowNodes
import KubeClient
import Testing

/// The cronjob controller on a manual clock, with the job controller and hollow nodes running the Jobs it creates,
/// against a real in-process API server.
@Suite("cronjob controller")
struct CronJobControllerTests {
    static func cronJob(_ name: String, runSeconds: Double, spec extra: [String: JSONValue] = [:]) -> JSONValue {
        let template: JSONValue = [
            "metadata": ["labels": ["cron": .string(name)], "annotations": ["hollow.skiff.dev/run-seconds": .string(String(runSeconds))]],
            // Bound up front: no scheduler runs here, and the hollow node runs whatever is bound to it.
            "spec": ["nodeName": "hollow-node-0", "restartPolicy": "Never", "containers": [["name": "work", "image": "busybox"]]],
        ]
        var spec: [String: JSONValue] = ["schedule": "*/1 * * * *", "jobTemplate": ["spec": ["backoffLimit": 0, "template": template]]]
        for (field, value) in extra { spec[field] = value }
        return ["apiVersion": "batch/v1", "kind": "CronJob", "metadata": ["name": .string(name), "namespace": "default"], "spec": .object(spec)]
    }

    /// A CronJob created before its controller runs, and a manual clock that starts at its creation: no scheduled
    /// time has passed until the test moves the clock.
    struct Scheduled {
        let name: String
        let clock: ManualClock
        let running: Task<Void, Never>
        /// The controller's cache of CronJobs, to know when it has seen an edit.
        let cache: Informer
        /// The first scheduled time after the CronJob's creation.
        let firstMinute: Date

        /// The name of the Job for the scheduled time `minutes` after the first one.
        func jobName(_ minutes: Int) -> String {
            "\(name)-\(Int64(firstMinute.timeIntervalSince1970) / 60 + Int64(minutes))"
        }
    }

    static func schedule(_ cluster: InProcessCluster, _ cronJob: JSONValue) async throws -> Scheduled {
        let client = cluster.client()
        let created = try await client.create(.cronJobs, namespace: "default", cronJob)
        let creation = try #require(created[path: "metadata", "creationTimestamp"]?.stringValue.flatMap(KubeTime.parse))
        let clock = ManualClock(creation)
        let firstMinute = Date(timeIntervalSince1970: (creation.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)

        // Events are named after their time, as in Kubernetes: on a clock that stands still they would collide, so
        // the context's recorders keep real time.
        let context = ControllerContext(client: client, logger: cluster.logger)
        let cronJobController = CronJobController(context: context, now: clock.source)
        // The Jobs themselves run in real time: only the schedule is on the manual clock.
        let jobController = JobController(context: context)
        let nodes = HollowNodePool(client: client, options: HollowNodeOptions(count: 1), logger: cluster.logger)
        let running = Workloads.start([context.run, cronJobController.run, jobController.run, nodes.run])
        return Scheduled(
            name: Workloads.name(created), clock: clock, running: running, cache: context.informer(.cronJobs), firstMinute: firstMinute)
    }

    /// Moves the clock to one second past the scheduled time `minutes` after the first, and wakes the controller.
    static func advance(_ client: KubeClient, _ scheduled: Scheduled, toMinute minutes: Int) async throws {
        let target = scheduled.firstMinute.addingTimeInterval(TimeInterval(minutes * 60 + 1))
        scheduled.clock.advance(by: target.timeIntervalSince(scheduled.clock.now))
        try await Workloads.touch(client, .cronJobs, scheduled.name)
    }

    static func jobNames(_ client: KubeClient) async throws -> [String] {
        try await Workloads.list(client, .jobs).filter { !Workloads.isTerminating($0) }.map(Workloads.name).sorted()
    }

    static func activeNames(_ client: KubeClient, _ name: String) async throws -> [String] {
        let status = try await client.get(.cronJobs, namespace: "default", name: name)["status"]
        return (status?["active"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.sorted()
    }

    static func isComplete(_ job: JSONValue) -> Bool {
        Workloads.condition("Complete", of: job)?["status"] == "True"
    }

    @Test func aJobIsCreatedEachMinuteAsTheClockAdvances() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let scheduled = try await Self.schedule(cluster, Self.cronJob("tick", runSeconds: 0))
        defer { scheduled.running.cancel() }

        // Before the first scheduled time nothing runs, however long the test waits in real time.
        try await Workloads.touch(client, .cronJobs, "tick")
        try await Task.sleep(for: .seconds(1))
        #expect(try await Self.jobNames(client).isEmpty)

        for minute in 0..<3 {
            try await Self.advance(client, scheduled, toMinute: minute)
            let names = (0...minute).map(scheduled.jobName)
            let expected = JSONValue.string(KubeTime.format(scheduled.firstMinute.addingTimeInterval(TimeInterval(minute * 60))))
            let created = try await eventually(timeout: .seconds(30)) {
                let cronJob = try await client.get(.cronJobs, namespace: "default", name: "tick")
                return try await Self.jobNames(client) == names && cronJob[path: "status", "lastScheduleTime"] == expected
            }
            #expect(created, "one Job per scheduled time up to minute \(minute)")
        }
        let job = try await client.get(.jobs, namespace: "default", name: scheduled.jobName(0))
        let owner = job[path: "metadata", "ownerReferences"]?.arrayValue?.first
        #expect(owner?["kind"] == "CronJob" && owner?["name"] == "tick" && owner?["controller"] == true)
        let stamp = job[path: "metadata", "annotations", "batch.kubernetes.io/cronjob-scheduled-timestamp"]?.stringValue
        #expect(stamp == KubeTime.format(scheduled.firstMinute))
        let succeeded = try await eventually(timeout: .seconds(30)) {
            try await client.get(.cronJobs, namespace: "default", name: "tick")[path: "status", "lastSuccessfulTime"] != nil
        }
        #expect(succeeded, "the Jobs run to completion")
    }

    @Test func forbidSkipsWhileAJobRunsAndStartsOnceItIsGone() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let scheduled = try await Self.schedule(cluster, Self.cronJob("single", runSeconds: 3600, spec: ["concurrencyPolicy": "Forbid"]))
        defer { scheduled.running.cancel() }

        try await Self.advance(client, scheduled, toMinute: 0)
        let first = try await eventually(timeout: .seconds(30)) {
            let active = try await Self.activeNames(client, "single")
            let job = try await Workloads.find(client, .jobs, scheduled.jobName(0))
            return active == [scheduled.jobName(0)] && job?[path: "status", "active"] == 1
        }
        #expect(first)

        try await Self.advance(client, scheduled, toMinute: 1)
        try await Task.sleep(for: .seconds(1))
        #expect(try await Self.jobNames(client) == [scheduled.jobName(0)], "the next run is skipped while the first is active")
        #expect(try await Self.activeNames(client, "single") == [scheduled.jobName(0)])

        // Once the running Job is gone, the skipped run starts.
        try await client.delete(.jobs, namespace: "default", name: scheduled.jobName(0), options: ["propagationPolicy": "Background"])
        let second = try await eventually(timeout: .seconds(30)) {
            let active = try await Self.activeNames(client, "single")
            return try await Self.jobNames(client) == [scheduled.jobName(1)] && active == [scheduled.jobName(1)]
        }
        #expect(second)
    }

    @Test func replaceDeletesTheRunningJobForTheNextOne() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let scheduled = try await Self.schedule(cluster, Self.cronJob("fresh", runSeconds: 3600, spec: ["concurrencyPolicy": "Replace"]))
        defer { scheduled.running.cancel() }

        try await Self.advance(client, scheduled, toMinute: 0)
        let first = try await eventually(timeout: .seconds(30)) {
            try await Workloads.find(client, .jobs, scheduled.jobName(0))?[path: "status", "active"] == 1
        }
        #expect(first)

        try await Self.advance(client, scheduled, toMinute: 1)
        let replaced = try await eventually(timeout: .seconds(30)) {
            let active = try await Self.activeNames(client, "fresh")
            return try await Self.jobNames(client) == [scheduled.jobName(1)] && active == [scheduled.jobName(1)]
        }
        #expect(replaced)
        #expect(try await Workloads.find(client, .jobs, scheduled.jobName(0)).map(Workloads.isTerminating) ?? true, "the first Job is deleted")
    }

    @Test func successfulJobsBeyondTheHistoryLimitAreDeletedOldestFirst() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let scheduled = try await Self.schedule(cluster, Self.cronJob("tidy", runSeconds: 0, spec: ["successfulJobsHistoryLimit": 2]))
        defer { scheduled.running.cancel() }

        for minute in 0..<4 {
            try await Self.advance(client, scheduled, toMinute: minute)
            let done = try await eventually(timeout: .seconds(30)) {
                guard let job = try await Workloads.find(client, .jobs, scheduled.jobName(minute)) else { return false }
                return Self.isComplete(job)
            }
            #expect(done, "minute \(minute)")
        }
        let trimmed = try await eventually(timeout: .seconds(30)) {
            try await Self.jobNames(client) == [scheduled.jobName(2), scheduled.jobName(3)]
        }
        #expect(trimmed, "only the two newest successful Jobs are kept")
        let idle = try await eventually(timeout: .seconds(30)) {
            let status = try await client.get(.cronJobs, namespace: "default", name: "tidy")["status"]
            return status?["active"] == nil && status?["lastSuccessfulTime"] != nil
        }
        #expect(idle, "no Job is active once the last one finished")
    }

    @Test func aSuspendedCronJobCreatesNoJobs() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let scheduled = try await Self.schedule(cluster, Self.cronJob("paused", runSeconds: 0))
        defer { scheduled.running.cancel() }

        try await Self.advance(client, scheduled, toMinute: 0)
        // The first Job has run and the controller has seen it finish: nothing is left in flight.
        let first = try await eventually(timeout: .seconds(30)) {
            let cronJob = try await client.get(.cronJobs, namespace: "default", name: "paused")
            return try await Self.jobNames(client) == [scheduled.jobName(0)] && cronJob[path: "status", "lastSuccessfulTime"] != nil
        }
        #expect(first)

        _ = try await client.patch(.cronJobs, namespace: "default", name: "paused", type: .merge, ["spec": ["suspend": true]])
        // Only once the controller has seen the edit does the clock move: a pass on what it saw before would still schedule.
        let seen = await eventually(timeout: .seconds(30)) {
            scheduled.cache.get(ObjectKey(namespace: "default", name: "paused"))?[path: "spec", "suspend"] == true
        }
        #expect(seen)
        for minute in 1...2 {
            try await Self.advance(client, scheduled, toMinute: minute)
        }
        try await Task.sleep(for: .seconds(1))
        #expect(try await Self.jobNames(client) == [scheduled.jobName(0)], "no Job while suspended")
        let cronJob = try await client.get(.cronJobs, namespace: "default", name: "paused")
        #expect(cronJob[path: "status", "lastScheduleTime"]?.stringValue == KubeTime.format(scheduled.firstMinute))

        // Resumed, it catches up with the most recent missed time only.
        _ = try await client.patch(.cronJobs, namespace: "default", name: "paused", type: .merge, ["spec": ["suspend": false]])
        let resumed = try await eventually(timeout: .seconds(30)) {
            try await Self.jobNames(client) == [scheduled.jobName(0), scheduled.jobName(2)]
        }
        #expect(resumed)
    }
}
