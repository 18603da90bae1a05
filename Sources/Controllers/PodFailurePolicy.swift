import APIMachinery
import KubeObjects

/// A Job's `spec.podFailurePolicy` (Kubernetes' pkg/controller/job/pod_failure_policy.go): the first rule a failed pod
/// matches decides what its failure means — `FailJob` fails the Job at once, `Ignore` keeps it from counting towards
/// `backoffLimit` (the pod is replaced all the same), `Count` counts it as without a policy.
enum PodFailurePolicy {
    enum Outcome: Equatable {
        case failJob(message: String)
        case ignore
        case count
    }

    /// What the policy makes of `pod`'s failure; `.count` when no rule matches.
    static func outcome(of pod: JSONValue, policy: JSONValue?) -> Outcome {
        let identity = "\(pod.metadata.namespace ?? "")/\(pod.metadata.name)"
        for (index, rule) in (policy?["rules"]?.arrayValue ?? []).enumerated() {
            let action = rule["action"]?.stringValue ?? ""
            let reason: String
            if let requirement = rule["onExitCodes"] {
                guard let (container, exitCode) = matchingContainer(pod, requirement) else { continue }
                reason = "Container \(container) for pod \(identity) failed with exit code \(exitCode) matching \(action) rule at index \(index)"
            } else if let patterns = rule["onPodConditions"]?.arrayValue {
                guard let condition = matchingCondition(pod, patterns) else { continue }
                reason = "Pod \(identity) has condition \(condition) matching \(action) rule at index \(index)"
            } else {
                continue
            }
            switch action {
            case "FailJob": return .failJob(message: reason)
            case "Ignore": return .ignore
            default: return .count
            }
        }
        return .count
    }

    /// The first container (init containers included) whose non-zero exit code the requirement's operator matches.
    private static func matchingContainer(_ pod: JSONValue, _ requirement: JSONValue) -> (String, Int64)? {
        let name = requirement["containerName"]?.stringValue
        let values = Set((requirement["values"]?.arrayValue ?? []).compactMap(\.integerValue))
        let wantIn = requirement["operator"]?.stringValue == "In"
        let statuses = (pod[path: "status", "initContainerStatuses"]?.arrayValue ?? []) + (pod[path: "status", "containerStatuses"]?.arrayValue ?? [])
        for status in statuses {
            guard let container = status["name"]?.stringValue, name == nil || name == container,
                let exitCode = status[path: "state", "terminated", "exitCode"]?.integerValue, exitCode != 0
            else { continue }
            if values.contains(exitCode) == wantIn { return (container, exitCode) }
        }
        return nil
    }

    /// The type of the first pod condition a pattern (`type`, `status` default True) matches.
    private static func matchingCondition(_ pod: JSONValue, _ patterns: [JSONValue]) -> String? {
        for condition in pod[path: "status", "conditions"]?.arrayValue ?? [] {
            guard let type = condition["type"]?.stringValue else { continue }
            for pattern in patterns where pattern["type"]?.stringValue == type
                && condition["status"]?.stringValue == (pattern["status"]?.stringValue ?? "True")
            {
                return type
            }
        }
        return nil
    }
}
