import APIMachinery

/// One term of a quota's scope (`ScopedResourceSelectorRequirement`): a scope name (`BestEffort`, `PriorityClass`,
/// ...), an operator and, for `In`/`NotIn`, values.
public struct ScopeRequirement: Sendable, Hashable {
    public enum Operator: String, Sendable, Hashable {
        case `in` = "In"
        case notIn = "NotIn"
        case exists = "Exists"
        case doesNotExist = "DoesNotExist"
    }

    public var scopeName: String
    /// Nil for an operator Kubernetes does not know (validation refuses it); such a term matches nothing.
    public var `operator`: Operator?
    public var values: [String]

    public init(scopeName: String, operator: Operator?, values: [String] = []) {
        self.scopeName = scopeName
        self.operator = `operator`
        self.values = values
    }

    public init(json: JSONValue) {
        self.init(
            scopeName: json["scopeName"]?.stringValue ?? "", operator: (json["operator"]?.stringValue).flatMap(Operator.init(rawValue:)),
            values: (json["values"]?.arrayValue ?? []).compactMap(\.stringValue))
    }

    /// Whether a set of labels holds the term read as a label requirement on the key `scopeName`
    /// (`ScopedResourceSelectorRequirementsAsSelector`).
    func matches(_ labels: [String: String]) -> Bool {
        let labelOperator: LabelSelector.Operator
        switch self.operator {
        case .in: labelOperator = .in
        case .notIn: labelOperator = .notIn
        case .exists: labelOperator = .exists
        case .doesNotExist: labelOperator = .doesNotExist
        case nil: return false
        }
        return LabelSelector.Requirement(key: scopeName, operator: labelOperator, values: values).matches(labels)
    }
}
