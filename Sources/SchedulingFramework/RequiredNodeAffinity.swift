import APIMachinery

/// What a node must satisfy for a pod: every `spec.nodeSelector` label, and, when present, at least one term of
/// `requiredDuringSchedulingIgnoredDuringExecution` (`nodeaffinity.GetRequiredNodeAffinity`).
public struct RequiredNodeAffinity: Sendable, Hashable {
    public var nodeSelector: [String: String]
    /// Nil when the pod has no required node affinity; an empty list matches no node.
    public var terms: [NodeSelectorTerm]?

    public init(nodeSelector: [String: String] = [:], terms: [NodeSelectorTerm]? = nil) {
        self.nodeSelector = nodeSelector
        self.terms = terms
    }

    /// True when there is nothing to check.
    public var isEmpty: Bool { nodeSelector.isEmpty && terms == nil }

    public func matches(labels: [String: String], nodeName: String) -> Bool {
        for (key, value) in nodeSelector where labels[key] != value { return false }
        guard let terms else { return true }
        return terms.contains { $0.matches(labels: labels, nodeName: nodeName) }
    }

    public func matches(_ node: NodeInfo) -> Bool {
        matches(labels: node.labels, nodeName: node.name)
    }
}
