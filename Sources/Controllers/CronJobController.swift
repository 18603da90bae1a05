import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging

/// Creates Jobs on a CronJob's schedule, as Kubernetes' cronjob controller (v2): one Job per scheduled time
/// (`<name>-<minutes since the epoch>`), honouring `suspend`, `timeZone`, `startingDeadlineSeconds` and
/// `concurrencyPolicy` (Allow, Forbid, Replace), keeping `status.active`/`lastScheduleTime`/`lastSuccessfulTime`,
/// and trimming finished Jobs to the history limits.
public final class CronJobController: Sendable {
    private let client: KubeClient
    private let cronJobs: Informer
    private let jobs: Informer
    private let recorder: EventRecorder
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let queue = WorkQueue<ObjectKey>()

    public init(context: ControllerContext, now: @escaping @Sendable () -> Date = { Date() }) {
        client = context.client
        cronJobs = context.informer(.cronJobs)
        jobs = context.informer(.jobs)
        recorder = context.recorder(component: "cronjob-controller")
        logger = context.logger
        self.now = now
    }

    public func run() async {
        let watches: [Watch] = [.own(cronJobs, into: queue), .owned(jobs, by: "CronJob", into: queue)]
        await ControllerWorkers.run(queue, watching: watches, workers: 1, name: "cronjob", logger: logger) { key throws(APIError) in
            try await self.reconcile(key)
        }
    }


    static func isFinished(_ job: JSONValue) -> (finished: Bool, succeeded: Bool) {
        if JobController.condition("Complete", of: job) != nil { return (true, true) }
        if JobController.condition("Failed", of: job) != nil { return (true, false) }
        return (false, false)
    }

    /// The name of the Job for one scheduled time, as Kubernetes names it.
    static func jobName(cronJob: String, scheduled: Date) -> String {
        "\(cronJob)-\(Int64(scheduled.timeIntervalSince1970) / 60)"
    }

    /// The latest scheduled time in (`since`, `now`], or nil.
    static func mostRecentSchedule(_ schedule: CronExpression, since: Date, now: Date, timeZone: TimeZone) -> Date? {
        var latest: Date?
        var cursor = since
        // Bounded, so that a CronJob created long ago with a frequent schedule cannot keep the worker looping.
        for _ in 0..<100_000 {
            guard let next = schedule.next(after: cursor, in: timeZone), next <= now else { break }
            latest = next
            cursor = next
        }
        return latest
    }

    private func reconcile(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard let cronJob = cronJobs.get(key), !cronJob.metadata.isDeleting,
            let uid = cronJob[path: "metadata", "uid"]?.stringValue
        else { return .done }
        let spec = cronJob["spec"] ?? .emptyObject
        let timeZone = spec["timeZone"]?.stringValue.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC") ?? .current
        guard let schedule = CronExpression(spec["schedule"]?.stringValue ?? "") else {
            recorder.record(cronJob, type: .warning, reason: "UnparseableSchedule", message: "unparseable schedule: \(spec["schedule"]?.stringValue ?? "")")
            return .done
        }
        let time = now()
        let owned = jobs.list { $0.metadata.controllerRef?.uid == uid }
        var status = cronJob["status"] ?? .emptyObject

        // Status from the Jobs: which are still active, when one last succeeded.
        let active = owned.filter { !Self.isFinished($0).finished && !$0.metadata.isDeleting }
        var lastSuccess = status["lastSuccessfulTime"]?.stringValue.flatMap(KubeTime.parse)
        for job in owned where Self.isFinished(job).succeeded {
            if let completed = job[path: "status", "completionTime"]?.stringValue.flatMap(KubeTime.parse), completed > (lastSuccess ?? .distantPast) {
                lastSuccess = completed
            }
        }
        if let lastSuccess { status["lastSuccessfulTime"] = .string(KubeTime.format(lastSuccess)) }

        try await trimHistory(owned, spec: spec, cronJob: cronJob)

        var activeJobs = active
        let since = status["lastScheduleTime"]?.stringValue.flatMap(KubeTime.parse)
            ?? cronJob[path: "metadata", "creationTimestamp"]?.stringValue.flatMap(KubeTime.parse) ?? time
        if spec["suspend"]?.boolValue != true, let scheduled = Self.mostRecentSchedule(schedule, since: since, now: time, timeZone: timeZone) {
            let tooLate = spec["startingDeadlineSeconds"]?.integerValue.map { time.timeIntervalSince(scheduled) > TimeInterval($0) } ?? false
            let name = Self.jobName(cronJob: key.name, scheduled: scheduled)
            let policy = spec["concurrencyPolicy"]?.stringValue ?? "Allow"
            if tooLate {
                recorder.record(cronJob, type: .warning, reason: "MissSchedule", message: "Missed scheduled time to start a job: \(KubeTime.format(scheduled))")
                status["lastScheduleTime"] = .string(KubeTime.format(scheduled))
            } else if jobs.get(ObjectKey(namespace: key.namespace, name: name)) == nil {
                if policy == "Forbid" && !active.isEmpty {
                    // Skipped for now; looked at again when the running Job finishes.
                    return try await writeStatus(cronJob, status: status, active: activeJobs, requeue: nil)
                }
                if policy == "Replace" {
                    for job in active { try await deleteJob(job, cronJob: cronJob) }
                    activeJobs = []
                }
                let created = try await createJob(name: name, scheduled: scheduled, cronJob: cronJob, key: key)
                activeJobs.append(created)
                status["lastScheduleTime"] = .string(KubeTime.format(scheduled))
            } else {
                // The Job was created by an earlier pass whose status write was lost (a conflict): record its time now.
                status["lastScheduleTime"] = .string(KubeTime.format(scheduled))
            }
        }
        let next = spec["suspend"]?.boolValue == true ? nil : schedule.next(after: time, in: timeZone)
        return try await writeStatus(cronJob, status: status, active: activeJobs, requeue: next.map { $0.timeIntervalSince(time) + 0.1 })
    }

