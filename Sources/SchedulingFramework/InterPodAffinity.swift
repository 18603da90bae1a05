/// The InterPodAffinity filter: the pod's required affinity must find matching pods in the node's domain, its
/// required anti-affinity must find none, and no existing pod's required anti-affinity may match it there.
struct InterPodAffinity {
    static let name = "InterPodAffinity"
    static let weight: Int64 = 2
    /// `hardPodAffinityWeight`: how much an existing pod's required affinity to the incoming pod adds to the score.
    static let hardPodAffinityWeight: Int64 = 1
    static let affinityRejection = FilterStatus(
        code: .unschedulableAndUnresolvable, reasons: ["node(s) didn't match pod affinity rules"], plugin: name)
    static let antiAffinityRejection = FilterStatus(
        code: .unschedulable, reasons: ["node(s) didn't match pod anti-affinity rules"], plugin: name)
    static let existingAntiAffinityRejection = FilterStatus(
        code: .unschedulable, reasons: ["node(s) didn't satisfy existing pods anti-affinity rules"], plugin: name)

    let pod: PodInfo
    private let namespaces: NamespaceLabels
    /// Per domain: existing pods whose required anti-affinity matches the pod, existing pods matching all of the
    /// pod's required affinity terms, and existing pods matching its anti-affinity terms.
    private(set) var existingAntiAffinityCounts: [TopologyPair: Int] = [:]
    private(set) var affinityCounts: [TopologyPair: Int] = [:]
    private(set) var antiAffinityCounts: [TopologyPair: Int] = [:]

    /// The PreFilter state; nil when neither the pod nor any existing pod has a rule that concerns it.
    init?(pod: PodInfo, snapshot: ClusterSnapshot) {
        self.pod = pod
        namespaces = snapshot.namespaces
        for nodeName in snapshot.nodesWithRequiredAntiAffinityPods {
            guard let index = snapshot.index(ofNode: nodeName) else { continue }
            snapshot.withNode(at: index) { node in
                for existing in node.pods where !existing.requiredAntiAffinityTerms.isEmpty {
                    for term in existing.requiredAntiAffinityTerms where term.matches(pod, in: namespaces) {
                        existingAntiAffinityCounts.add(1, key: term.topologyKey, labels: node.labels)
                    }
                }
            }
        }
        if !pod.requiredAffinityTerms.isEmpty || !pod.requiredAntiAffinityTerms.isEmpty {
            snapshot.forEachNode { _, node in
                for existing in node.pods {
                    countIncomingTerms(of: existing, on: node, delta: 1)
                }
            }
        }
        if existingAntiAffinityCounts.isEmpty && pod.requiredAffinityTerms.isEmpty
            && pod.requiredAntiAffinityTerms.isEmpty
        {
            return nil
        }
    }

    func filter(_ node: NodeInfo) -> FilterStatus? {
        if !satisfiesAffinity(node) { return InterPodAffinity.affinityRejection }
        if !satisfiesAntiAffinity(node) { return InterPodAffinity.antiAffinityRejection }
        if !satisfiesExistingAntiAffinity(node) { return InterPodAffinity.existingAntiAffinityRejection }
        return nil
    }

    /// Counts `other` in or out as if it were added to or removed from `node` (PreFilter `AddPod`/`RemovePod`).
    mutating func update(with other: PodInfo, on node: NodeInfo, delta: Int) {
        for term in other.requiredAntiAffinityTerms where term.matches(pod, in: namespaces) {
            existingAntiAffinityCounts.add(delta, key: term.topologyKey, labels: node.labels)
        }
        countIncomingTerms(of: other, on: node, delta: delta)
    }

    /// True when `other` matches every term (`podMatchesAllAffinityTerms`); false for no terms.
    func matchesAll(_ terms: [AffinityTerm], _ other: PodInfo) -> Bool {
        !terms.isEmpty && terms.allSatisfy { $0.matches(other, in: namespaces) }
    }

    private mutating func countIncomingTerms(of existing: PodInfo, on node: NodeInfo, delta: Int) {
        if matchesAll(pod.requiredAffinityTerms, existing) {
            for term in pod.requiredAffinityTerms {
                affinityCounts.add(delta, key: term.topologyKey, labels: node.labels)
            }
        }
        for term in pod.requiredAntiAffinityTerms where term.matches(existing, in: namespaces) {
            antiAffinityCounts.add(delta, key: term.topologyKey, labels: node.labels)
        }
    }

    private func satisfiesAffinity(_ node: NodeInfo) -> Bool {
        var podsExist = true
        for term in pod.requiredAffinityTerms {
            // Every topology key must be on the node.
            guard let value = node.labels[term.topologyKey] else { return false }
            if affinityCounts[TopologyPair(key: term.topologyKey, value: value), default: 0] <= 0 {
                podsExist = false
            }
        }
        // The first pod of a group with affinity to itself may go anywhere, as long as no pod matches yet.
        return podsExist || (affinityCounts.isEmpty && matchesAll(pod.requiredAffinityTerms, pod))
    }

    private func satisfiesAntiAffinity(_ node: NodeInfo) -> Bool {
        guard !antiAffinityCounts.isEmpty else { return true }
        for term in pod.requiredAntiAffinityTerms {
            guard let value = node.labels[term.topologyKey] else { continue }
            if antiAffinityCounts[TopologyPair(key: term.topologyKey, value: value), default: 0] > 0 { return false }
        }
        return true
    }

    private func satisfiesExistingAntiAffinity(_ node: NodeInfo) -> Bool {
        for (pair, count) in existingAntiAffinityCounts where count > 0 && node.labels[pair.key] == pair.value {
            return false
        }
        return true
    }
}
