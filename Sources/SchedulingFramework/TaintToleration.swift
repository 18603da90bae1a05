/// The TaintToleration plugin: a node's `NoSchedule` and `NoExecute` taints must be tolerated; untolerated
/// `PreferNoSchedule` taints lower the score.
enum TaintToleration {
    static let name = "TaintToleration"
    static let weight: Int64 = 3

    static func filter(_ pod: PodInfo, _ node: NodeInfo) -> FilterStatus? {
        guard node.summary.hasSchedulingTaints, let taint = node.firstUntoleratedTaint(pod.tolerations) else { return nil }
        return FilterStatus(
            code: .unschedulableAndUnresolvable,
            reasons: ["node(s) had untolerated taint {\(taint.key): \(taint.value)}"], plugin: name)
    }

    /// The tolerations that can tolerate a `PreferNoSchedule` taint (those with that effect or none).
    static func preferNoScheduleTolerations(_ pod: PodInfo) -> [Toleration] {
        pod.tolerations.filter { $0.effect == nil || $0.effect == .preferNoSchedule }
    }

    /// The number of untolerated `PreferNoSchedule` taints; fewer is better (normalised in reverse).
    static func score(_ node: NodeInfo, tolerations: [Toleration]) -> Int64 {
        guard node.summary.hasPreferNoScheduleTaints else { return 0 }
        var count: Int64 = 0
        for taint in node.taints where taint.effect == .preferNoSchedule && !tolerations.tolerate(taint) {
            count += 1
        }
        return count
    }
}
