/// The InterPodAffinity score: per domain, the weights of the pod's preferred (anti-)affinity terms that existing
/// pods match, plus the weights of existing pods' terms that the pod matches (anti-affinity subtracts).
extension InterPodAffinity {
    struct Scoring {
        /// Score per topology key and value.
        private var topologyScores: [String: [String: Int64]] = [:]

        /// The PreScore state; nil when no term concerns the pod.
        init?(pod: PodInfo, snapshot: ClusterSnapshot) {
            let hasPreferences = !pod.preferredAffinityTerms.isEmpty || !pod.preferredAntiAffinityTerms.isEmpty
            guard hasPreferences || !snapshot.nodesWithAffinityPods.isEmpty else { return nil }
            let namespaces = snapshot.namespaces

            func visit(_ node: NodeInfo) {
                guard !node.labels.isEmpty else { return }
                for existing in node.pods where hasPreferences || existing.hasInterPodAffinity {
                    add(pod.preferredAffinityTerms, matching: existing, namespaces, node, sign: 1)
                    add(pod.preferredAntiAffinityTerms, matching: existing, namespaces, node, sign: -1)
                    guard existing.hasInterPodAffinity else { continue }
                    for term in existing.requiredAffinityTerms {
                        add(term, weight: InterPodAffinity.hardPodAffinityWeight, matching: pod, namespaces, node)
                    }
                    add(existing.preferredAffinityTerms, matching: pod, namespaces, node, sign: 1)
                    add(existing.preferredAntiAffinityTerms, matching: pod, namespaces, node, sign: -1)
                }
            }

            if hasPreferences {
                snapshot.forEachNode { _, node in visit(node) }
            } else {
                for name in snapshot.nodesWithAffinityPods {
                    if let index = snapshot.index(ofNode: name) { snapshot.withNode(at: index, visit) }
                }
            }
            if topologyScores.isEmpty { return nil }
        }

        func score(_ node: NodeInfo) -> Int64 {
            var score: Int64 = 0
            for (key, values) in topologyScores {
                if let value = node.labels[key] { score += values[value, default: 0] }
            }
            return score
        }

        /// Scales linearly so the lowest score becomes 0 and the highest 100.
        func normalize(_ scores: inout [Int64]) {
            guard let minimum = scores.min(), let maximum = scores.max() else { return }
            let spread = maximum - minimum
            for position in scores.indices {
                scores[position] =
                    spread > 0
                    ? Int64(Double(NodeResourcesFit.maxNodeScore) * Double(scores[position] - minimum) / Double(spread))
                    : 0
            }
        }

        private mutating func add(
            _ terms: [WeightedAffinityTerm], matching pod: PodInfo, _ namespaces: NamespaceLabels, _ node: NodeInfo,
            sign: Int64
        ) {
            for weighted in terms {
                add(weighted.term, weight: weighted.weight * sign, matching: pod, namespaces, node)
            }
        }

        private mutating func add(
            _ term: AffinityTerm, weight: Int64, matching pod: PodInfo, _ namespaces: NamespaceLabels, _ node: NodeInfo
        ) {
            guard let value = node.labels[term.topologyKey], term.matches(pod, in: namespaces) else { return }
            topologyScores[term.topologyKey, default: [:]][value, default: 0] += weight
        }
    }
}
