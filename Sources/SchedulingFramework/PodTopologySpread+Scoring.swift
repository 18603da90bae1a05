import Foundation

/// The PodTopologySpread score for `ScheduleAnyway` constraints: fewer matching pods in the node's domains score
/// higher, each constraint weighted by the log of its number of domains so small topologies are not drowned out.
extension PodTopologySpread {
    struct Scoring {
        let pod: PodInfo
        let constraints: [TopologySpreadConstraint]
        /// Feasible nodes missing a topology key; they score 0.
        private var ignored: Set<Int> = []
        /// Matching pods per domain, per constraint; hostname domains are counted per node instead.
        private var counts: [[String: Int]]
        private var weights: [Double]

        /// The PreScore state over the feasible nodes (indices into `snapshot.nodes`); nil when the pod has no soft
        /// constraints.
        init?(pod: PodInfo, feasible: [Int], snapshot: ClusterSnapshot) {
            let constraints = pod.topologySpreadConstraints.filter { !$0.isHard }
            guard !constraints.isEmpty else { return nil }
            self.pod = pod
            self.constraints = constraints
            counts = Array(repeating: [:], count: constraints.count)
            for index in feasible {
                let node = snapshot.nodes[index]
                guard PodTopologySpread.hasAllKeys(node, constraints) else {
                    ignored.insert(index)
                    continue
                }
                // Only domains of feasible nodes are counted.
                for (position, constraint) in constraints.enumerated() where !constraint.isHostname {
                    let value = node.labels[constraint.topologyKey] ?? ""
                    if counts[position][value] == nil { counts[position][value] = 0 }
                }
            }
            let scoredNodes = feasible.count - ignored.count
            let domainCounts = counts.map(\.count)
            weights = constraints.indices.map { position in
                let size = constraints[position].isHostname ? scoredNodes : domainCounts[position]
                return log(Double(size + 2))
            }
            let affinity = pod.requiredNodeAffinity
            let tolerations = pod.tolerations
            for node in snapshot.nodes where PodTopologySpread.hasAllKeys(node, constraints) {
                for (position, constraint) in constraints.enumerated()
                where !constraint.isHostname && constraint.includes(node, affinity: affinity, tolerations: tolerations) {
                    let value = node.labels[constraint.topologyKey] ?? ""
                    guard let count = counts[position][value] else { continue }
                    counts[position][value] =
                        count + PodTopologySpread.matchingPods(on: node, constraint, namespace: pod.namespace)
                }
            }
        }

        /// The weighted matching-pod count of the node's domains (lower is better).
        func score(nodeAt index: Int, _ node: NodeInfo) -> Int64 {
            guard !ignored.contains(index) else { return 0 }
            var score = 0.0
            for (position, constraint) in constraints.enumerated() {
                guard let value = node.labels[constraint.topologyKey] else { continue }
                let count =
                    constraint.isHostname
                    ? PodTopologySpread.matchingPods(on: node, constraint, namespace: pod.namespace)
                    : counts[position][value, default: 0]
                score += Double(count) * weights[position] + Double(constraint.maxSkew - 1)
            }
            return Int64(score.rounded())
        }

        /// Ignored nodes get 0; the others `100 * (max + min - score) / max`, all 100 when every score is 0.
        func normalize(_ scores: inout [Int64], feasible: [Int]) {
            var minimum = Int64.max
            var maximum: Int64 = 0
            for (position, index) in feasible.enumerated() where !ignored.contains(index) {
                minimum = min(minimum, scores[position])
                maximum = max(maximum, scores[position])
            }
            for (position, index) in feasible.enumerated() {
                if ignored.contains(index) {
                    scores[position] = 0
                } else if maximum == 0 {
                    scores[position] = NodeResourcesFit.maxNodeScore
                } else {
                    scores[position] = NodeResourcesFit.maxNodeScore * (maximum + minimum - scores[position]) / maximum
                }
            }
        }
    }
}

extension TopologySpreadConstraint {
    /// Hostname domains hold one node each, so the score counts them on the node itself.
    var isHostname: Bool { topologyKey == "kubernetes.io/hostname" }
}
