import APIMachinery
import Foundation
import KubeObjects

/// A pod's readiness and availability as Kubernetes' `podutil` judges them.
enum PodReadiness {
    static func readyCondition(_ pod: JSONValue) -> JSONValue? {
        pod[path: "status", "conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }
    }

    static func isReady(_ pod: JSONValue) -> Bool {
        readyCondition(pod)?["status"]?.stringValue == "True"
    }

    /// When the pod last became ready (its Ready condition's transition time), if it is ready.
    static func readySince(_ pod: JSONValue) -> Date? {
        guard isReady(pod) else { return nil }
        return readyCondition(pod)?["lastTransitionTime"]?.stringValue.flatMap(KubeTime.parse)
    }

    /// Ready for at least `minReadySeconds`; a ready pod without a transition time counts as available, as in
    /// Kubernetes' `IsPodAvailable`.
    static func isAvailable(_ pod: JSONValue, minReadySeconds: Int64, now: Date) -> Bool {
        guard isReady(pod) else { return false }
        guard minReadySeconds > 0, let since = readySince(pod) else { return true }
        return since.addingTimeInterval(TimeInterval(minReadySeconds)) <= now
    }

    /// Succeeded or Failed: the pod will not run again and no longer counts as a replica.
    static func isTerminal(_ pod: JSONValue) -> Bool {
        let phase = pod[path: "status", "phase"]?.stringValue
        return phase == "Succeeded" || phase == "Failed"
    }

    /// Counted as a replica: neither terminal nor being deleted (Kubernetes' `IsPodActive`).
    static func isActive(_ pod: JSONValue) -> Bool {
        !isTerminal(pod) && !pod.metadata.isDeleting
    }
}
