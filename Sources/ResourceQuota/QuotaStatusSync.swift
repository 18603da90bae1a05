import APIMachinery
import Foundation

/// The resource-quota controller's recount (`syncResourceQuota` and `quota.CalculateUsage`): a quota's status is
/// its `spec.hard` and what the namespace uses of each of those resources.
public enum QuotaStatusSync {
    /// The quota's new `status` (`hard` and `used`), or nil when the stored one already says it. `used` holds only
    /// the resources of `spec.hard`; a resource nothing here can count keeps its last value.
    public static func newStatus(of quota: JSONValue, in namespace: NamespaceContents, now: Date) -> JSONValue? {
        let quota = ResourceQuotaObject(quota)
        let hard = quota.specHard
        var used = quota.statusUsed ?? ResourceList()
        for (name, quantity) in recount(hard.names, scopes: quota.scopeRequirements, in: namespace, now: now).quantities {
            used[name] = quantity
        }
        used = used.masked(to: hard.names)
        guard quota.statusHard != hard || quota.statusUsed != used else { return nil }
        return ["hard": hard.json, "used": used.json]
    }

    /// What the namespace's objects that fall in every scope term use of `names`, zero for a name nothing uses.
    static func recount(_ names: Set<String>, scopes: [ScopeRequirement], in namespace: NamespaceContents, now: Date) -> ResourceList {
        var usage = ResourceList()
        var counted: Set<String> = []
        let listed: [(any UsageEvaluator, [JSONValue])] = [
            (PodEvaluator(), namespace.pods), (ServiceEvaluator(), namespace.services),
            (PersistentVolumeClaimEvaluator(), namespace.persistentVolumeClaims),
        ]
        for (evaluator, objects) in listed {
            let tracked = evaluator.matchingResources(names)
            guard !tracked.isEmpty else { continue }
            counted.formUnion(tracked)
            usage += zeros(tracked)
            for object in objects where scopes.allSatisfy({ evaluator.matchesScope($0, object) }) {
                usage += evaluator.usage(of: object, now: now)
            }
        }
        let listedResources = Set(listed.map(\.0.groupResource))
        for (resource, count) in namespace.objectCounts where !listedResources.contains(resource) {
            guard let evaluator = QuotaEvaluators.evaluator(for: resource) else { continue }
            let tracked = evaluator.matchingResources(names)
            counted.formUnion(tracked)
            // Only pods have scopes: a scoped quota counts no other object.
            let matching = Quantity(Int64(scopes.isEmpty ? count : 0))
            usage += ResourceList(Dictionary(uniqueKeysWithValues: tracked.map { ($0, matching) }))
        }
        return usage.masked(to: counted)
    }

    private static func zeros(_ names: Set<String>) -> ResourceList {
        ResourceList(Dictionary(uniqueKeysWithValues: names.map { ($0, Quantity.zero) }))
    }
}
