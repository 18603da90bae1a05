import APIMachinery
import Foundation

/// Kubernetes' ResourceQuota admission (`resourcequota.CheckRequest`): a write that adds usage must fit every quota
/// of its namespace that applies to it, and is charged to them at once, before the controller recounts.
public enum QuotaAdmission {
    /// Checks a create or update of `object` against the namespace's `quotas` and returns the quotas whose
    /// `status.used` the write raises, each with the new `status.used` set; the caller writes them back (with
    /// their resourceVersion as precondition) before it stores the object. Empty when no quota is charged.
    ///
    /// `oldObject` is the stored object on update. The caller skips cluster-scoped objects and the creation of
    /// namespaces, as Kubernetes does. A quota the controller has not synced yet (no `status.hard`) does not apply;
    /// one whose `status.used` lacks a limited resource refuses the write until it has.
    public static func check(
        _ object: JSONValue, oldObject: JSONValue?, resource: GroupResource, subresource: String = "", operation: QuotaOperation,
        quotas: [JSONValue], now: Date
    ) throws(QuotaRefusal) -> [JSONValue] {
        guard !quotas.isEmpty, let evaluator = QuotaEvaluators.evaluator(for: resource), evaluator.handles(operation, subresource: subresource)
        else { return [] }

        var charged: [(quota: ResourceQuotaObject, hard: ResourceList, used: ResourceList)] = []
        for quota in quotas.map(ResourceQuotaObject.init) where evaluator.matches(quota, object) {
            let hard = quota.statusHard ?? ResourceList()
            let used = quota.statusUsed ?? ResourceList()
            let limited = evaluator.matchingResources(hard.names)
            if let violation = evaluator.constraintViolation(required: limited, object) {
                throw QuotaRefusal("failed quota: \(quota.metadata.name): \(violation)")
            }
            guard limited.isSubset(of: used.names) else {
                throw QuotaRefusal("status unknown for quota: \(quota.metadata.name), resources: \(limited.sorted().joined(separator: ","))")
            }
            charged.append((quota, hard, used))
        }

        var delta = evaluator.usage(of: object, now: now)
        let negative = delta.negativeNames
        guard negative.isEmpty else {
            throw QuotaRefusal("quota usage is negative for resource(s): \(negative.sorted().joined(separator: ","))")
        }
        if operation == .update {
            guard let oldObject else { throw QuotaRefusal("unable to get previous usage since prior version of object was not found") }
            // Without a resourceVersion the old object is not a stored one (a create through update): charge it all.
            if !oldObject.metadata.resourceVersion.isEmpty {
                delta = delta.subtractingClampedAtZero(evaluator.usage(of: oldObject, now: now))
            }
        }
        delta = delta.removingZeros
        guard !delta.isEmpty else { return [] }

        var updated: [JSONValue] = []
        for (quota, hard, used) in charged {
            let requested = delta.masked(to: hard.names)
            let newUsed = used + requested
            let exceeded = newUsed.masked(to: requested.names).names(exceeding: hard)
            guard exceeded.isEmpty else {
                throw QuotaRefusal(
                    "exceeded quota: \(quota.metadata.name), requested: \(requested.masked(to: exceeded)), "
                        + "used: \(used.masked(to: exceeded)), limited: \(hard.masked(to: exceeded))")
            }
            guard newUsed != used else { continue }
            var json = quota.json
            json[path: "status", "used"] = newUsed.json
            updated.append(json)
        }
        return updated
    }
}
