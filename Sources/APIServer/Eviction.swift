import APIMachinery
import Foundation
import KubeObjects

/// The decisions of Kubernetes' eviction subresource (`pkg/registry/core/pod/storage/eviction.go`), apart from storage.
enum Eviction {
    /// Kubernetes refuses evictions once a budget lists this many evicted pods its controller has not yet seen gone.
    static let maximumDisruptedPods = 2000
    /// How often an eviction re-reads and retries after a conflicting write (Kubernetes' `EvictionsRetry` steps).
    static let conflictRetries = 20

    static let budgetResource = GroupResource(group: "policy", resource: "poddisruptionbudget")
    static let violationMessage = "Cannot evict pod as it would violate the pod's disruption budget."

    /// Pods that no budget protects: finished ones already caused their disruption, pending ones run nothing yet, and
    /// terminating ones are going anyway.
    static func canIgnoreBudgets(_ pod: JSONValue) -> Bool {
        ["Succeeded", "Failed", "Pending"].contains(phase(of: pod)) || ObjectLifecycle.isTerminating(pod)
    }

    /// Whether the deletion of a pod no budget protects is pinned to the revision that was read: a pod that is not
    /// finished or terminating could become ready, and so protected, in the meantime.
    static func pinsRevision(_ pod: JSONValue) -> Bool {
        !["Succeeded", "Failed"].contains(phase(of: pod)) && !ObjectLifecycle.isTerminating(pod)
    }

    /// Kubernetes' `IsPodReady`, its current measure of a healthy pod.
    static func isReady(_ pod: JSONValue) -> Bool {
        let ready = (pod[path: "status", "conditions"]?.arrayValue ?? []).first { $0["type"]?.stringValue == "Ready" }
        return ready?["status"]?.stringValue == "True"
    }

    /// The budgets in the pod's namespace whose selector matches its labels. A missing or invalid selector matches
    /// nothing; an empty one (`{}`) matches every pod, as in `policy/v1`.
    static func budgets(covering pod: JSONValue, among budgets: [JSONValue]) -> [JSONValue] {
        let labels = pod.metadata.labels
        return budgets.filter { budget in
            guard budget.metadata.namespace == pod.metadata.namespace,
                let selector = try? LabelSelector(object: budget[path: "spec", "selector"] ?? .null)
            else { return false }
            return selector.matches(labels)
        }
    }

    /// Whether an unready pod may go without spending the budget: it does not count as healthy, so removing it costs
    /// the application nothing. `AlwaysAllow` always lets it go; the default `IfHealthyBudget` only while the budget
    /// has the healthy pods it needs.
    static func unreadyPodMayGo(budget: JSONValue) -> Bool {
        if budget[path: "spec", "unhealthyPodEvictionPolicy"]?.stringValue == "AlwaysAllow" { return true }
        let desired = statusNumber(budget, "desiredHealthy")
        return statusNumber(budget, "currentHealthy") >= desired && desired > 0
    }

    /// The budget after spending one disruption on `podName` (Kubernetes' `checkAndDecrement`), or why it cannot be spent.
    static func spend(_ budget: JSONValue, on podName: String, now: Date) throws(APIError) -> JSONValue {
        let name = budget.metadata.name
        let generation = budget[path: "metadata", "generation"]?.integerValue ?? 0
        if statusNumber(budget, "observedGeneration") < generation {
            throw stillProcessing(budget: name)
        }
        let allowed = statusNumber(budget, "disruptionsAllowed")
        if allowed < 0 {
            throw APIError.forbidden(budgetResource, name: name, message: "pdb disruptions allowed is negative")
        }
        if (budget[path: "status", "disruptedPods"]?.objectValue?.count ?? 0) > maximumDisruptedPods {
            throw APIError.forbidden(
                budgetResource, name: name, message: "DisruptedPods map too big - too many evictions not confirmed by PDB controller")
        }
        if allowed == 0 {
            let detail =
                "The disruption budget \(name) needs \(statusNumber(budget, "desiredHealthy")) healthy pods "
                + "and has \(statusNumber(budget, "currentHealthy")) currently"
            // No Retry-After: kubectl drain waits and retries on its own, printing the message each time.
            throw APIError(
                code: 429, reason: "TooManyRequests", message: violationMessage,
                causes: [StatusCause(type: "DisruptionBudget", message: detail, field: "")])
        }
        var spent = budget
        spent[path: "status", "disruptionsAllowed"] = .integer(allowed - 1)
        if allowed == 1 {
            var condition: JSONValue = [
                "type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods", "message": "",
                "lastTransitionTime": .string(KubeTime.format(now)),
            ]
            let observed = statusNumber(budget, "observedGeneration")
            if observed != 0 { condition["observedGeneration"] = .integer(observed) }
            setCondition(condition, on: &spent)
        }
        // Tells the disruption controller the pod is on its way out before it is gone.
        spent[path: "status", "disruptedPods", podName] = .string(KubeTime.format(now))
        return spent
    }

    /// The 429 for a budget whose status does not yet reflect its spec, or whose pod changed while it was evicted.
    static func stillProcessing(budget name: String) -> APIError {
        APIError(
            code: 429, reason: "TooManyRequests", message: violationMessage,
            causes: [StatusCause(type: "DisruptionBudget", message: "The disruption budget \(name) is still being processed by the server.", field: "")],
            retryAfterSeconds: 10)
    }

    /// The pod with the `DisruptionTarget` condition Kubernetes sets before deleting an evicted pod.
    static func markedForDisruption(_ pod: JSONValue, now: Date) -> JSONValue {
        var marked = pod
        setCondition(
            [
                "type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI", "message": "Eviction API: evicting",
                "lastProbeTime": nil, "lastTransitionTime": .string(KubeTime.format(now)),
            ], on: &marked)
        return marked
    }

    /// Puts `condition` in place of the one of its type, keeping the old transition time while the status is
    /// unchanged, as both `UpdatePodCondition` and `meta.SetStatusCondition` do.
    private static func setCondition(_ condition: JSONValue, on object: inout JSONValue) {
        var conditions = object[path: "status", "conditions"]?.arrayValue ?? []
        var condition = condition
        if let index = conditions.firstIndex(where: { $0["type"] == condition["type"] }) {
            if conditions[index]["status"] == condition["status"] {
                condition["lastTransitionTime"] = conditions[index]["lastTransitionTime"]
            }
            conditions[index] = condition
        } else {
            conditions.append(condition)
        }
        object[path: "status", "conditions"] = .array(conditions)
    }

    private static func phase(of pod: JSONValue) -> String {
        Pod(pod).status.phase ?? ""
    }

    private static func statusNumber(_ budget: JSONValue, _ field: String) -> Int64 {
        budget[path: "status", field]?.integerValue ?? 0
    }
}
