import APIMachinery

/// The evaluator quota uses for each resource (`install.NewQuotaConfigurationForAdmission`): pods, services and
/// claims have their own; every other resource is counted.
public enum QuotaEvaluators {
    /// Virtual resources that are never stored, and events, which quota has never limited
    /// (`install.DefaultIgnoredResources`).
    public static let ignoredResources: Set<GroupResource> = [
        GroupResource(group: "", resource: "bindings"), GroupResource(group: "", resource: "componentstatuses"),
        GroupResource(group: "authentication.k8s.io", resource: "tokenreviews"),
        GroupResource(group: "authentication.k8s.io", resource: "selfsubjectreviews"),
        GroupResource(group: "authorization.k8s.io", resource: "subjectaccessreviews"),
        GroupResource(group: "authorization.k8s.io", resource: "selfsubjectaccessreviews"),
        GroupResource(group: "authorization.k8s.io", resource: "localsubjectaccessreviews"),
        GroupResource(group: "authorization.k8s.io", resource: "selfsubjectrulesreviews"),
        GroupResource(group: "", resource: "events"), GroupResource(group: "events.k8s.io", resource: "events"),
    ]

    /// The evaluator for a resource; nil for the ignored ones.
    public static func evaluator(for resource: GroupResource) -> (any UsageEvaluator)? {
        guard !ignoredResources.contains(resource) else { return nil }
        switch (resource.group, resource.resource) {
        case ("", "pods"): return PodEvaluator()
        case ("", "services"): return ServiceEvaluator()
        case ("", "persistentvolumeclaims"): return PersistentVolumeClaimEvaluator()
        default: return ObjectCountEvaluator(resource)
        }
    }
}
