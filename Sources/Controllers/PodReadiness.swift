import APIMachinery
import Foundation
import KubeObjects

/// A pod's readiness and availability as Kubernetes' `podutil` judges them.
enum PodReadiness {
    /// When the pod last became ready (its Ready condition's transition time), if it is ready.
    static func readySince(_ pod: JSONValue) -> Date? {
        guard let ready = Pod(pod).status.conditions["Ready"], ready.isTrue else { return nil }
        return ready.lastTransitionTime.flatMap(KubeTime.parse)
    }

    /// Ready for at least `minReadySeconds`; a ready pod without a transition time counts as available, as in
    /// Kubernetes' `IsPodAvailable`.
    static func isAvailable(_ pod: JSONValue, minReadySeconds: Int64, now: Date) -> Bool {
        guard Pod(pod).isReady else { return false }
        guard minReadySeconds > 0, let since = readySince(pod) else { return true }
        return since.addingTimeInterval(TimeInterval(minReadySeconds)) <= now
    }

    /// Counted as a replica: neither terminal nor being deleted (Kubernetes' `IsPodActive`).
    static func isActive(_ pod: JSONValue) -> Bool {
        !Pod(pod).isFinished && !pod.metadata.isDeleting
    }
}
