import APIMachinery

/// A `preferredDuringSchedulingIgnoredDuringExecution` node affinity term: nodes matching `term` score `weight`.
public struct PreferredSchedulingTerm: Sendable, Hashable {
    public var weight: Int64
    public var term: NodeSelectorTerm

    public init(weight: Int64, term: NodeSelectorTerm) {
        self.weight = weight
        self.term = term
    }

    /// From a `{weight, preference}` object; nil for a zero weight or an empty preference, which Kubernetes drops.
    init?(json: JSONValue) {
        let weight = json["weight"]?.integerValue ?? 0
        let preference = json["preference"] ?? .emptyObject
        let term = NodeSelectorTerm(json: preference)
        guard weight != 0, !(term.matchExpressions.isEmpty && term.matchFields.isEmpty && term.isValid) else { return nil }
        self.init(weight: weight, term: term)
    }
}
