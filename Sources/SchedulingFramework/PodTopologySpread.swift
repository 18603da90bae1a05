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
    /// Per constraint: matching pods per domain of every eligible node, zero counts included (`TpPairToMatchNum`;
    /// the API allows one hard constraint per topology key, so a constraint stands for its key).
    private(set) var counts: [[String: Int]]
    private(set) var criticalPaths: [CriticalPaths]

    /// The PreFilter state of a pod with hard constraints; nil when it has none.
    init?(pod: PodInfo, snapshot: ClusterSnapshot) {
        let constraints = pod.topologySpreadConstraints.filter(\.isHard)
        guard !constraints.isEmpty else { return nil }
        self.pod = pod
        self.constraints = constraints
        var counts = [[String: Int]](repeating: [:], count: constraints.count)
        PodTopologySpread.forEachEligibleDomain(of: constraints, for: pod, in: snapshot) { position, value, node in
            counts[position][value, default: 0] +=
                PodTopologySpread.matchingPods(on: node, constraints[position], namespace: pod.namespace)
        }
        self.counts = counts
        criticalPaths = counts.map { domains in
            var paths = CriticalPaths()
            for (value, count) in domains { paths.update(value, count) }
            return paths
        }
    }

    func filter(_ node: NodeInfo) -> FilterStatus? {
        for (position, constraint) in constraints.enumerated() {
            guard let value = node.labels[constraint.topologyKey] else { return PodTopologySpread.missingLabelRejection }
            // With fewer eligible domains than minDomains, the global minimum counts as zero.
            let minimum = counts[position].count < constraint.minDomains ? 0 : criticalPaths[position].first.count
            let selfMatch = constraint.selector.matches(pod.labels) ? 1 : 0
            if counts[position][value, default: 0] + selfMatch - minimum > constraint.maxSkew {
                return PodTopologySpread.skewRejection
            }
        }
        return nil
    }

    /// Counts `other` in or out of its domain on `node`, as if it were added to or removed from the node
    /// (PreFilter extensions `AddPod`/`RemovePod`, used by preemption and nominated pods).
    mutating func update(with other: PodInfo, on node: NodeInfo, delta: Int) {
        guard other.namespace == pod.namespace, PodTopologySpread.hasAllKeys(node, constraints) else { return }
        for (position, constraint) in constraints.enumerated()
        where constraint.selector.matches(other.labels)
            && constraint.includes(node, affinity: pod.requiredNodeAffinity, tolerations: pod.tolerations)
        {
            let value = node.labels[constraint.topologyKey] ?? ""
            let count = counts[position][value, default: 0] + delta
            counts[position][value] = count
            criticalPaths[position].update(value, count)
        }
    }

    static func hasAllKeys(_ node: NodeInfo, _ constraints: [TopologySpreadConstraint]) -> Bool {
        let labels = node.labels
        return constraints.allSatisfy { labels[$0.topologyKey] != nil }
    }

    /// Visits every node that has all the constraints' topology keys, once per constraint whose inclusion policies
    /// admit it, with the node's value of that key. This walk over all nodes is the cost of spreading, so it reads
    /// each node's labels once and checks node affinity and taints at most once per node.
    static func forEachEligibleDomain(
        of constraints: [TopologySpreadConstraint], for pod: PodInfo, in snapshot: ClusterSnapshot,
        _ body: (_ position: Int, _ value: String, _ node: NodeInfo) -> Void
    ) {
        let keys = constraints.map(\.topologyKey)
        let honorsAffinity = constraints.map { $0.nodeAffinityPolicy == .honor }
        let honorsTaints = constraints.map { $0.nodeTaintsPolicy == .honor }
        let affinity = pod.requiredNodeAffinity
        let checksAffinity = !affinity.isEmpty && honorsAffinity.contains(true)
        let tolerations = pod.tolerations
        let checksTaints = honorsTaints.contains(true)
        snapshot.forEachNode { _, node in
            let labels = node.labels
            for key in keys where labels[key] == nil { return }
            let affinityMatches = !checksAffinity || affinity.matches(labels: labels, nodeName: node.name)
            let tolerated = !checksTaints || node.firstUntoleratedTaint(tolerations) == nil
            for position in keys.indices {
                if honorsAffinity[position] && !affinityMatches { continue }
                if honorsTaints[position] && !tolerated { continue }
                if let value = labels[keys[position]] { body(position, value, node) }
            }
        }
    }

    /// `countPodsMatchSelector`: pods in the namespace matching the selector, not counting terminating ones.
    static func matchingPods(on node: NodeInfo, _ constraint: TopologySpreadConstraint, namespace: String) -> Int {
        guard node.summary.podCount > 0, constraint.countsPods else { return 0 }
        var count = 0
        for pod in node.pods
        where !pod.isTerminating && pod.namespace == namespace && constraint.selector.matches(pod.labels) {
            count += 1
        }
        return count
    }
}
