/// The PodTopologySpread filter: with a `DoNotSchedule` constraint, placing the pod must not make its domain hold
/// more than `maxSkew` matching pods above the emptiest eligible domain.
struct PodTopologySpread {
    static let name = "PodTopologySpread"
    static let weight: Int64 = 2
    static let skewRejection = FilterStatus(
        code: .unschedulable, reasons: ["node(s) didn't match pod topology spread constraints"], plugin: name)
    static let missingLabelRejection = FilterStatus(
        code: .unschedulableAndUnresolvable,
        reasons: ["node(s) didn't match pod topology spread constraints (missing required label)"], plugin: name)

    /// The two smallest domain counts of a topology key (Kubernetes' `criticalPaths`): enough to know the minimum
    /// after the one-pod changes preemption makes.
    struct CriticalPaths {
        var first = (value: "", count: Int(Int32.max))
        var second = (value: "", count: Int(Int32.max))

        mutating func update(_ value: String, _ count: Int) {
            if value == first.value || value == second.value {
                if value == first.value { first.count = count } else { second.count = count }
                if first.count > second.count { swap(&first, &second) }
            } else if count < first.count {
                second = first
                first = (value, count)
            } else if count < second.count {
                second = (value, count)
            }
        }
    }

    let pod: PodInfo
    let constraints: [TopologySpreadConstraint]
    /// Matching pods per domain of every eligible node, zero counts included (`TpPairToMatchNum`).
    private(set) var counts: [TopologyPair: Int] = [:]
    private(set) var criticalPaths: [String: CriticalPaths] = [:]
    /// The number of eligible domains per topology key.
    private var domainCounts: [String: Int] = [:]

    /// The PreFilter state of a pod with hard constraints; nil when it has none.
    init?(pod: PodInfo, snapshot: ClusterSnapshot) {
        let constraints = pod.topologySpreadConstraints.filter(\.isHard)
        guard !constraints.isEmpty else { return nil }
        self.pod = pod
        self.constraints = constraints
        let affinity = pod.requiredNodeAffinity
        let tolerations = pod.tolerations
        for node in snapshot.nodes where PodTopologySpread.hasAllKeys(node, constraints) {
            for constraint in constraints where constraint.includes(node, affinity: affinity, tolerations: tolerations) {
                let pair = TopologyPair(key: constraint.topologyKey, value: node.labels[constraint.topologyKey] ?? "")
                counts[pair, default: 0] += PodTopologySpread.matchingPods(on: node, constraint, namespace: pod.namespace)
            }
        }
        for constraint in constraints {
            criticalPaths[constraint.topologyKey] = CriticalPaths()
        }
        for (pair, count) in counts {
            domainCounts[pair.key, default: 0] += 1
            criticalPaths[pair.key]?.update(pair.value, count)
        }
    }

    func filter(_ node: NodeInfo) -> FilterStatus? {
        for constraint in constraints {
            let key = constraint.topologyKey
            guard let value = node.labels[key] else { return PodTopologySpread.missingLabelRejection }
            // With fewer eligible domains than minDomains, the global minimum counts as zero.
            var minimum = criticalPaths[key]?.first.count ?? 0
            if domainCounts[key, default: 0] < constraint.minDomains { minimum = 0 }
            let selfMatch = constraint.selector.matches(pod.labels) ? 1 : 0
            let matching = counts[TopologyPair(key: key, value: value), default: 0]
            if matching + selfMatch - minimum > constraint.maxSkew { return PodTopologySpread.skewRejection }
        }
        return nil
    }

    /// Counts `other` in or out of its domain on `node`, as if it were added to or removed from the node
    /// (PreFilter extensions `AddPod`/`RemovePod`, used by preemption and nominated pods).
    mutating func update(with other: PodInfo, on node: NodeInfo, delta: Int) {
        guard other.namespace == pod.namespace, PodTopologySpread.hasAllKeys(node, constraints) else { return }
        for constraint in constraints
        where constraint.selector.matches(other.labels)
            && constraint.includes(node, affinity: pod.requiredNodeAffinity, tolerations: pod.tolerations)
        {
            let key = constraint.topologyKey
            let pair = TopologyPair(key: key, value: node.labels[key] ?? "")
            let count = counts[pair, default: 0] + delta
            counts[pair] = count
            criticalPaths[key]?.update(pair.value, count)
        }
    }

    static func hasAllKeys(_ node: NodeInfo, _ constraints: [TopologySpreadConstraint]) -> Bool {
        constraints.allSatisfy { node.labels[$0.topologyKey] != nil }
    }

    /// `countPodsMatchSelector`: pods in the namespace matching the selector, not counting terminating ones.
    static func matchingPods(on node: NodeInfo, _ constraint: TopologySpreadConstraint, namespace: String) -> Int {
        guard constraint.countsPods else { return 0 }
        var count = 0
        for pod in node.pods
        where !pod.isTerminating && pod.namespace == namespace && constraint.selector.matches(pod.labels) {
            count += 1
        }
        return count
    }
}
