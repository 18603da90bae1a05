import APIMachinery

/// The scheduler's picture of the cluster: nodes, the pods bound or assumed to them, nominations left by
/// preemption, and namespace labels for `namespaceSelector`s.
///
/// Meant to live as long as the scheduler and be updated in place on every informer event; every update costs
/// about the size of one node's pod list. Keep a single copy: a second reference to it makes the next update copy
/// all the nodes (copy-on-write).
public struct ClusterSnapshot: Sendable {
    /// The nodes in a stable order (removing a node moves the last node into its place).
    public private(set) var nodes: [NodeInfo] = []
    private var nodeIndex: [String: Int] = [:]
    /// Node name of every tracked pod, by `namespace/name`.
    private var podNodes: [String: String] = [:]
    /// Pods bound to nodes the snapshot does not know yet, by node name; they join the node when it appears.
    private var orphans: [String: [PodInfo]] = [:]
    /// Names of the nodes with at least one pod that has inter-pod affinity of any kind, and with required
    /// anti-affinity: the only nodes that existing pods' affinity rules need to look at.
    private(set) var nodesWithAffinityPods: Set<String> = []
    private(set) var nodesWithRequiredAntiAffinityPods: Set<String> = []
    /// Pods waiting for the room a preemption made, by nominated node name, and the node of each by pod key.
    var nominatedPods: [String: [PodInfo]] = [:]
    var nominations: [String: String] = [:]
    /// The number of nominations, so that the filter loop can skip the lookups when there are none.
    var nominatedPodCount = 0
    var namespaces = NamespaceLabels()

    public init() {}

    public var nodeCount: Int { nodes.count }

    public func node(named name: String) -> NodeInfo? {
        nodeIndex[name].map { nodes[$0] }
    }

    func index(ofNode name: String) -> Int? {
        nodeIndex[name]
    }

    /// Adds a node or replaces its object, keeping its pods.
    public mutating func upsertNode(_ node: JSONValue) {
        let info = NodeInfo(node: node)
        if let index = nodeIndex[info.name] {
            nodes[index].update(node: node)
            return
        }
        nodeIndex[info.name] = nodes.count
        nodes.append(info)
        for pod in orphans.removeValue(forKey: info.name) ?? [] {
            place(pod, onNodeAt: nodes.count - 1)
        }
    }

    /// Removes a node. Its pods stay tracked and count again if the node comes back.
    @discardableResult
    public mutating func removeNode(named name: String) -> Bool {
        guard let index = nodeIndex.removeValue(forKey: name) else { return false }
        let removed = nodes[index]
        let last = nodes.count - 1
        if index != last {
            nodes.swapAt(index, last)
            nodeIndex[nodes[index].name] = index
        }
        nodes.removeLast()
        if !removed.pods.isEmpty { orphans[name] = removed.pods }
        nodesWithAffinityPods.remove(name)
        nodesWithRequiredAntiAffinityPods.remove(name)
        return true
    }

    /// Adds or replaces a pod bound (or assumed) to a node. A pod without a node, or one that has finished
    /// (`Succeeded`, `Failed`), holds no resources and is removed instead. Binding a pod ends its nomination.
    public mutating func addPod(_ pod: PodInfo) {
        removePod(namespace: pod.namespace, name: pod.name)
        guard let nodeName = pod.nodeName, !pod.isTerminal else { return }
        removeNomination(namespace: pod.namespace, name: pod.name)
        podNodes[pod.key] = nodeName
        if let index = nodeIndex[nodeName] {
            place(pod, onNodeAt: index)
        } else {
            orphans[nodeName, default: []].append(pod)
        }
    }

    /// The same as `addPod`: the new version replaces the old one wherever it was.
    public mutating func updatePod(_ pod: PodInfo) {
        addPod(pod)
    }

    /// Forgets a pod; returns it, or nil when it was not tracked.
    @discardableResult
    public mutating func removePod(namespace: String, name: String) -> PodInfo? {
        guard let nodeName = podNodes.removeValue(forKey: namespace + "/" + name) else { return nil }
        guard let index = nodeIndex[nodeName] else {
            guard let position = orphans[nodeName]?.firstIndex(where: { $0.name == name && $0.namespace == namespace })
            else { return nil }
            let pod = orphans[nodeName]?.remove(at: position)
            if orphans[nodeName]?.isEmpty == true { orphans[nodeName] = nil }
            return pod
        }
        let pod = nodes[index].removePod(namespace: namespace, name: name)
        if nodes[index].podsWithAffinityCount == 0 { nodesWithAffinityPods.remove(nodeName) }
        if nodes[index].podsWithRequiredAntiAffinityCount == 0 { nodesWithRequiredAntiAffinityPods.remove(nodeName) }
        return pod
    }

    /// The tracked pod with this name, on a known node or not.
    public func pod(namespace: String, name: String) -> PodInfo? {
        guard let nodeName = podNodes[namespace + "/" + name] else { return nil }
        let pods = nodeIndex[nodeName].map { nodes[$0].pods } ?? orphans[nodeName] ?? []
        return pods.first { $0.name == name && $0.namespace == namespace }
    }

    private mutating func place(_ pod: PodInfo, onNodeAt index: Int) {
        nodes[index].add(pod)
        if pod.hasInterPodAffinity { nodesWithAffinityPods.insert(nodes[index].name) }
        if !pod.requiredAntiAffinityTerms.isEmpty { nodesWithRequiredAntiAffinityPods.insert(nodes[index].name) }
    }
}
