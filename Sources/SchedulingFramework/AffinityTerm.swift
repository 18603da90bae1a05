import APIMachinery

/// A parsed `PodAffinityTerm` (`framework.AffinityTerm`): pods matching `selector` in the selected namespaces,
/// grouped by the nodes' `topologyKey` label.
public struct AffinityTerm: Sendable, Hashable {
    /// Explicit namespaces; the owning pod's namespace when the term names neither namespaces nor a selector.
    public var namespaces: Set<String>
    /// `.nothing` when absent; the empty selector (`{}`) selects every namespace.
    public var namespaceSelector: LabelSelector
    public var selector: LabelSelector
    public var topologyKey: String

    public init(
        namespaces: Set<String>, namespaceSelector: LabelSelector = .nothing, selector: LabelSelector,
        topologyKey: String
    ) {
        self.namespaces = namespaces
        self.namespaceSelector = namespaceSelector
        self.selector = selector
        self.topologyKey = topologyKey
    }

    /// From a `PodAffinityTerm` object of a pod in `namespace`; a selector that does not parse selects nothing.
    init(json: JSONValue, namespace: String) {
        let names = (json["namespaces"]?.arrayValue ?? []).compactMap(\.stringValue)
        let namespaceSelectorJSON = json["namespaceSelector"] ?? .null
        let namespaceSelector = (try? LabelSelector(object: namespaceSelectorJSON)) ?? .nothing
        self.init(
            namespaces: names.isEmpty && namespaceSelectorJSON.isNull ? [namespace] : Set(names),
            namespaceSelector: namespaceSelector,
            selector: (try? LabelSelector(object: json["labelSelector"] ?? .null)) ?? .nothing,
            topologyKey: json["topologyKey"]?.stringValue ?? "")
    }

    /// `AffinityTerm.Matches`: the pod is in a selected namespace and its labels match. Namespace labels are
    /// only looked up for a selector that needs them.
    func matches(_ pod: PodInfo, in namespaces: NamespaceLabels) -> Bool {
        guard selector.matches(pod.labels) else { return false }
        if self.namespaces.contains(pod.namespace) || namespaceSelector.isEmpty { return true }
        return !namespaceSelector.selectsNothing && namespaceSelector.matches(namespaces.labels(of: pod.namespace))
    }
}

/// A preferred (weighted) pod affinity or anti-affinity term.
public struct WeightedAffinityTerm: Sendable, Hashable {
    public var term: AffinityTerm
    public var weight: Int64

    public init(term: AffinityTerm, weight: Int64) {
        self.term = term
        self.weight = weight
    }

    init(json: JSONValue, namespace: String) {
        self.init(
            term: AffinityTerm(json: json["podAffinityTerm"] ?? .emptyObject, namespace: namespace),
            weight: json["weight"]?.integerValue ?? 0)
    }
}
