import APIMachinery
import Foundation
import KubeObjects

/// What a Job's pods add up to, and what the Job should do next: pure functions over the Job and its pods.
enum JobStatus {
    struct Counts: Equatable {
        var active: Int64
        var ready: Int64
        var succeeded: Int64
        var failed: Int64
    }

    enum Verdict: Equatable {
        case running(createPods: Int64)
        case complete
        case failed(reason: String, message: String)
    }

    static func counts(_ pods: [JSONValue]) -> Counts {
        var counts = Counts(active: 0, ready: 0, succeeded: 0, failed: 0)
        for pod in pods {
            switch Pod(pod).status.phase {
            case "Succeeded": counts.succeeded += 1
            case "Failed": counts.failed += 1
            default:
                guard !pod.metadata.isDeleting else { continue }
                counts.active += 1
                let ready = pod[path: "status", "conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }
                if ready?["status"]?.stringValue == "True" { counts.ready += 1 }
            }
        }
        return counts
    }

    /// The next step for a Job: fail it past its backoff limit or deadline, complete it when enough pods succeeded,
    /// or keep `parallelism` pods running (never more than the completions still needed).
    static func verdict(spec: JSONValue, counts: Counts, activeSeconds: TimeInterval?) -> Verdict {
        let backoffLimit = spec["backoffLimit"]?.integerValue ?? 6
        if counts.failed > backoffLimit {
            return .failed(reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit")
        }
        if let deadline = spec["activeDeadlineSeconds"]?.integerValue, let activeSeconds, activeSeconds >= TimeInterval(deadline) {
            return .failed(reason: "DeadlineExceeded", message: "Job was active longer than specified deadline")
        }
        let parallelism = spec["parallelism"]?.integerValue ?? 1
        if let completions = spec["completions"]?.integerValue {
            if counts.succeeded >= completions { return counts.active == 0 ? .complete : .running(createPods: 0) }
            let wanted = min(parallelism, completions - counts.succeeded)
            return .running(createPods: max(0, wanted - counts.active))
        }
        // Without completions the Job is a work queue: done once a pod succeeded and the rest have finished.
        if counts.succeeded > 0 { return counts.active == 0 ? .complete : .running(createPods: 0) }
        return .running(createPods: max(0, parallelism - counts.active))
    }

    /// The delay before replacing failed pods: 10 s doubling per failure, at most 6 minutes (the Job back-off).
    static func backoff(failures: Int64) -> TimeInterval {
        guard failures > 0 else { return 0 }
        return min(10 * pow(2, Double(failures - 1)), 360)
    }
}

/// Indexed Jobs (`completionMode: Indexed`): each index 0…completions-1 must succeed once.
enum JobIndexes {
    static let annotation = "batch.kubernetes.io/job-completion-index"

    static func index(of pod: JSONValue) -> Int? {
        pod.metadata.annotations[annotation].flatMap { Int($0) }
    }

    static func succeeded(_ pods: [JSONValue]) -> Set<Int> {
        Set(pods.filter { $0[path: "status", "phase"]?.stringValue == "Succeeded" }.compactMap(index(of:)))
    }

    static func active(_ pods: [JSONValue]) -> Set<Int> {
        Set(
            pods.filter { pod in
                let phase = Pod(pod).status.phase
                return phase != "Succeeded" && phase != "Failed" && !pod.metadata.isDeleting
            }.compactMap(index(of:)))
    }

    /// The lowest indexes that neither succeeded nor run, at most `count` of them.
    static func toStart(completions: Int, succeeded: Set<Int>, active: Set<Int>, count: Int) -> [Int] {
        Array((0..<completions).lazy.filter { !succeeded.contains($0) && !active.contains($0) }.prefix(max(0, count)))
    }

    /// `status.completedIndexes` as Kubernetes writes it: sorted, consecutive runs as ranges (`0-2,4`).
    static func format(_ indexes: Set<Int>) -> String {
        var parts: [String] = []
        var sorted = indexes.sorted()[...]
        while let first = sorted.first {
            var last = first
            sorted = sorted.dropFirst()
            while let next = sorted.first, next == last + 1 {
                last = next
                sorted = sorted.dropFirst()
            }
            parts.append(first == last ? "\(first)" : "\(first)-\(last)")
        }
        return parts.joined(separator: ",")
    }
}
