import APIMachinery
import KubeObjects

/// A core/v1 ResourceQuota.
public struct ResourceQuotaObject: ObjectView {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }

    /// What the quota allows, as its owner wrote it.
    public var specHard: ResourceList { ResourceList(json: json[path: "spec", "hard"]) }
    /// What the controller last copied from `spec.hard`: what admission enforces. Nil before the first sync.
    public var statusHard: ResourceList? { json[path: "status", "hard"].flatMap { $0.isNull ? nil : ResourceList(json: $0) } }
    /// What the namespace uses of each limited resource. Nil before the first sync.
    public var statusUsed: ResourceList? { json[path: "status", "used"].flatMap { $0.isNull ? nil : ResourceList(json: $0) } }

    /// Every scope term the quota sets: each of `spec.scopes` as an `Exists` term, then `spec.scopeSelector`'s
    /// expressions (`getScopeSelectorsFromQuota`). An object falls under the quota when it matches all of them.
    public var scopeRequirements: [ScopeRequirement] {
        let scopes = (json[path: "spec", "scopes"]?.arrayValue ?? []).compactMap(\.stringValue)
        let expressions = json[path: "spec", "scopeSelector", "matchExpressions"]?.arrayValue ?? []
        return scopes.map { ScopeRequirement(scopeName: $0, operator: .exists) } + expressions.map(ScopeRequirement.init(json:))
    }
}
