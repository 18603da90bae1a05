/// The NodeAffinity plugin: `spec.nodeSelector` and required node affinity filter nodes; preferred terms add their
/// weights to the score.
enum NodeAffinity {
    static let name = "NodeAffinity"
    static let weight: Int64 = 2
    static let rejection = FilterStatus(
        code: .unschedulableAndUnresolvable, reasons: ["node(s) didn't match Pod's node affinity/selector"],
        plugin: name)
    static let conflictMessage = "pod affinity terms conflict"

    /// What PreFilter concludes from `matchFields` on `metadata.name`.
    enum NodeNames: Equatable {
        /// Some term does not pin node names: every node is a candidate.
        case all
        /// Only these nodes can match; empty when the terms contradict each other.
        case only(Set<String>)
    }

    /// The terms are ORed, the name requirements within a term ANDed: a pod pinned to nodes by name only needs
    /// those nodes filtered.
    static func candidateNodeNames(_ affinity: RequiredNodeAffinity) -> NodeNames {
        guard let terms = affinity.terms, !terms.isEmpty else { return .all }
        var names: Set<String> = []
        for term in terms {
            guard let first = term.nameInValues.first else { return .all }
            var termNames = Set(first)
            for values in term.nameInValues.dropFirst() { termNames.formIntersection(values) }
            names.formUnion(termNames)
        }
        return .only(names)
    }

    static func filter(_ affinity: RequiredNodeAffinity, _ node: NodeInfo) -> FilterStatus? {
        affinity.matches(node) ? nil : rejection
    }

    /// The sum of the weights of the preferred terms the node matches.
    static func score(_ terms: [PreferredSchedulingTerm], _ node: NodeInfo) -> Int64 {
        var score: Int64 = 0
        for preferred in terms where preferred.term.matches(labels: node.labels, nodeName: node.name) {
            score += preferred.weight
        }
        return score
    }
}
