import APIMachinery
import APIRegistry

extension KubernetesAPI {
    /// The admission plugins Skiff runs on a create or update of a main resource (never a subresource), after
    /// defaulting and managedFields and before validation, as Kubernetes orders them. `old` is nil on create;
    /// `admissionName` is the name errors use (Kubernetes admits a `generateName` object before naming it).
    func admit(_ object: inout JSONValue, old: JSONValue?, definition: ResourceDefinition, admissionName: String) async throws(APIError) {
        switch (definition.group, definition.resource) {
        case ("", "pods"):
            if let old {
                PriorityAdmission.keepResolvedPriority(&object, old: old)
            } else {
                try await admitPriority(&object, admissionName: admissionName)
            }
            DefaultTolerationSeconds.admit(&object)
        case ("scheduling.k8s.io", "priorityclasses"):
            try PriorityAdmission.validateClass(object, isUpdate: old != nil, existing: try await allPriorityClasses())
        default:
            break
        }
    }

    private func admitPriority(_ pod: inout JSONValue, admissionName: String) async throws(APIError) {
        let className = pod[path: "spec", "priorityClassName"]?.stringValue ?? ""
        var named: JSONValue?
        var globalDefault: JSONValue?
        if className.isEmpty {
            globalDefault = PriorityAdmission.defaultClass(among: try await allPriorityClasses())
        } else if let priorityClasses = priorityClassDefinition {
            named = try await objects.find(priorityClasses, namespace: nil, name: className)?.object
        }
        try PriorityAdmission.admitNewPod(&pod, named: named, globalDefault: globalDefault, admissionName: admissionName)
    }

    private var priorityClassDefinition: ResourceDefinition? {
        catalog.resource(group: "scheduling.k8s.io", version: "v1", resource: "priorityclasses")
    }

    private func allPriorityClasses() async throws(APIError) -> [JSONValue] {
        guard let priorityClasses = priorityClassDefinition else { return [] }
        return try await listAll(priorityClasses, namespace: nil)
    }
}
