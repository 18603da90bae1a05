import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging

/// Runs Jobs to completion, as Kubernetes' job controller: keeps `parallelism` pods running until `completions`
/// succeeded (or, without completions, until one succeeded and the rest finished), replaces failed pods after the
/// Job back-off until `backoffLimit` (as the pod failure policy counts failures), enforces `activeDeadlineSeconds`,
/// writes the status and conditions (`SuccessCriteriaMet`/`Complete`, `FailureTarget`/`Failed`) and deletes finished
/// Jobs after `ttlSecondsAfterFinished`.
public final class JobController: Sendable {
    private let client: KubeClient
    private let jobs: Informer
    private let pods: Informer
    private let recorder: EventRecorder
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let queue = WorkQueue<ObjectKey>()
    private let expectations = ControllerExpectations()

    public init(context: ControllerContext, now: @escaping @Sendable () -> Date = { Date() }) {
        client = context.client
        jobs = context.informer(.jobs)
        pods = context.informer(.pods)
        recorder = context.recorder(component: "job-controller")
        logger = context.logger
        self.now = now
    }

    public func run() async {
        let watches: [Watch] = [
            .own(jobs, into: queue),
            .createdPods(pods, by: "Job", apiVersion: "batch/v1", expectations: expectations, into: queue),
        ]
        await ControllerWorkers.run(queue, watching: watches, workers: 2, name: "job", logger: logger) { key throws(APIError) in
            try await self.reconcile(key)
        }
    }


