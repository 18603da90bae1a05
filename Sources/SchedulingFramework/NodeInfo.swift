import APIMachinery
import KubeObjects

/// A node and the pods assigned to it, with the sums the filters and scores read (kube-scheduler's
/// `framework.NodeInfo`). Kept up to date incrementally by `ClusterSnapshot`.
///
/// The fields live in one copy-on-write box, so copying a `NodeInfo` — which passing it around does — costs one
/// reference count; only the integers the hot loops read sit inline.
public struct NodeInfo: Sendable {
    // Written only through `mutableFields()`, which first makes the box unique; a box two `NodeInfo`s share is
    // never written, so sharing it across concurrency domains is safe.
    private final class Fields: @unchecked Sendable {
        var name = ""
        var labels: [String: String] = [:]
        var taints: [Taint] = []
        var allocatable = ResourceList()
        var object: JSONValue = .null
        var pods: [PodInfo] = []
        var requested = ResourceList()
        var nonZeroRequested = ResourceList()
        var usedPorts = HostPortUsage()
        var podsWithAffinityCount = 0
        var podsWithRequiredAntiAffinityCount = 0

        init() {}

        init(copying other: Fields) {
            name = other.name
            labels = other.labels
            taints = other.taints
            allocatable = other.allocatable
            object = other.object
            pods = other.pods
            requested = other.requested
            nonZeroRequested = other.nonZeroRequested
            usedPorts = other.usedPorts
            podsWithAffinityCount = other.podsWithAffinityCount
            podsWithRequiredAntiAffinityCount = other.podsWithRequiredAntiAffinityCount
        }
    }

    private var fields = Fields()
    /// The figures below as plain integers, for the hot loops.
    private(set) var summary = NodeSummary()

    public var name: String { fields.name }
    public var labels: [String: String] { fields.labels }
    public var taints: [Taint] { fields.taints }
    /// `status.allocatable`, or `status.capacity` for a node that reports no allocatable resources.
    public var allocatable: ResourceList { fields.allocatable }
    /// `spec.unschedulable` (cordoned).
    public var unschedulable: Bool { summary.unschedulable }
    /// The node object this was parsed from.
    public var object: JSONValue { fields.object }
    /// The pods bound or assumed to this node, in the order they arrived.
    public var pods: [PodInfo] { fields.pods }
    /// The sum of the pods' requests; `pods` is the pod count.
    public var requested: ResourceList { fields.requested }
    /// The sum of the pods' CPU and memory requests with the scoring defaults applied.
    public var nonZeroRequested: ResourceList { fields.nonZeroRequested }
    public var usedPorts: HostPortUsage { fields.usedPorts }
    /// How many of `pods` have pod affinity or anti-affinity of any kind, and required anti-affinity.
    var podsWithAffinityCount: Int { fields.podsWithAffinityCount }
    var podsWithRequiredAntiAffinityCount: Int { fields.podsWithRequiredAntiAffinityCount }

    /// Parses a node object; pods are added separately.
    public init(node: JSONValue) {
        update(node: node)
    }

    private mutating func mutableFields() -> Fields {
        if !isKnownUniquelyReferenced(&fields) { fields = Fields(copying: fields) }
        return fields
    }

    /// Replaces the node object, keeping the pods.
    mutating func update(node: JSONValue) {
        let fields = mutableFields()
        fields.object = node
        fields.name = node.metadata.name
        fields.labels = PodInfo.stringMap(node[path: "metadata", "labels"])
        fields.taints = Node(node).spec.taints.compactMap(Taint.init(json:))
        let status = node["status"] ?? .emptyObject
        fields.allocatable = ResourceList(json: status["allocatable"] ?? status["capacity"])
        summary.allocatableMilliCPU = fields.allocatable.milliCPU
        summary.allocatableMemory = fields.allocatable.memory
        summary.allocatableEphemeralStorage = fields.allocatable.ephemeralStorage
        summary.allowedPods = fields.allocatable.pods
        summary.unschedulable = Node(node).spec.unschedulable
        summary.hasSchedulingTaints = fields.taints.contains(where: \.blocksScheduling)
        summary.hasPreferNoScheduleTaints = fields.taints.contains { $0.effect == .preferNoSchedule }
    }

    /// The first `NoSchedule`/`NoExecute` taint the tolerations do not tolerate (`FindMatchingUntoleratedTaint`).
    public func firstUntoleratedTaint(_ tolerations: [Toleration]) -> Taint? {
        guard summary.hasSchedulingTaints else { return nil }
        return fields.taints.first { $0.blocksScheduling && !tolerations.tolerate($0) }
    }

    mutating func add(_ pod: PodInfo) {
        mutableFields().pods.append(pod)
        account(pod, sign: 1)
    }

    /// Removes the named pod; returns it, or nil when the node does not have it.
    @discardableResult
    mutating func removePod(namespace: String, name: String) -> PodInfo? {
        guard let index = fields.pods.firstIndex(where: { $0.name == name && $0.namespace == namespace }) else {
            return nil
        }
        let pod = mutableFields().pods.remove(at: index)
        account(pod, sign: -1)
        return pod
    }

    private mutating func account(_ pod: PodInfo, sign: Int) {
        let fields = mutableFields()
        if sign > 0 {
            fields.requested.add(pod.requests)
            fields.nonZeroRequested.add(pod.nonZeroRequests)
            for port in pod.hostPorts { fields.usedPorts.add(port) }
        } else {
            fields.requested.subtract(pod.requests)
            fields.nonZeroRequested.subtract(pod.nonZeroRequests)
            for port in pod.hostPorts { fields.usedPorts.remove(port) }
        }
        if pod.hasInterPodAffinity { fields.podsWithAffinityCount += sign }
        if !pod.requiredAntiAffinityTerms.isEmpty { fields.podsWithRequiredAntiAffinityCount += sign }
        summary.requestedMilliCPU = fields.requested.milliCPU
        summary.requestedMemory = fields.requested.memory
        summary.requestedEphemeralStorage = fields.requested.ephemeralStorage
        summary.nonZeroMilliCPU = fields.nonZeroRequested.milliCPU
        summary.nonZeroMemory = fields.nonZeroRequested.memory
        summary.podCount = Int64(fields.pods.count)
    }
}
