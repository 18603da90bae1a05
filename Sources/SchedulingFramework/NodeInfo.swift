import APIMachinery

/// A node and the pods assigned to it, with the sums the filters and scores read (kube-scheduler's
/// `framework.NodeInfo`). Kept up to date incrementally by `ClusterSnapshot`.
public struct NodeInfo: Sendable {
    public private(set) var name: String
    public private(set) var labels: [String: String]
    public private(set) var taints: [Taint]
    /// `status.allocatable`, or `status.capacity` for a node that reports no allocatable resources.
    public private(set) var allocatable: ResourceList
    /// `spec.unschedulable` (cordoned).
    public private(set) var unschedulable: Bool
    /// The node object this was parsed from.
    public private(set) var object: JSONValue

    /// The pods bound or assumed to this node, in the order they arrived.
    public private(set) var pods: [PodInfo] = []
    /// The sum of the pods' requests; `pods` is the pod count.
    public private(set) var requested = ResourceList()
    /// The sum of the pods' CPU and memory requests with the scoring defaults applied.
    public private(set) var nonZeroRequested = ResourceList()
    public private(set) var usedPorts = HostPortUsage()

    /// How many of `pods` have pod affinity or anti-affinity of any kind, and required anti-affinity.
    private(set) var podsWithAffinityCount = 0
    private(set) var podsWithRequiredAntiAffinityCount = 0
    /// True when some taint has a `NoSchedule` or `NoExecute` effect; lets the hot filter loop skip the taints.
    private(set) var hasSchedulingTaints = false
    private(set) var hasPreferNoScheduleTaints = false

    /// Parses a node object; pods are added separately.
    public init(node: JSONValue) {
        name = ""
        labels = [:]
        taints = []
        allocatable = ResourceList()
        unschedulable = false
        object = .null
        update(node: node)
    }

    /// Replaces the node object, keeping the pods.
    mutating func update(node: JSONValue) {
        object = node
        name = node[path: "metadata", "name"]?.stringValue ?? ""
        labels = PodInfo.stringMap(node[path: "metadata", "labels"])
        taints = (node[path: "spec", "taints"]?.arrayValue ?? []).compactMap(Taint.init(json:))
        unschedulable = node[path: "spec", "unschedulable"]?.boolValue ?? false
        let status = node["status"] ?? .emptyObject
        allocatable = ResourceList(json: status["allocatable"] ?? status["capacity"])
        hasSchedulingTaints = taints.contains(where: \.blocksScheduling)
        hasPreferNoScheduleTaints = taints.contains { $0.effect == .preferNoSchedule }
    }

    /// The first `NoSchedule`/`NoExecute` taint the tolerations do not tolerate (`FindMatchingUntoleratedTaint`).
    public func firstUntoleratedTaint(_ tolerations: [Toleration]) -> Taint? {
        guard hasSchedulingTaints else { return nil }
        return taints.first { $0.blocksScheduling && !tolerations.tolerate($0) }
    }

    mutating func add(_ pod: PodInfo) {
        pods.append(pod)
        account(pod, sign: 1)
    }

    /// Removes the named pod; returns it, or nil when the node does not have it.
    @discardableResult
    mutating func removePod(namespace: String, name: String) -> PodInfo? {
        guard let index = pods.firstIndex(where: { $0.name == name && $0.namespace == namespace }) else { return nil }
        let pod = pods.remove(at: index)
        account(pod, sign: -1)
        return pod
    }

    private mutating func account(_ pod: PodInfo, sign: Int) {
        if sign > 0 {
            requested.add(pod.requests)
            nonZeroRequested.add(pod.nonZeroRequests)
            for port in pod.hostPorts { usedPorts.add(port) }
        } else {
            requested.subtract(pod.requests)
            nonZeroRequested.subtract(pod.nonZeroRequests)
            for port in pod.hostPorts { usedPorts.remove(port) }
        }
        if pod.hasInterPodAffinity { podsWithAffinityCount += sign }
        if !pod.requiredAntiAffinityTerms.isEmpty { podsWithRequiredAntiAffinityCount += sign }
    }
}
