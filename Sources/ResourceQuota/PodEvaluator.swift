import APIMachinery
import Foundation
import KubeObjects

/// Quota for pods (`pkg/quota/v1/evaluator/core/pods.go`): the count of pods, and their compute requests and
/// limits while they can still run; the only resource with scopes.
public struct PodEvaluator: UsageEvaluator {
    public init() {}

    public var groupResource: GroupResource { GroupResource(group: "", resource: "pods") }

    static let objectCountName = ObjectCountEvaluator.quotaName(for: GroupResource(group: "", resource: "pods"))
    static let computeNames: Set<String> = [
        objectCountName, "pods", "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage",
        "limits.cpu", "limits.memory", "limits.ephemeral-storage",
    ]
    /// The names a quota on cpu or memory requires every container to set. Kubernetes keeps this list for
    /// compatibility and warns against growing it.
    static let requiredOfEveryContainer: Set<String> = ["cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"]
    static let hugePagesPrefix = "hugepages-"
    static let requestsPrefix = "requests."

    /// Creates, and resizes of a running pod's resources; other updates cannot change what a pod asks for.
    public func handles(_ operation: QuotaOperation, subresource: String) -> Bool {
        switch (operation, subresource) {
        case (.create, ""), (.update, "resize"): return true
        default: return false
        }
    }

    public func matchingResources(_ names: Set<String>) -> Set<String> {
        names.filter { name in
            Self.computeNames.contains(name) || name.hasPrefix(Self.hugePagesPrefix) || name.hasPrefix(Self.requestsPrefix + Self.hugePagesPrefix)
                || (name.hasPrefix(Self.requestsPrefix) && !Self.isNative(name))
        }
    }

    /// `podMatchesScopeFunc`.
    public func matchesScope(_ requirement: ScopeRequirement, _ object: JSONValue) -> Bool {
        switch requirement.scopeName {
        case "Terminating": return Self.isTerminating(object)
        case "NotTerminating": return !Self.isTerminating(object)
        case "BestEffort": return PodResources.isBestEffort(object)
        case "NotBestEffort": return !PodResources.isBestEffort(object)
        case "PriorityClass":
            let className = object[path: "spec", "priorityClassName"]?.stringValue ?? ""
            if requirement.operator == .exists { return !className.isEmpty }
            return requirement.matches(className.isEmpty ? [:] : ["PriorityClass": className])
        case "CrossNamespacePodAffinity": return Self.usesCrossNamespaceAffinity(object)
        default: return false
        }
    }

    /// Under a quota on cpu or memory every container, init containers too, must set what the quota limits:
    /// `must specify limits.cpu for: a,b; requests.memory for: b`.
    public func constraintViolation(required: Set<String>, _ object: JSONValue) -> String? {
        let required = required.intersection(Self.requiredOfEveryContainer)
        guard !required.isEmpty else { return nil }
        var missing: [String: Set<String>] = [:]
        let spec = Pod(object).spec
        for container in spec.containers + spec.initContainers {
            let set = Self.computeUsage(requests: ContainerResources.requests(of: container), limits: ContainerResources.limits(of: container)).names
            for name in required.subtracting(set) { missing[name, default: []].insert(container.name) }
        }
        guard !missing.isEmpty else { return nil }
        let parts = missing.keys.sorted().map { name in "\(name) for: \((missing[name] ?? []).sorted().joined(separator: ","))" }
        return "must specify " + parts.joined(separator: "; ")
    }

    /// `count/pods` always, since it counts stored objects; the compute usage only while the pod can still run
    /// (`PodUsageFunc`).
    public func usage(of object: JSONValue, now: Date) -> ResourceList {
        let count = ResourceList([Self.objectCountName: Quantity(1)])
        guard Self.isCharged(object, now: now) else { return count }
        let requests = PodResources.requests(of: object, includingOverhead: true)
        let limits = PodResources.limits(of: object, includingOverhead: true)
        return count + Self.computeUsage(requests: requests, limits: limits)
    }

    /// What a pod's (or one container's) requests and limits count as (`podComputeUsageHelper`): the unprefixed
    /// `cpu`, `memory` and `ephemeral-storage` are the requests; extended resources count only as `requests.<name>`.
    static func computeUsage(requests: ResourceList, limits: ResourceList) -> ResourceList {
        var usage = ResourceList(["pods": Quantity(1)])
        for name in ["cpu", "memory", "ephemeral-storage"] {
            if let request = requests[name] {
                usage[name] = request
                usage[Self.requestsPrefix + name] = request
            }
            if let limit = limits[name] { usage["limits." + name] = limit }
        }
        for (name, request) in requests.quantities {
            if name.hasPrefix(Self.hugePagesPrefix) {
                usage[name] = request
                usage[Self.requestsPrefix + name] = request
            }
            if Self.isExtended(name) { usage[Self.requestsPrefix + name] = request }
        }
        return usage
    }

    /// A pod is charged until it is Succeeded or Failed, or deleted and past its grace period: a pod stuck
    /// terminating on a lost node should not keep its owner from replacing it (`QuotaV1Pod`).
    static func isCharged(_ pod: JSONValue, now: Date) -> Bool {
        if Pod(pod).isFinished { return false }
        let metadata = pod.metadata
        if let deletion = metadata.deletionTimestamp.flatMap(KubeTime.parse), let grace = metadata.deletionGracePeriodSeconds,
            now > deletion.addingTimeInterval(TimeInterval(grace))
        {
            return false
        }
        return true
    }

    /// A pod with an active deadline will end on its own.
    static func isTerminating(_ pod: JSONValue) -> Bool {
        (pod[path: "spec", "activeDeadlineSeconds"]?.integerValue).map { $0 >= 0 } ?? false
    }

    /// Whether a pod (anti-)affinity term looks at pods of other namespaces (`namespaces` or a `namespaceSelector`).
    static func usesCrossNamespaceAffinity(_ pod: JSONValue) -> Bool {
        ["podAffinity", "podAntiAffinity"].contains { kind in
            let affinity = pod[path: "spec", "affinity", kind]
            let required = affinity?["requiredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []
            let preferred = (affinity?["preferredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []).compactMap { $0["podAffinityTerm"] }
            return (required + preferred).contains { term in
                !(term["namespaces"]?.arrayValue ?? []).isEmpty || !(term["namespaceSelector"]?.isNull ?? true)
            }
        }
    }

    /// Kubernetes' own resources: unqualified names and names in the `kubernetes.io/` domain.
    private static func isNative(_ name: String) -> Bool {
        !name.contains("/") || name.contains("kubernetes.io/")
    }

    /// A resource a device plugin or the cluster's owner defines (`example.com/gpu`).
    private static func isExtended(_ name: String) -> Bool {
        !isNative(name) && !name.hasPrefix(requestsPrefix)
    }
}
