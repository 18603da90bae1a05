/// The score plugins of the default profile, each normalised to 0...100 and weighted as in Kubernetes v1.32:
/// TaintToleration 3, NodeAffinity 2, PodTopologySpread 2, InterPodAffinity 2, NodeResourcesFit 1,
/// NodeResourcesBalancedAllocation 1. A plugin with nothing to score for the pod is skipped (PreScore `Skip`).
extension GenericScheduler {
    /// The weighted total of every feasible node, in the order of `feasible`.
    func score(_ pod: PodInfo, feasible: [Int], in snapshot: ClusterSnapshot) -> [Int64] {
        let nodes = snapshot.nodes
        var totals = [Int64](repeating: 0, count: feasible.count)
        var scores = [Int64](repeating: 0, count: feasible.count)

        func accumulate(weight: Int64) {
            for position in totals.indices { totals[position] += scores[position] * weight }
        }

        let tolerations = TaintToleration.preferNoScheduleTolerations(pod)
        for (position, index) in feasible.enumerated() {
            scores[position] = TaintToleration.score(nodes[index], tolerations: tolerations)
        }
        ScoreNormalization.normalize(&scores, reverse: true)
        accumulate(weight: TaintToleration.weight)

        let preferred = pod.preferredNodeAffinity
        if !preferred.isEmpty {
            for (position, index) in feasible.enumerated() {
                scores[position] = NodeAffinity.score(preferred, nodes[index])
            }
            ScoreNormalization.normalize(&scores, reverse: false)
            accumulate(weight: NodeAffinity.weight)
        }

        if let spreading = PodTopologySpread.Scoring(pod: pod, feasible: feasible, snapshot: snapshot) {
            for (position, index) in feasible.enumerated() {
                scores[position] = spreading.score(nodeAt: index, nodes[index])
            }
            spreading.normalize(&scores, feasible: feasible)
            accumulate(weight: PodTopologySpread.weight)
        }

        if let affinity = InterPodAffinity.Scoring(pod: pod, snapshot: snapshot) {
            for (position, index) in feasible.enumerated() {
                scores[position] = affinity.score(nodes[index])
            }
            affinity.normalize(&scores)
            accumulate(weight: InterPodAffinity.weight)
        }

        let nonZero = pod.nonZeroRequests
        let requests = pod.requests
        let balances = BalancedAllocation.applies(to: requests)
        for (position, index) in feasible.enumerated() {
            var total = NodeResourcesFit.score(nonZero, nodes[index]) * NodeResourcesFit.weight
            if balances { total += BalancedAllocation.score(requests, nodes[index]) * BalancedAllocation.weight }
            totals[position] += total
        }
        return totals
    }
}
