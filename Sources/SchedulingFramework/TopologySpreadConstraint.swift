import APIMachinery

/// A parsed `topologySpreadConstraints[]` entry with Kubernetes' defaults applied (`minDomains` 1, node affinity
/// honoured, taints ignored) and `matchLabelKeys` folded into the selector.
public struct TopologySpreadConstraint: Sendable, Hashable {
    public enum InclusionPolicy: Sendable, Hashable {
        case honor, ignore
    }

    public var maxSkew: Int
    public var topologyKey: String
    /// False for `ScheduleAnyway`, which only scores.
    public var isHard: Bool
    public var selector: LabelSelector
    public var minDomains: Int
    public var nodeAffinityPolicy: InclusionPolicy
    public var nodeTaintsPolicy: InclusionPolicy

    public init(
        maxSkew: Int, topologyKey: String, isHard: Bool, selector: LabelSelector, minDomains: Int = 1,
        nodeAffinityPolicy: InclusionPolicy = .honor, nodeTaintsPolicy: InclusionPolicy = .ignore
    ) {
        self.maxSkew = maxSkew
        self.topologyKey = topologyKey
        self.isHard = isHard
        self.selector = selector
        self.minDomains = minDomains
        self.nodeAffinityPolicy = nodeAffinityPolicy
        self.nodeTaintsPolicy = nodeTaintsPolicy
    }

    /// From the JSON object of a pod with `podLabels`; nil when it names no topology key.
    init?(json: JSONValue, podLabels: [String: String]) {
        guard let topologyKey = json["topologyKey"]?.stringValue, !topologyKey.isEmpty else { return nil }
        var selector = (try? LabelSelector(object: json["labelSelector"] ?? .null)) ?? .nothing
        // matchLabelKeys adds `key=<the pod's value>` for each key the pod has (mergeLabelSetWithSelector); a
        // selector that selects nothing stays so.
        let extra = (json["matchLabelKeys"]?.arrayValue ?? []).compactMap(\.stringValue).compactMap { key in
            podLabels[key].map { LabelSelector.Requirement(key: key, operator: .equals, values: [$0]) }
        }
        if !extra.isEmpty, !selector.selectsNothing {
            selector = LabelSelector(requirements: extra + selector.requirements)
        }
        func policy(_ name: String, default value: InclusionPolicy) -> InclusionPolicy {
            switch json[name]?.stringValue {
            case "Honor": return .honor
            case "Ignore": return .ignore
            default: return value
            }
        }
        self.init(
            maxSkew: Int(json["maxSkew"]?.integerValue ?? 1), topologyKey: topologyKey,
            isHard: (json["whenUnsatisfiable"]?.stringValue ?? "DoNotSchedule") != "ScheduleAnyway",
            selector: selector, minDomains: Int(json["minDomains"]?.integerValue ?? 1),
            nodeAffinityPolicy: policy("nodeAffinityPolicy", default: .honor),
            nodeTaintsPolicy: policy("nodeTaintsPolicy", default: .ignore))
    }

    /// `countPodsMatchSelector` counts nothing for an empty selector.
    var countsPods: Bool { !selector.isEmpty && !selector.selectsNothing }
}

extension TopologySpreadConstraint {
    /// Hostname domains hold one node each, so the score counts them on the node itself.
    var isHostname: Bool { topologyKey == "kubernetes.io/hostname" }

    /// The node inclusion policies: whether pods on this node count toward the spread of a pod with `affinity` and
    /// `tolerations`.
    func includes(_ node: NodeInfo, affinity: RequiredNodeAffinity, tolerations: [Toleration]) -> Bool {
        if nodeAffinityPolicy == .honor, !affinity.matches(node) { return false }
        if nodeTaintsPolicy == .honor, node.firstUntoleratedTaint(tolerations) != nil { return false }
        return true
    }
}
