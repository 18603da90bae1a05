import APIMachinery
import Foundation
import KubeObjects

/// The replica counts of a ReplicaSet's status, computed from the pods it owns (Kubernetes' `calculateStatus`).
struct ReplicaSetStatus: Equatable {
    var replicas: Int64 = 0
    /// Pods carrying every label of the template (pods whose labels were changed after creation may not).
    var fullyLabeledReplicas: Int64 = 0
    var readyReplicas: Int64 = 0
    var availableReplicas: Int64 = 0
    /// When the earliest ready-but-not-yet-available pod becomes available: the status must be looked at again then.
    var nextAvailable: Date?

    /// Counts the active pods the set owns.
    init(pods: [JSONValue], templateLabels: [String: String], minReadySeconds: Int64, now: Date) {
        for pod in pods {
            replicas += 1
            let labels = pod.metadata.labels
            if templateLabels.allSatisfy({ labels[$0.key] == $0.value }) { fullyLabeledReplicas += 1 }
            guard Pod(pod).isReady else { continue }
            readyReplicas += 1
            if PodReadiness.isAvailable(pod, minReadySeconds: minReadySeconds, now: now) {
                availableReplicas += 1
            } else if let since = PodReadiness.readySince(pod) {
                let at = since.addingTimeInterval(TimeInterval(minReadySeconds))
                nextAvailable = min(nextAvailable ?? at, at)
            }
        }
    }

    /// Why the last attempt to create or delete pods failed, for the `ReplicaFailure` condition.
    struct Failure: Equatable {
        /// `FailedCreate` or `FailedDelete`.
        var reason: String
        var message: String
    }

    /// The status object to write: `previous` with the counts and observed generation, zero counts left out as
    /// Kubernetes' `omitempty` does (except `replicas`, which is always written). A `ReplicaFailure` condition is
    /// added when pods could not be created or deleted and removed once they could; an existing one is kept as is.
    func applied(to previous: JSONValue?, generation: JSONValue?, failure: Failure? = nil, now: Date = Date()) -> JSONValue {
        var status = previous ?? .emptyObject
        var conditions = status["conditions"]?.arrayValue ?? []
        let failing = conditions.contains { $0["type"]?.stringValue == "ReplicaFailure" }
        if let failure, !failing {
            conditions.append([
                "type": "ReplicaFailure", "status": "True", "reason": .string(failure.reason), "message": .string(failure.message),
                "lastTransitionTime": .string(KubeTime.format(now)),
            ])
            status["conditions"] = .array(conditions)
        } else if failure == nil, failing {
            conditions.removeAll { $0["type"]?.stringValue == "ReplicaFailure" }
            status["conditions"] = conditions.isEmpty ? JSONValue?.none : .array(conditions)
        }
        status["replicas"] = .integer(replicas)
        status["fullyLabeledReplicas"] = fullyLabeledReplicas > 0 ? .integer(fullyLabeledReplicas) : nil
        status["readyReplicas"] = readyReplicas > 0 ? .integer(readyReplicas) : nil
        status["availableReplicas"] = availableReplicas > 0 ? .integer(availableReplicas) : nil
        status["observedGeneration"] = generation
        return status
    }
}
