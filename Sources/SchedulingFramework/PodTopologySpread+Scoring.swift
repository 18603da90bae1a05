import Foundation

/// The PodTopologySpread score for `ScheduleAnyway` constraints: fewer matching pods in the node's domains score
/// higher, each constraint weighted by the log of its number of domains so small topologies are not drowned out.
extension PodTopologySpread {
    struct Scoring {
        let pod: PodInfo
        let constraints: [TopologySpreadConstraint]
        /// Feasible nodes missing a topology key; they score 0.
        private let ignored: Set<Int>
        /// Matching pods per domain, per constraint; hostname domains are counted per node instead.
        private let counts: [[String: Int]]
        private let weights: [Double]

        /// The PreScore state over the feasible nodes (indices into `snapshot.nodes`); nil when the pod has no soft
        /// constraints.
        init?(pod: PodInfo, feasible: [Int], snapshot: ClusterSnapshot) {
            let constraints = pod.topologySpreadConstraints.filter { !$0.isHard }
            guard !constraints.isEmpty else { return nil }
            var ignored: Set<Int> = []
            var counts = [[String: Int]](repeating: [:], count: constraints.count)
            for index in feasible {
                snapshot.withNode(at: index) { node in
                    guard PodTopologySpread.hasAllKeys(node, constraints) else {
                        ignored.insert(index)
                        return
                    }
                    // Only domains of feasible nodes are counted.
                    for (position, constraint) in constraints.enumerated() where !constraint.isHostname {
                        let value = node.labels[constraint.topologyKey] ?? ""
                        if counts[position][value] == nil { counts[position][value] = 0 }
                    }
                }
            }
            let scoredNodes = feasible.count - ignored.count
            weights = constraints.indices.map { position in
                let size = constraints[position].isHostname ? scoredNodes : counts[position].count
                return log(Double(size + 2))
            }
            PodTopologySpread.forEachEligibleDomain(of: constraints, for: pod, in: snapshot) { position, value, node in
                // Hostname domains are counted on the node itself when scoring.
                guard !constraints[position].isHostname, let count = counts[position][value] else { return }
                counts[position][value] =
                    count + PodTopologySpread.matchingPods(on: node, constraints[position], namespace: pod.namespace)
            }
            self.pod = pod
            self.constraints = constraints
            self.ignored = ignored
            self.counts = counts
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
