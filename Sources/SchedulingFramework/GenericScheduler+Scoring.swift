/// The score plugins of the default profile, each normalised to 0...100 and weighted as in Kubernetes v1.32:
/// TaintToleration 3, NodeAffinity 2, PodTopologySpread 2, InterPodAffinity 2, NodeResourcesFit 1,
/// NodeResourcesBalancedAllocation 1. A plugin with nothing to score for the pod is skipped (PreScore `Skip`).
extension GenericScheduler {
    /// The weighted total of every feasible node, in the order of `feasible`.
    func score(_ pod: PodInfo, feasible: [Int], in snapshot: ClusterSnapshot) -> [Int64] {
        var totals = [Int64](repeating: 0, count: feasible.count)
        var scores = [Int64](repeating: 0, count: feasible.count)

        func accumulate(weight: Int64) {
            for position in totals.indices { totals[position] += scores[position] * weight }
        }

        // The resource scores and the taint flags come from the node summaries, which copy no references.
        let nonZero = pod.nonZeroRequests
        let requests = pod.requests
        let balances = BalancedAllocation.applies(to: requests)
        var anyPreferNoScheduleTaint = false
        for (position, index) in feasible.enumerated() {
            let summary = snapshot.nodes[index].summary
            var total = NodeResourcesFit.score(nonZero, summary) * NodeResourcesFit.weight
            if balances { total += BalancedAllocation.score(requests, summary) * BalancedAllocation.weight }
            totals[position] = total
            anyPreferNoScheduleTaint = anyPreferNoScheduleTaint || summary.hasPreferNoScheduleTaints
        }

        if anyPreferNoScheduleTaint {
            let tolerations = TaintToleration.preferNoScheduleTolerations(pod)
            for (position, index) in feasible.enumerated() {
                scores[position] = TaintToleration.score(snapshot.nodes[index], tolerations: tolerations)
            }
        }
        ScoreNormalization.normalize(&scores, reverse: true)
        accumulate(weight: TaintToleration.weight)

        let preferred = pod.preferredNodeAffinity
        if !preferred.isEmpty {
            for (position, index) in feasible.enumerated() {
                scores[position] = NodeAffinity.score(preferred, snapshot.nodes[index])
            }
            ScoreNormalization.normalize(&scores, reverse: false)
            accumulate(weight: NodeAffinity.weight)
        }

        if let spreading = PodTopologySpread.Scoring(pod: pod, feasible: feasible, snapshot: snapshot) {
            for (position, index) in feasible.enumerated() {
                scores[position] = spreading.score(nodeAt: index, snapshot.nodes[index])
            }
            spreading.normalize(&scores, feasible: feasible)
            accumulate(weight: PodTopologySpread.weight)
        }

        if let affinity = InterPodAffinity.Scoring(pod: pod, snapshot: snapshot) {
            for (position, index) in feasible.enumerated() {
                scores[position] = affinity.score(snapshot.nodes[index])
            }
            affinity.normalize(&scores)
            accumulate(weight: InterPodAffinity.weight)
        }
        return totals
    }
}
