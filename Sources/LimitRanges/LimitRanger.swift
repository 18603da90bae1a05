import APIMachinery
import Foundation
import KubeObjects
import ResourceQuota

/// Kubernetes' LimitRanger admission (plugin/pkg/admission/limitranger): a new pod's containers get the default
/// requests and limits of the namespace's LimitRanges, then every container, init container, pod and claim must
/// keep within their min, max and limit/request ratio.
///
/// The LimitRanges are taken as stored, already defaulted (`SetDefaults_LimitRangeItem`: a max becomes the
/// default limit, a default limit the default request, a min the default request).
public enum LimitRanger {
    /// The annotation that lists what the plugin set: `LimitRanger plugin set: cpu, memory request for container web`.
    public static let annotation = "kubernetes.io/limit-ranger"

    /// Both phases for a new pod, as the API server runs them. Kubernetes leaves pod updates alone: a pod's
    /// containers and their resources cannot change there.
    public static func admitPod(_ pod: inout JSONValue, limitRanges: [JSONValue]) throws(LimitRangeViolation) {
        applyDefaults(to: &pod, limitRanges: limitRanges)
        try validatePod(pod, limitRanges: limitRanges)
    }

    /// The mutating phase (`PodMutateLimitFunc` for each LimitRange in turn): each container and init container
    /// gets the default request and limit of each resource it does not set, and the pod the annotation that says so.
    public static func applyDefaults(to pod: inout JSONValue, limitRanges: [JSONValue]) {
        for limitRange in limitRanges {
            var requests = ResourceList()
            var limits = ResourceList()
            for item in LimitRangeItem.items(of: limitRange) where item.type == "Container" {
                for (name, quantity) in item.defaultRequests.quantities { requests[name] = quantity }
                for (name, quantity) in item.defaultLimits.quantities { limits[name] = quantity }
            }
            var notes: [String] = []
            for (field, kind) in [("containers", "container"), ("initContainers", "init container")] {
                guard var containers = pod[path: "spec", field]?.arrayValue else { continue }
                for index in containers.indices {
                    notes += merge(requests: requests, limits: limits, into: &containers[index], kind: kind)
                }
                pod[path: "spec", field] = .array(containers)
            }
            if !notes.isEmpty {
                pod[path: "metadata", "annotations", annotation] = .string("LimitRanger plugin set: " + notes.joined(separator: "; "))
            }
        }
    }

    /// The validating phase for a pod (`PodValidateLimitFunc`): the violations of the first LimitRange it breaks.
    public static func validatePod(_ pod: JSONValue, limitRanges: [JSONValue]) throws(LimitRangeViolation) {
        for limitRange in limitRanges {
            var messages: [String] = []
            for item in LimitRangeItem.items(of: limitRange) {
                switch item.type {
                case "Container":
                    let spec = Pod(pod).spec
                    for container in spec.containers + spec.initContainers {
                        messages += violations(
                            of: item, requests: ContainerResources.requests(of: container), limits: ContainerResources.limits(of: container))
                    }
                case "Pod":
                    messages += violations(
                        of: item, requests: PodResources.requests(of: pod, includingOverhead: false),
                        limits: PodResources.limits(of: pod, includingOverhead: false))
                default:
                    break
                }
            }
            if !messages.isEmpty { throw LimitRangeViolation(messages) }
        }
    }

    /// A claim on create and update (`PersistentVolumeClaimValidateLimitFunc`): its requests within the min and max
    /// of `PersistentVolumeClaim` items; it gets no defaults, since a claim must say how much it wants. `old` is the
    /// stored claim on update: one being deleted is not checked.
    public static func validateClaim(_ claim: JSONValue, old: JSONValue?, limitRanges: [JSONValue]) throws(LimitRangeViolation) {
        if old?.metadata.isDeleting == true { return }
        let requests = ResourceList(json: claim[path: "spec", "resources", "requests"])
        for limitRange in limitRanges {
            var messages: [String] = []
            for item in LimitRangeItem.items(of: limitRange) where item.type == "PersistentVolumeClaim" {
                for name in item.min.names.sorted() {
                    messages += minimumViolation(item.type, name, item.min[name], requests: requests, limits: ResourceList())
                }
                for name in item.max.names.sorted() {
                    messages += maximumRequestViolation(item.type, name, item.max[name], requests: requests)
                }
            }
            if !messages.isEmpty { throw LimitRangeViolation(messages) }
        }
    }

    // MARK: - Defaults

    /// Sets the defaults a container lacks; returns the annotation's notes on what it set.
    private static func merge(requests: ResourceList, limits: ResourceList, into container: inout JSONValue, kind: String) -> [String] {
        let name = container["name"]?.stringValue ?? ""
        var notes: [String] = []
        var setRequests: [String] = []
        var setLimits: [String] = []
        fill(&container, "limits", from: limits, set: &setLimits)
        fill(&container, "requests", from: requests, set: &setRequests)
        if !setRequests.isEmpty { notes.append(setRequests.sorted().joined(separator: ", ") + " request for \(kind) \(name)") }
        if !setLimits.isEmpty { notes.append(setLimits.sorted().joined(separator: ", ") + " limit for \(kind) \(name)") }
        return notes
    }

