import APIMachinery

/// Kubernetes' `Validate<Kind>` and `Validate<Kind>Update` for built-in objects (after defaulting), with
/// Kubernetes' field paths and messages.
public enum Validation {
    /// Why a name is not a DNS-1123 subdomain (Kubernetes' messages), or nil when it is one.
    public static func dnsSubdomainProblem(_ name: String) -> String? {
        let problems = NameRules.dns1123Subdomain(name)
        return problems.isEmpty ? Optional.none : problems.joined(separator: "; ")
    }

    /// Errors for a new object, as Kubernetes' Validate*Create would report them; empty = valid.
    public static func validateCreate(_ object: JSONValue, group: String, kind: String, namespaced: Bool) -> [StatusCause] {
        var errors = validateObjectMeta(object["metadata"] ?? .emptyObject, namespaced: namespaced, nameRule: nameRule(group: group, kind: kind))
        errors += validateKind(object, group: group, kind: kind)
        return errors
    }

    /// Errors for an update, including immutable fields (old is the stored object).
    public static func validateUpdate(_ object: JSONValue, old: JSONValue, group: String, kind: String, namespaced: Bool) -> [StatusCause] {
        var errors = validateObjectMeta(object["metadata"] ?? .emptyObject, namespaced: namespaced, nameRule: nameRule(group: group, kind: kind))
        errors += validateObjectMetaUpdate(object["metadata"] ?? .emptyObject, old: old["metadata"] ?? .emptyObject)
        errors += validateKind(object, group: group, kind: kind, old: old)
        errors += validateKindUpdate(object, old: old, group: group, kind: kind)
        return errors
    }

    /// The checks of a kind's `Validate<Kind>`; `old` is given on update for the few rules that relax then.
    private static func validateKind(_ object: JSONValue, group: String, kind: String, old: JSONValue? = nil) -> [StatusCause] {
        switch (group, kind) {
        case ("", "Pod"): return validatePod(object)
        case ("", "PodTemplate"): return validatePodTemplateSpec(object["template"] ?? .emptyObject, path: FieldPath("template"))
        case ("", "ReplicationController"): return validateReplicationController(object)
        case ("", "Service"): return validateService(object)
        case ("", "Secret"): return validateSecret(object)
        case ("", "ConfigMap"): return validateConfigMap(object)
        case ("", "Namespace"): return validateNamespace(object)
        case ("", "ServiceAccount"): return validateServiceAccount(object)
        case ("", "PersistentVolume"): return validatePersistentVolume(object)
        case ("", "PersistentVolumeClaim"): return validatePersistentVolumeClaim(object)
        case ("", "Endpoints"): return validateEndpoints(object)
        case ("", "Node"): return validateNode(object)
        case ("", "ResourceQuota"): return validateResourceQuota(object)
        case ("apps", "Deployment"): return validateDeployment(object)
        case ("apps", "ReplicaSet"): return validateReplicaSet(object)
        case ("apps", "StatefulSet"): return validateStatefulSet(object)
        case ("apps", "DaemonSet"): return validateDaemonSet(object)
        case ("batch", "Job"): return validateJob(object)
        case ("batch", "CronJob"): return validateCronJob(object, old: old)
        case ("autoscaling", "HorizontalPodAutoscaler"): return validateHorizontalPodAutoscaler(object)
        case ("networking.k8s.io", "Ingress"): return validateIngress(object)
        case ("networking.k8s.io", "IngressClass"): return validateIngressClass(object)
        case ("networking.k8s.io", "NetworkPolicy"): return validateNetworkPolicy(object)
        case ("rbac.authorization.k8s.io", "Role"), ("rbac.authorization.k8s.io", "ClusterRole"): return validateRole(object)
        case ("rbac.authorization.k8s.io", "RoleBinding"): return validateRoleBinding(object, namespaced: true)
        case ("rbac.authorization.k8s.io", "ClusterRoleBinding"): return validateRoleBinding(object, namespaced: false)
        case ("policy", "PodDisruptionBudget"): return validatePodDisruptionBudget(object)
        case ("scheduling.k8s.io", "PriorityClass"): return validatePriorityClass(object)
        case ("storage.k8s.io", "StorageClass"): return validateStorageClass(object)
        case ("coordination.k8s.io", "Lease"): return validateLease(object)
        default: return []
        }
    }

    private static func validateKindUpdate(_ object: JSONValue, old: JSONValue, group: String, kind: String) -> [StatusCause] {
        switch (group, kind) {
        case ("", "Pod"): return validatePodUpdate(object, old: old)
        case ("", "Service"): return validateServiceUpdate(object, old: old)
        case ("", "Secret"): return validateSecretUpdate(object, old: old)
        case ("", "ConfigMap"): return validateConfigMapUpdate(object, old: old)
        case ("", "PersistentVolume"): return validatePersistentVolumeUpdate(object, old: old)
        case ("", "PersistentVolumeClaim"): return validatePersistentVolumeClaimUpdate(object, old: old)
        case ("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "DaemonSet"):
            return immutable(object[path: "spec", "selector"], old[path: "spec", "selector"], FieldPath("spec.selector"), render: GoSyntax.labelSelector)
        case ("apps", "StatefulSet"): return validateStatefulSetUpdate(object, old: old)
        case ("batch", "Job"): return validateJobUpdate(object, old: old)
        case ("rbac.authorization.k8s.io", "RoleBinding"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"):
            return validateRoleBindingUpdate(object, old: old)
        case ("scheduling.k8s.io", "PriorityClass"): return validatePriorityClassUpdate(object, old: old)
        case ("storage.k8s.io", "StorageClass"): return validateStorageClassUpdate(object, old: old)
        default: return []
        }
    }

    /// Which name rule `ValidateObjectMeta` applies to each kind.
    enum NameRule {
        case dnsSubdomain, dnsLabel, dns1035Label, pathSegment
    }

    static func nameRule(group: String, kind: String) -> NameRule {
        switch (group, kind) {
        case ("", "Namespace"): return .dnsLabel
        case ("", "Service"): return .dns1035Label
        case ("rbac.authorization.k8s.io", _): return .pathSegment
        default: return .dnsSubdomain
        }
    }

    static func nameErrors(_ name: String, rule: NameRule, prefix: Bool = false) -> [String] {
        // A generateName prefix may end in '-': Kubernetes masks a trailing dash before checking it.
        let checked = prefix && name.hasSuffix("-") ? String(name.dropLast()) + "a" : name
        switch rule {
        case .dnsSubdomain: return NameRules.dns1123Subdomain(checked)
        case .dnsLabel: return NameRules.dns1123Label(checked)
        case .dns1035Label: return NameRules.dns1035Label(checked)
        case .pathSegment: return prefix ? NameRules.pathSegmentName(checked).filter { !$0.hasPrefix("may not be '") } : NameRules.pathSegmentName(checked)
        }
    }

    /// `ValidateImmutableField`: `<path>: Invalid value: <new>: field is immutable`.
    static func immutable(
        _ new: JSONValue?, _ old: JSONValue?, _ path: FieldPath, render: (JSONValue?) -> String = { GoSyntax.value($0 ?? .null) }
    ) -> [StatusCause] {
        let normalizedNew = new?.isNull == true ? nil : new
        let normalizedOld = old?.isNull == true ? nil : old
        guard normalizedNew != normalizedOld else { return [] }
        return [.invalid(path.description, renderedValue: render(normalizedNew), "field is immutable")]
    }
}