    private func writeStatus(_ cronJob: JSONValue, status: JSONValue, active: [JSONValue], requeue: TimeInterval?) async throws(APIError) -> ReconcileResult {
        var status = status
        let references = active.map { job -> JSONValue in
            [
                "apiVersion": "batch/v1", "kind": "Job", "name": job[path: "metadata", "name"] ?? .null,
                "namespace": job[path: "metadata", "namespace"] ?? .null, "uid": job[path: "metadata", "uid"] ?? .null,
                "resourceVersion": job[path: "metadata", "resourceVersion"] ?? .null,
            ]
        }
        status["active"] = references.isEmpty ? JSONValue?.none : .array(references)
        if status != (cronJob["status"] ?? .emptyObject) {
            var updated = cronJob
            updated["status"] = status
            _ = try await client.update(.cronJobs, updated, subresource: "status")
        }
        guard let requeue else { return .done }
        return .requeue(after: .milliseconds(Int64(max(0, requeue) * 1000)))
    }

    private func createJob(name: String, scheduled: Date, cronJob: JSONValue, key: ObjectKey) async throws(APIError) -> JSONValue {
        let template = cronJob[path: "spec", "jobTemplate"] ?? .emptyObject
        var annotations = template[path: "metadata", "annotations"]?.objectValue ?? [:]
        annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"] = .string(KubeTime.format(scheduled))
        var metadata: [String: JSONValue] = [
            "name": .string(name), "namespace": .string(key.namespace ?? "default"), "annotations": .object(annotations),
            "ownerReferences": [
                [
                    "apiVersion": "batch/v1", "kind": "CronJob", "name": .string(key.name), "uid": cronJob[path: "metadata", "uid"] ?? .null,
                    "controller": true, "blockOwnerDeletion": true,
                ]
            ],
        ]
        metadata["labels"] = template[path: "metadata", "labels"]
        let job: JSONValue = ["apiVersion": "batch/v1", "kind": "Job", "metadata": .object(metadata), "spec": template["spec"] ?? .emptyObject]
        do throws(APIError) {
            let created = try await client.create(.jobs, namespace: key.namespace, job)
            recorder.record(cronJob, type: .normal, reason: "SuccessfulCreate", message: "Created job \(name)")
            return created
        } catch where error.isAlreadyExists {
            return try await client.get(.jobs, namespace: key.namespace, name: name)
        }
    }

    /// Deletes the oldest finished Jobs beyond `successfulJobsHistoryLimit` (3) and `failedJobsHistoryLimit` (1).
    private func trimHistory(_ owned: [JSONValue], spec: JSONValue, cronJob: JSONValue) async throws(APIError) {
        // Creation times have whole seconds: Jobs made in the same second go by name, which orders them by scheduled time.
        let byAge: (JSONValue, JSONValue) -> Bool = {
            let (first, second) = ($0[path: "metadata", "creationTimestamp"]?.stringValue ?? "", $1[path: "metadata", "creationTimestamp"]?.stringValue ?? "")
            guard first == second else { return first < second }
            return ($0.metadata.name) < ($1.metadata.name)
        }
        let succeeded = owned.filter { Self.isFinished($0).succeeded }.sorted(by: byAge)
        let failed = owned.filter { Self.isFinished($0).finished && !Self.isFinished($0).succeeded }.sorted(by: byAge)
        let keepSucceeded = Int(spec["successfulJobsHistoryLimit"]?.integerValue ?? 3)
        let keepFailed = Int(spec["failedJobsHistoryLimit"]?.integerValue ?? 1)
        for job in succeeded.dropLast(max(0, keepSucceeded)) + failed.dropLast(max(0, keepFailed))
        where !job.metadata.isDeleting {
            try await deleteJob(job, cronJob: cronJob)
        }
    }

    private func deleteJob(_ job: JSONValue, cronJob: JSONValue) async throws(APIError) {
        let name = job.metadata.name
        let options: JSONValue = ["propagationPolicy": "Background", "preconditions": ["uid": job[path: "metadata", "uid"] ?? .null]]
        do throws(APIError) {
            try await client.delete(.jobs, namespace: job.metadata.namespace, name: name, options: options)
            recorder.record(cronJob, type: .normal, reason: "SuccessfulDelete", message: "Deleted job \(name)")
        } catch where error.isNotFound || error.isConflict {
            return
        }
    }
}
