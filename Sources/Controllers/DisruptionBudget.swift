import APIMachinery
import Foundation
import KubeObjects

/// The arithmetic of a PodDisruptionBudget's status, as Kubernetes' disruption controller computes it.
enum DisruptionBudget {
    struct Counts: Equatable {
        var expectedPods: Int64
        var currentHealthy: Int64
        var desiredHealthy: Int64
        var disruptionsAllowed: Int64
    }

    /// `minAvailable`/`maxUnavailable` as an int or a percentage of `expected`, rounded up as Kubernetes does.
    static func scaled(_ value: JSONValue, of expected: Int64) -> Int64? {
        if let number = value.integerValue { return number }
        guard let text = value.stringValue, text.hasSuffix("%"), let percent = Int64(text.dropLast()) else { return nil }
        return (percent * expected + 99) / 100
    }

    /// `healthy` counts matching pods that are Ready and not being deleted; `expected` is the pods the owners want
    /// (or the matching pod count for an integer `minAvailable`).
    static func counts(spec: JSONValue, healthy: Int64, expected: Int64) -> Counts {
        var desired: Int64 = 0
        if let minAvailable = spec["minAvailable"] {
            desired = scaled(minAvailable, of: expected) ?? 0
        } else if let maxUnavailable = spec["maxUnavailable"] {
            desired = max(0, expected - (scaled(maxUnavailable, of: expected) ?? 0))
        }
        return Counts(expectedPods: expected, currentHealthy: healthy, desiredHealthy: desired, disruptionsAllowed: max(0, healthy - desired))
    }

    /// Whether Kubernetes needs the owners' scale to know the expected count (anything but an integer minAvailable).
    static func needsScale(_ spec: JSONValue) -> Bool {
        spec["minAvailable"]?.integerValue == nil
    }

    static func isHealthy(_ pod: JSONValue) -> Bool {
        guard !pod.metadata.isDeleting else { return false }
        let ready = pod[path: "status", "conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }
        return ready?["status"]?.stringValue == "True"
    }
}
