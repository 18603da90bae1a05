import APIMachinery
import KubeObjects

/// Kubernetes' `Priority` admission plugin: a pod's `spec.priority` and `spec.preemptionPolicy` come from its
/// PriorityClass, and at most one PriorityClass is the global default.
enum PriorityAdmission {
    static let pods = GroupResource(group: "", resource: "pods")
    static let priorityClasses = GroupResource(group: "scheduling.k8s.io", resource: "priorityclasses")

    /// A pod's priority when it names no class and no class is the global default.
    static let defaultPriority: Int64 = 0
    static let defaultPreemptionPolicy = "PreemptLowerPriority"

    /// The class for pods that name none. Should a race have left several global defaults, the lowest value wins.
    static func defaultClass(among classes: [JSONValue]) -> JSONValue? {
        classes.filter { $0["globalDefault"]?.boolValue == true }.min { value(of: $0) < value(of: $1) }
    }

    /// Resolves a new pod's priority from `named`, the class it names (nil when no class has that name), or from
    /// `globalDefault` when it names none. A priority or preemption policy the pod sets must agree with the class.
    /// `admissionName` is the name errors use: `metadata.name`, or the `generateName` prefix before a name is made.
    static func admitNewPod(
        _ pod: inout JSONValue, named: JSONValue?, globalDefault: JSONValue?, admissionName: String
    ) throws(APIError) {
        let className = pod[path: "spec", "priorityClassName"]?.stringValue ?? ""
        let priority: Int64
        let preemptionPolicy: String?
        if className.isEmpty {
            if let globalDefault {
                pod[path: "spec", "priorityClassName"] = .string(globalDefault.metadata.name)
                priority = value(of: globalDefault)
                preemptionPolicy = globalDefault["preemptionPolicy"]?.stringValue
            } else {
                priority = defaultPriority
                preemptionPolicy = defaultPreemptionPolicy
            }
        } else {
            guard let named else {
                throw APIError.forbidden(pods, name: admissionName, message: "no PriorityClass with name \(className) was found")
            }
            priority = value(of: named)
            preemptionPolicy = named["preemptionPolicy"]?.stringValue
        }
        if let sent = pod[path: "spec", "priority"]?.integerValue, sent != priority {
            throw APIError.forbidden(
                pods, name: admissionName,
                message: "the integer value of priority (\(sent)) must not be provided in pod spec; "
                    + "priority admission controller computed \(priority) from the given PriorityClass name")
        }
        pod[path: "spec", "priority"] = .integer(priority)
        guard let preemptionPolicy else { return }
        if let sent = pod[path: "spec", "preemptionPolicy"]?.stringValue, sent != preemptionPolicy {
            throw APIError.forbidden(
                pods, name: admissionName,
                message: "the string value of PreemptionPolicy (\(sent)) must not be provided in pod spec; "
                    + "priority admission controller computed \(preemptionPolicy) from the given PriorityClass name")
        }
        pod[path: "spec", "preemptionPolicy"] = .string(preemptionPolicy)
    }

    /// On update the priority resolved at creation stays when the new object leaves it out (a `kubectl replace` of
    /// the original manifest); any other change is left to update validation, which forbids it.
    static func keepResolvedPriority(_ pod: inout JSONValue, old: JSONValue) {
        for field in ["priority", "preemptionPolicy"] where pod[path: "spec", field]?.isNull ?? true {
            if let resolved = old[path: "spec", field], !resolved.isNull {
                pod[path: "spec", field] = resolved
            }
        }
    }

    /// A PriorityClass may be made the global default only while no other class is; `existing` are the stored classes.
    static func validateClass(_ priorityClass: JSONValue, isUpdate: Bool, existing: [JSONValue]) throws(APIError) {
        guard priorityClass["globalDefault"]?.boolValue == true, let current = defaultClass(among: existing) else { return }
        if !isUpdate || current.metadata.name != priorityClass.metadata.name {
            throw APIError.forbidden(
                priorityClasses, name: priorityClass.metadata.name,
                message: "PriorityClass \(current.metadata.name) is already marked as default. Only one default can exist")
        }
    }

    private static func value(of priorityClass: JSONValue) -> Int64 {
        priorityClass["value"]?.integerValue ?? 0
    }
}
