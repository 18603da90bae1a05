import APIMachinery

/// A pod as the scheduler sees it, parsed once from its JSON object (kube-scheduler's `framework.PodInfo` plus the
/// per-pod values its plugins compute in PreFilter).
///
/// Parsing never fails: parts that do not parse are dropped the way Kubernetes tolerates them (a quantity that is
/// not a quantity requests nothing, a malformed selector selects nothing). The fields live in one shared immutable
/// box, so copying a `PodInfo` — which the snapshot and the filters do a lot — costs one reference count.
public struct PodInfo: Sendable {
    /// `spec.preemptionPolicy`.
    public enum PreemptionPolicy: Sendable, Hashable {
        case preemptLowerPriority, never
    }

    struct Fields: Sendable {
        var object: JSONValue
        var namespace: String
        var name: String
        var uid: String
        var labels: [String: String]
        var priority: Int
        var preemptionPolicy: PreemptionPolicy
        var nodeName: String?
        var nominatedNodeName: String?
        var schedulerName: String
        var isTerminal: Bool
        var deletionTimestamp: String?
        var isPreemptedByScheduler: Bool
        var startTime: String?
        var requests: ResourceList
        var nonZeroRequests: ResourceList
        var requiredNodeAffinity: RequiredNodeAffinity
        var preferredNodeAffinity: [PreferredSchedulingTerm]
        var tolerations: [Toleration]
        var hostPorts: [HostPort]
        var hasInterPodAffinity: Bool
        var requiredAffinityTerms: [AffinityTerm]
        var requiredAntiAffinityTerms: [AffinityTerm]
        var preferredAffinityTerms: [WeightedAffinityTerm]
        var preferredAntiAffinityTerms: [WeightedAffinityTerm]
        var topologySpreadConstraints: [TopologySpreadConstraint]
    }

    private final class Box: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private let box: Box

    init(fields: Fields) {
        box = Box(fields)
    }

    var fields: Fields { box.fields }

    /// The pod object this was parsed from.
    public var object: JSONValue { box.fields.object }
    public var namespace: String { box.fields.namespace }
    public var name: String { box.fields.name }
    public var uid: String { box.fields.uid }
    public var labels: [String: String] { box.fields.labels }
    /// `spec.priority`, 0 when unset.
    public var priority: Int { box.fields.priority }
    public var preemptionPolicy: PreemptionPolicy { box.fields.preemptionPolicy }
    /// `spec.nodeName`: the node the pod is bound (or assumed) to.
    public var nodeName: String? { box.fields.nodeName }
    /// `status.nominatedNodeName`: where an earlier preemption made room for the pod.
    public var nominatedNodeName: String? { box.fields.nominatedNodeName }
    /// `spec.schedulerName`, `default-scheduler` when unset.
    public var schedulerName: String { box.fields.schedulerName }
    /// True in phase `Succeeded` or `Failed`: such a pod holds no resources.
    public var isTerminal: Bool { box.fields.isTerminal }
    /// `metadata.deletionTimestamp`: the pod is terminating.
    public var deletionTimestamp: String? { box.fields.deletionTimestamp }
    public var isTerminating: Bool { box.fields.deletionTimestamp != nil }
    /// True when the pod carries the `DisruptionTarget` condition a preemption sets on its victims.
    public var isPreemptedByScheduler: Bool { box.fields.isPreemptedByScheduler }
    /// `status.startTime`, used to order equal-priority preemption victims.
    public var startTime: String? { box.fields.startTime }
    /// The effective requests (`resourcehelper.PodRequests`): the sum of the containers, raised to the largest init
    /// container (plus the sidecars started before it), plus `spec.overhead`; `pods` is 1.
    public var requests: ResourceList { box.fields.requests }
    /// CPU and memory requests with Kubernetes' scoring defaults (100m CPU, 200Mi memory) for containers that
    /// request none, so that pods without requests still spread.
    public var nonZeroRequests: ResourceList { box.fields.nonZeroRequests }
    public var nodeSelector: [String: String] { box.fields.requiredNodeAffinity.nodeSelector }
    /// `spec.nodeSelector` together with the required node affinity terms.
    public var requiredNodeAffinity: RequiredNodeAffinity { box.fields.requiredNodeAffinity }
    public var preferredNodeAffinity: [PreferredSchedulingTerm] { box.fields.preferredNodeAffinity }
    public var tolerations: [Toleration] { box.fields.tolerations }
    /// The host ports the pod's containers ask for.
    public var hostPorts: [HostPort] { box.fields.hostPorts }
    /// True when the pod has `podAffinity` or `podAntiAffinity` of any kind.
    public var hasInterPodAffinity: Bool { box.fields.hasInterPodAffinity }
    public var requiredAffinityTerms: [AffinityTerm] { box.fields.requiredAffinityTerms }
    public var requiredAntiAffinityTerms: [AffinityTerm] { box.fields.requiredAntiAffinityTerms }
    public var preferredAffinityTerms: [WeightedAffinityTerm] { box.fields.preferredAffinityTerms }
    public var preferredAntiAffinityTerms: [WeightedAffinityTerm] { box.fields.preferredAntiAffinityTerms }
    public var topologySpreadConstraints: [TopologySpreadConstraint] { box.fields.topologySpreadConstraints }

    /// `namespace/name`, the key the snapshot tracks the pod by.
    public var key: String { box.fields.namespace + "/" + box.fields.name }

    /// The same pod bound to `nodeName` (with `spec.nodeName` set in its object too), as the scheduler assumes it
    /// while the binding is in flight.
    public func bound(to nodeName: String) -> PodInfo {
        var fields = box.fields
        fields.nodeName = nodeName
        fields.object[path: "spec", "nodeName"] = .string(nodeName)
        return PodInfo(fields: fields)
    }
}