    private static func fill(_ container: inout JSONValue, _ field: String, from defaults: ResourceList, set: inout [String]) {
        var values = container[path: "resources", field]?.objectValue ?? [:]
        for (name, quantity) in defaults.quantities where values[name] == nil {
            values[name] = quantity.json
            set.append(name)
        }
        if !set.isEmpty { container[path: "resources", field] = .object(values) }
    }

    // MARK: - Constraints

    /// Kubernetes' most precise comparable values: thousandths when all three fit, else whole units, each rounded up
    /// (`requestLimitEnforcedValues`). A missing quantity is zero.
    private static func comparable(_ request: Quantity?, _ limit: Quantity?, _ enforced: Quantity?) -> (request: Int64, limit: Int64, enforced: Int64) {
        let maxMilliValue = Int64.max / 1000
        let quantities = [request, limit, enforced].map { $0 ?? .zero }
        let units = quantities.map { $0.value ?? .max }
        guard units.allSatisfy({ $0 <= maxMilliValue }) else { return (units[0], units[1], units[2]) }
        let milli = quantities.map { $0.milliValue ?? .max }
        return (milli[0], milli[1], milli[2])
    }

    private static func violations(of item: LimitRangeItem, requests: ResourceList, limits: ResourceList) -> [String] {
        var messages: [String] = []
        for name in item.min.names.sorted() {
            messages += minimumViolation(item.type, name, item.min[name], requests: requests, limits: limits)
        }
        for name in item.max.names.sorted() {
            messages += maximumViolation(item.type, name, item.max[name], requests: requests, limits: limits)
        }
        for name in item.maxLimitRequestRatio.names.sorted() {
            messages += ratioViolation(item.type, name, item.maxLimitRequestRatio[name], requests: requests, limits: limits)
        }
        return messages
    }

    /// `minConstraint`.
    private static func minimumViolation(_ type: String, _ name: String, _ enforced: Quantity?, requests: ResourceList, limits: ResourceList) -> [String] {
        let bound = "minimum \(name) usage per \(type) is \(enforced ?? .zero)"
        let observed = comparable(requests[name], limits[name], enforced)
        guard let request = requests[name] else { return ["\(bound).  No request is specified"] }
        if observed.request < observed.enforced { return ["\(bound), but request is \(request)"] }
        if let limit = limits[name], observed.limit < observed.enforced { return ["\(bound), but limit is \(limit)"] }
        return []
    }

    /// `maxConstraint`.
    private static func maximumViolation(_ type: String, _ name: String, _ enforced: Quantity?, requests: ResourceList, limits: ResourceList) -> [String] {
        let bound = "maximum \(name) usage per \(type) is \(enforced ?? .zero)"
        let observed = comparable(requests[name], limits[name], enforced)
        guard let limit = limits[name] else { return ["\(bound).  No limit is specified"] }
        if observed.limit > observed.enforced { return ["\(bound), but limit is \(limit)"] }
        if let request = requests[name], observed.request > observed.enforced { return ["\(bound), but request is \(request)"] }
        return []
    }

    /// `maxRequestConstraint`: for claims, whose limits are not the user's to set.
    private static func maximumRequestViolation(_ type: String, _ name: String, _ enforced: Quantity?, requests: ResourceList) -> [String] {
        let bound = "maximum \(name) usage per \(type) is \(enforced ?? .zero)"
        let observed = comparable(requests[name], nil, enforced)
        guard let request = requests[name] else { return ["\(bound).  No request is specified"] }
        if observed.request > observed.enforced { return ["\(bound), but request is \(request)"] }
        return []
    }

    /// `limitRequestRatioConstraint`; the ratio prints with Go's `%f`.
    private static func ratioViolation(_ type: String, _ name: String, _ enforced: Quantity?, requests: ResourceList, limits: ResourceList) -> [String] {
        let bound = "\(name) max limit to request ratio per \(type) is \(enforced ?? .zero)"
        let observed = comparable(requests[name], limits[name], enforced)
        if requests[name] == nil || observed.request == 0 { return ["\(bound), but no request is specified or request is 0"] }
        if limits[name] == nil || observed.limit == 0 { return ["\(bound), but no limit is specified or limit is 0"] }
        let ratio = Double(observed.limit) / Double(observed.request)
        let enforcedUnits = (enforced ?? .zero).value ?? .max
        let fitsMilli = enforcedUnits <= Int64.max / 1000
        let allowed = fitsMilli ? Double((enforced ?? .zero).milliValue ?? .max) : Double(enforcedUnits)
        if (fitsMilli ? ratio * 1000 : ratio) > allowed { return ["\(bound), but provided ratio is \(String(format: "%f", ratio))"] }
        return []
    }
}
