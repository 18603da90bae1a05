import APIMachinery
import Foundation

/// Quota on the number of objects of a resource (`generic.objectCountEvaluator`): `count/<resource>` for the core
/// group, `count/<resource>.<group>` otherwise, and for a few core resources also their older name (`configmaps`).
public struct ObjectCountEvaluator: UsageEvaluator {
    public let groupResource: GroupResource
    /// The names the evaluator counts under.
    public let names: Set<String>

    /// The core resources quota counted before `count/` names existed, under their plain name.
    static let legacyNames: Set<String> = ["configmaps", "secrets", "replicationcontrollers", "resourcequotas"]

    public init(_ groupResource: GroupResource) {
        self.groupResource = groupResource
        var names: Set<String> = [Self.quotaName(for: groupResource)]
        if groupResource.group.isEmpty, Self.legacyNames.contains(groupResource.resource) { names.insert(groupResource.resource) }
        self.names = names
    }

    /// `count/pods`, `count/deployments.apps` (`ObjectCountQuotaResourceNameFor`).
    public static func quotaName(for groupResource: GroupResource) -> String { "count/\(groupResource)" }

    /// Creates only: an update never adds an object.
    public func handles(_ operation: QuotaOperation, subresource: String) -> Bool { operation == .create && subresource.isEmpty }

    public func matchingResources(_ names: Set<String>) -> Set<String> { names.intersection(self.names) }

    public func usage(of object: JSONValue, now: Date) -> ResourceList {
        ResourceList(Dictionary(uniqueKeysWithValues: names.map { ($0, Quantity(1)) }))
    }
}
