import APIMachinery
import Foundation

/// What quota measures of one resource, as Kubernetes' `quota.Evaluator`: the names of a quota it accounts for,
/// the usage of one object, and which quota scopes an object falls in.
public protocol UsageEvaluator: Sendable {
    var groupResource: GroupResource { get }

    /// Whether a write can change the usage of the resource (`Handles`); `subresource` is "" for the object itself.
    func handles(_ operation: QuotaOperation, subresource: String) -> Bool

    /// The names among `names` this evaluator accounts for (`MatchingResources`).
    func matchingResources(_ names: Set<String>) -> Set<String>

    /// Whether the object falls in one scope term. Only pods have scopes: for everything else a quota with any
    /// scope matches nothing (`generic.MatchesNoScopeFunc`).
    func matchesScope(_ requirement: ScopeRequirement, _ object: JSONValue) -> Bool

    /// Why the object may not be admitted under a quota that limits `required` (`Constraints`), worded as it
    /// follows `failed quota: <name>: `; nil when nothing is missing.
    func constraintViolation(required: Set<String>, _ object: JSONValue) -> String?

    /// What the object uses (`Usage`); `now` decides whether a deleted pod's grace period is over.
    func usage(of object: JSONValue, now: Date) -> ResourceList
}

/// The writes quota admission looks at.
public enum QuotaOperation: Sendable, Hashable {
    case create
    case update
}

extension UsageEvaluator {
    public func matchesScope(_ requirement: ScopeRequirement, _ object: JSONValue) -> Bool { false }

    public func constraintViolation(required: Set<String>, _ object: JSONValue) -> String? { nil }

    /// Whether the quota applies to the object (`generic.Matches`): the quota's `status.hard` limits something this
    /// evaluator accounts for, and the object falls in every scope term of the quota.
    public func matches(_ quota: ResourceQuotaObject, _ object: JSONValue) -> Bool {
        guard let hard = quota.statusHard, !matchingResources(hard.names).isEmpty else { return false }
        return quota.scopeRequirements.allSatisfy { matchesScope($0, object) }
    }
}
