import APIMachinery

/// Where each kind of workload carries the pods it makes (`DefaultPodSpecExtractor`).
extension PodSecurityAdmission {
    /// The resources whose objects Kubernetes checks a pod template of, by group and resource.
    public static let podTemplateResources: Set<GroupResource> = [
        GroupResource(group: "", resource: "pods"), GroupResource(group: "", resource: "replicationcontrollers"),
        GroupResource(group: "", resource: "podtemplates"), GroupResource(group: "apps", resource: "replicasets"),
        GroupResource(group: "apps", resource: "deployments"), GroupResource(group: "apps", resource: "statefulsets"),
        GroupResource(group: "apps", resource: "daemonsets"), GroupResource(group: "batch", resource: "jobs"),
        GroupResource(group: "batch", resource: "cronjobs"),
    ]

    /// The pod, or pod template (`metadata` and `spec`), that `object` of `resource` makes its pods from: a Pod
    /// itself, a PodTemplate's `template`, a CronJob's `spec.jobTemplate.spec.template`, every other workload's
    /// `spec.template`. Nil for other resources, and for a ReplicationController without a template (the only kind
    /// whose template is optional); any other kind's missing template is an empty one, as Go's zero value.
    public static func podTemplate(in object: JSONValue, resource: GroupResource) -> JSONValue? {
        switch (resource.group, resource.resource) {
        case ("", "pods"):
            return object
        case ("", "podtemplates"):
            return object["template"] ?? .emptyObject
        case ("", "replicationcontrollers"):
            guard let template = object[path: "spec", "template"], !template.isNull else { return nil }
            return template
        case ("apps", "replicasets"), ("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets"), ("batch", "jobs"):
            return object[path: "spec", "template"] ?? .emptyObject
        case ("batch", "cronjobs"):
            return object[path: "spec", "jobTemplate", "spec", "template"] ?? .emptyObject
        default:
            return nil
        }
    }
}