    static func condition(_ type: String, of job: JSONValue) -> JSONValue? {
        job[path: "status", "conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type && $0["status"]?.stringValue == "True" }
    }

    private func reconcile(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard let job = jobs.get(key) else {
            expectations.forget(key)
            return .done
        }
        guard !job.metadata.isDeleting else { return .done }
        if let finished = Self.condition("Complete", of: job) ?? Self.condition("Failed", of: job) {
            return try await expireIfDue(job, key: key, finishedAt: finished["lastTransitionTime"]?.stringValue)
        }
        guard expectations.satisfied(key), let uid = job[path: "metadata", "uid"]?.stringValue else { return .done }
        let owned = pods.list { pod in
            pod.metadata.controllerRef?.uid == uid
        }
        var counts = JobStatus.counts(owned)
        // Failures the pod failure policy ignores do not count; one it says fails the Job, does.
        var policyFailure: String?
        if let policy = job[path: "spec", "podFailurePolicy"] {
            for pod in owned where Pod(pod).status.phase == "Failed" {
                switch PodFailurePolicy.outcome(of: pod, policy: policy) {
                case .ignore: counts.failed -= 1
                case .failJob(let message): policyFailure = policyFailure ?? message
                case .count: break
                }
            }
        }
        let indexed = job[path: "spec", "completionMode"]?.stringValue == "Indexed"
        let succeededIndexes = JobIndexes.succeeded(owned)
        if indexed {
            // An Indexed Job counts each index once, however many of its pods succeeded.
            counts.succeeded = Int64(succeededIndexes.count)
        }
        let time = now()
        let started = job[path: "status", "startTime"]?.stringValue.flatMap(KubeTime.parse) ?? time
        let spec = job["spec"] ?? .emptyObject
        var status = job["status"] ?? .emptyObject
        status["startTime"] = .string(KubeTime.format(started))
        status["active"] = .integer(counts.active)
        status["ready"] = .integer(counts.ready)
        status["succeeded"] = .integer(counts.succeeded)
        status["failed"] = .integer(counts.failed)
        if indexed {
            status["completedIndexes"] = succeededIndexes.isEmpty ? JSONValue?.none : .string(JobIndexes.format(succeededIndexes))
        }
        var result = ReconcileResult.done

        let verdict =
            policyFailure.map { JobStatus.Verdict.failed(reason: "PodFailurePolicy", message: $0) }
            ?? JobStatus.verdict(spec: spec, counts: counts, activeSeconds: time.timeIntervalSince(started))
        switch verdict {
        case .failed(let reason, let message):
            for pod in owned where !pod.metadata.isDeleting && !Self.isFinished(pod) {
                try await deletePod(pod)
            }
            status["active"] = 0
            status["ready"] = 0
            status["conditions"] = .array(
                Self.conditions(of: job) + [Self.condition("FailureTarget", reason, message, at: time), Self.condition("Failed", reason, message, at: time)])
            recorder.record(job, type: .warning, reason: reason, message: message)
        case .complete:
            status["completionTime"] = .string(KubeTime.format(time))
            let reason = "CompletionsReached"
            let message = "Reached expected number of succeeded pods"
            status["conditions"] = .array(
                Self.conditions(of: job) + [
                    Self.condition("SuccessCriteriaMet", reason, message, at: time), Self.condition("Complete", reason, message, at: time),
                ])
            recorder.record(job, type: .normal, reason: "Completed", message: "Job completed")
        case .running(let missing):
            if missing > 0 {
                let lastFailure = owned.compactMap(Self.finishedAt).max()
                let wait = lastFailure.map { $0.addingTimeInterval(JobStatus.backoff(failures: counts.failed)).timeIntervalSince(time) } ?? 0
                if counts.failed > 0 && wait > 0 {
                    result = .requeue(after: .milliseconds(Int64(wait * 1000) + 10))
                } else if indexed {
                    let indexes = JobIndexes.toStart(
                        completions: Int(spec["completions"]?.integerValue ?? 1), succeeded: succeededIndexes, active: JobIndexes.active(owned),
                        count: Int(missing))
                    try await createPods(indexes.map(Optional.some), for: job, key: key)
                } else {
                    try await createPods(Array(repeating: nil, count: Int(missing)), for: job, key: key)
                }
            }
            if let deadline = spec["activeDeadlineSeconds"]?.integerValue, case .done = result {
                let remaining = started.addingTimeInterval(TimeInterval(deadline)).timeIntervalSince(time)
                result = .requeue(after: .milliseconds(Int64(max(0, remaining) * 1000) + 10))
            }
        }
        if status != job["status"] {
            var updated = job
            updated["status"] = status
            _ = try await client.update(.jobs, updated, subresource: "status")
        }
        return result
    }

    /// Creates one pod per entry; an entry with an index makes the pod of that index of an Indexed Job.
    private func createPods(_ indexes: [Int?], for job: JSONValue, key: ObjectKey) async throws(APIError) {
        guard !indexes.isEmpty else { return }
        let name = key.name
        var metadata: [String: JSONValue] = [
            "generateName": .string("\(name)-"), "namespace": .string(key.namespace ?? "default"),
            "ownerReferences": [
                [
                    "apiVersion": "batch/v1", "kind": "Job", "name": .string(name), "uid": job[path: "metadata", "uid"] ?? .null,
                    "controller": true, "blockOwnerDeletion": true,
                ]
            ],
        ]
        metadata["labels"] = job[path: "spec", "template", "metadata", "labels"]
        metadata["annotations"] = job[path: "spec", "template", "metadata", "annotations"]
        let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": job[path: "spec", "template", "spec"] ?? .emptyObject]
        expectations.expectCreations(key, indexes.count)
        for index in indexes {
            do throws(APIError) {
                let created = try await client.create(.pods, namespace: key.namespace, index.map { Self.indexed(pod, index: $0, job: name) } ?? pod)
                recorder.record(job, type: .normal, reason: "SuccessfulCreate", message: "Created pod: \(created.metadata.name)")
            } catch {
                expectations.creationObserved(key)
                recorder.record(job, type: .warning, reason: "FailedCreate", message: "Error creating: \(error.message)")
                throw error
            }
        }
    }

    /// The pod of one index: named and labelled with it, hostname `<job>-<index>`, and `JOB_COMPLETION_INDEX` in every
    /// container's environment, as Kubernetes' job controller makes it.
    static func indexed(_ pod: JSONValue, index: Int, job: String) -> JSONValue {
        var pod = pod
        let text = JSONValue.string(String(index))
        pod[path: "metadata", "generateName"] = .string("\(job)-\(index)-")
        pod[path: "metadata", "annotations", JobIndexes.annotation] = text
        pod[path: "metadata", "labels", JobIndexes.annotation] = text
        pod[path: "spec", "hostname"] = .string("\(job)-\(index)")
        let variable: JSONValue = [
            "name": "JOB_COMPLETION_INDEX",
            "valueFrom": ["fieldRef": ["fieldPath": .string("metadata.annotations['\(JobIndexes.annotation)']")]],
        ]
        for field in ["initContainers", "containers"] {
            guard var containers = pod[path: "spec", field]?.arrayValue else { continue }
            for position in containers.indices {
                var env = containers[position]["env"]?.arrayValue ?? []
                if !env.contains(where: { $0["name"]?.stringValue == "JOB_COMPLETION_INDEX" }) { env.append(variable) }
                containers[position]["env"] = .array(env)
            }
            pod[path: "spec", field] = .array(containers)
        }
        return pod
    }

    private func deletePod(_ pod: JSONValue) async throws(APIError) {
        let options: JSONValue = ["preconditions": ["uid": pod[path: "metadata", "uid"] ?? .null]]
        do throws(APIError) {
            try await client.delete(
                .pods, namespace: pod.metadata.namespace, name: pod.metadata.name,
                options: options)
        } catch where error.isNotFound || error.isConflict {
            return
        }
    }

    /// A finished Job with `ttlSecondsAfterFinished` is deleted (its pods with it) once the time has passed.
    private func expireIfDue(_ job: JSONValue, key: ObjectKey, finishedAt: String?) async throws(APIError) -> ReconcileResult {
        guard let ttl = job[path: "spec", "ttlSecondsAfterFinished"]?.integerValue else { return .done }
        let finished = finishedAt.flatMap(KubeTime.parse) ?? now()
        let remaining = finished.addingTimeInterval(TimeInterval(ttl)).timeIntervalSince(now())
        if remaining > 0 { return .requeue(after: .milliseconds(Int64(remaining * 1000) + 10)) }
        let options: JSONValue = ["propagationPolicy": "Background", "preconditions": ["uid": job[path: "metadata", "uid"] ?? .null]]
        do throws(APIError) {
            try await client.delete(.jobs, namespace: key.namespace, name: key.name, options: options)
        } catch where error.isNotFound || error.isConflict {
            return .done
        }
        return .done
    }

    static func isFinished(_ pod: JSONValue) -> Bool {
        let phase = Pod(pod).status.phase
        return phase == "Succeeded" || phase == "Failed"
    }

    /// When a failed pod's last container stopped, for the back-off before its replacement.
    static func finishedAt(_ pod: JSONValue) -> Date? {
        guard Pod(pod).status.phase == "Failed" else { return nil }
        return (pod[path: "status", "containerStatuses"]?.arrayValue ?? []).compactMap {
            $0[path: "state", "terminated", "finishedAt"]?.stringValue.flatMap(KubeTime.parse)
        }.max()
    }

    static func conditions(of job: JSONValue) -> [JSONValue] {
        job[path: "status", "conditions"]?.arrayValue ?? []
    }

    static func condition(_ type: String, _ reason: String, _ message: String, at time: Date) -> JSONValue {
        let stamp = JSONValue.string(KubeTime.format(time))
        return [
            "type": .string(type), "status": "True", "reason": .string(reason), "message": .string(message), "lastProbeTime": stamp,
            "lastTransitionTime": stamp,
        ]
    }
}
