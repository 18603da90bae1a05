import APIMachinery

/// One `nodeSelectorTerms[]` entry of node affinity, parsed as `k8s.io/component-helpers/.../nodeaffinity` does:
/// its label expressions and `metadata.name` field expressions must all hold; a term with neither, or one that
/// fails to parse, matches no node.
public struct NodeSelectorTerm: Sendable, Hashable {
    /// A `matchFields` requirement; Kubernetes supports only `metadata.name` with `In` or `NotIn` and one value.
    public struct FieldRequirement: Sendable, Hashable {
        public var key: String
        public var isNegated: Bool
        public var value: String

        public init(key: String, isNegated: Bool = false, value: String) {
            self.key = key
            self.isNegated = isNegated
            self.value = value
        }

        func matches(nodeName: String) -> Bool {
            let actual = key == "metadata.name" ? nodeName : ""
            return (actual == value) != isNegated
        }
    }

    public var matchExpressions: [LabelSelector.Requirement]
    public var matchFields: [FieldRequirement]
    /// False when some expression was malformed; such a term never matches.
    public var isValid: Bool
    /// The node names of `metadata.name In [...]` field expressions, for NodeAffinity's PreFilter shortcut.
    var nameInValues: [[String]]

    public init(matchExpressions: [LabelSelector.Requirement] = [], matchFields: [FieldRequirement] = []) {
        self.matchExpressions = matchExpressions
        self.matchFields = matchFields
        isValid = true
        nameInValues = matchFields.filter { $0.key == "metadata.name" && !$0.isNegated }.map { [$0.value] }
    }

    public func matches(labels: [String: String], nodeName: String) -> Bool {
        guard isValid, !(matchExpressions.isEmpty && matchFields.isEmpty) else { return false }
        for requirement in matchExpressions where !requirement.matches(labels) { return false }
        for requirement in matchFields where !requirement.matches(nodeName: nodeName) { return false }
        return true
    }
}

extension NodeSelectorTerm {
    /// From a `{matchExpressions, matchFields}` object.
    init(json: JSONValue) {
        self.init()
        for expression in json["matchExpressions"]?.arrayValue ?? [] {
            guard let requirement = NodeSelectorTerm.labelRequirement(expression) else {
                isValid = false
                continue
            }
            matchExpressions.append(requirement)
        }
        for expression in json["matchFields"]?.arrayValue ?? [] {
            let key = expression["key"]?.stringValue ?? ""
            let values = (expression["values"]?.arrayValue ?? []).map { $0.stringValue ?? "" }
            let op = expression["operator"]?.stringValue ?? ""
            if key == "metadata.name" && op == "In" {
                nameInValues.append(values)
            }
            guard values.count == 1, let value = values.first, op == "In" || op == "NotIn" else {
                isValid = false
                continue
            }
            matchFields.append(FieldRequirement(key: key, isNegated: op == "NotIn", value: value))
        }
    }

    /// A `NodeSelectorRequirement` as a label requirement, with `labels.NewRequirement`'s checks; nil when invalid.
    private static func labelRequirement(_ json: JSONValue) -> LabelSelector.Requirement? {
        let key = json["key"]?.stringValue ?? ""
        let values = (json["values"]?.arrayValue ?? []).map { $0.stringValue ?? "" }
        guard LabelSelector.qualifiedNameErrors(key).isEmpty,
            values.allSatisfy({ LabelSelector.labelValueErrors($0).isEmpty })
        else { return nil }
        let op: LabelSelector.Operator
        switch json["operator"]?.stringValue ?? "" {
        case "In": op = .in
        case "NotIn": op = .notIn
        case "Exists": op = .exists
        case "DoesNotExist": op = .doesNotExist
        case "Gt": op = .greaterThan
        case "Lt": op = .lessThan
        default: return nil
        }
        switch op {
        case .in, .notIn:
            guard !values.isEmpty else { return nil }
        case .exists, .doesNotExist:
            guard values.isEmpty else { return nil }
        default:
            guard values.count == 1, let value = values.first, Int64(value) != nil else { return nil }
        }
        return LabelSelector.Requirement(key: key, operator: op, values: values)
    }
}
