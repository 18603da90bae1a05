/// What the PreFilter step works out once per pod, so that the per-node filters only compare: which plugins have
/// anything to check, the pod's requests, and the topology counts of spread and inter-pod affinity.
struct CycleState {
    let pod: PodInfo
    /// Nil when the pod has neither a node selector nor required node affinity (the filter is skipped).
    let nodeAffinity: RequiredNodeAffinity?
    let request: NodeResourcesFit.Request
    var topologySpread: PodTopologySpread?
    var interPodAffinity: InterPodAffinity?
    /// True when only the cordon and taint flags and the resource figures of a node matter, so the filter loop
    /// can read the node's summary instead of the whole node.
    let needsOnlySummary: Bool

    init(pod: PodInfo, snapshot: ClusterSnapshot) {
        self.pod = pod
        nodeAffinity = pod.requiredNodeAffinity.isEmpty ? nil : pod.requiredNodeAffinity
        request = NodeResourcesFit.Request(pod.requests)
        topologySpread = PodTopologySpread(pod: pod, snapshot: snapshot)
        interPodAffinity = InterPodAffinity(pod: pod, snapshot: snapshot)
        needsOnlySummary =
            pod.nodeName == nil && nodeAffinity == nil && pod.hostPorts.isEmpty && request.scalars.isEmpty
            && topologySpread == nil && interPodAffinity == nil
    }

    /// What a node's summary alone says about the pod.
    enum SummaryVerdict {
        case fits
        case rejected(FilterStatus)
        /// The pod or the node (cordoned, tainted) needs the filters that read the whole node.
        case needsFullCheck
    }

    func filter(_ node: NodeSummary) -> SummaryVerdict {
        guard needsOnlySummary, !node.unschedulable, !node.hasSchedulingTaints else { return .needsFullCheck }
        guard let status = NodeResourcesFit.filter(request, node, allocatableScalars: [:], requestedScalars: [:])
        else { return .fits }
        return .rejected(status)
    }

    /// Runs the filters in Kubernetes' order and returns the first rejection, or nil when the node fits.
    func filter(_ node: NodeInfo) -> FilterStatus? {
        if let status = NodeUnschedulable.filter(pod, node) { return status }
        if let status = NodeName.filter(pod, node) { return status }
        if let status = TaintToleration.filter(pod, node) { return status }
        if let nodeAffinity, let status = NodeAffinity.filter(nodeAffinity, node) { return status }
        if !pod.hostPorts.isEmpty, let status = NodePorts.filter(pod.hostPorts, node) { return status }
        if let status = NodeResourcesFit.filter(request, node) { return status }
        if let topologySpread, let status = topologySpread.filter(node) { return status }
        if let interPodAffinity, let status = interPodAffinity.filter(node) { return status }
        return nil
    }

    /// Updates the counts of the stateful filters as if `other` were added to (`delta` 1) or removed from
    /// (`delta` -1) `node`.
    mutating func update(with other: PodInfo, on node: NodeInfo, delta: Int) {
        topologySpread?.update(with: other, on: node, delta: delta)
        interPodAffinity?.update(with: other, on: node, delta: delta)
    }

    /// `RunFilterPluginsWithNominatedPods`: with pods nominated to the node at the pod's priority or above, the node
    /// must fit both with them (they are owed the room) and without them (they may land elsewhere).
    func filter(_ node: NodeInfo, nominated: [PodInfo]) -> FilterStatus? {
        let owed = nominated.filter { $0.priority >= pod.priority && !($0.name == pod.name && $0.namespace == pod.namespace) }
        guard !owed.isEmpty else { return filter(node) }
        var withNominated = node
        var state = self
        for other in owed {
            withNominated.add(other)
            state.update(with: other, on: withNominated, delta: 1)
        }
        if let status = state.filter(withNominated) { return status }
        return filter(node)
    }
}
