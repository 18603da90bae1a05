/// Which REST collection a request addresses: enough to build Kubernetes' paths.
public struct ResourceType: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    /// The plural, lower-case resource name (`pods`, `leases`).
    public var resource: String
    public var kind: String
    public var namespaced: Bool

    public init(group: String, version: String, resource: String, kind: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.resource = resource
        self.kind = kind
        self.namespaced = namespaced
    }

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }

    /// The collection or object path, e.g. `/api/v1/namespaces/default/pods/web/status`.
    public func path(namespace: String? = nil, name: String? = nil, subresource: String? = nil) -> String {
        var path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace { path += "/namespaces/\(namespace)" }
        path += "/\(resource)"
        if let name { path += "/\(name)" }
        if let subresource { path += "/\(subresource)" }
        return path
    }

    public static let pods = ResourceType(group: "", version: "v1", resource: "pods", kind: "Pod", namespaced: true)
    public static let resourceQuotas = ResourceType(group: "", version: "v1", resource: "resourcequotas", kind: "ResourceQuota", namespaced: true)
    public static let nodes = ResourceType(group: "", version: "v1", resource: "nodes", kind: "Node", namespaced: false)
    public static let namespaces = ResourceType(group: "", version: "v1", resource: "namespaces", kind: "Namespace", namespaced: false)
    public static let events = ResourceType(group: "", version: "v1", resource: "events", kind: "Event", namespaced: true)
    public static let services = ResourceType(group: "", version: "v1", resource: "services", kind: "Service", namespaced: true)
    public static let leases = ResourceType(
        group: "coordination.k8s.io", version: "v1", resource: "leases", kind: "Lease", namespaced: true)
    public static let podDisruptionBudgets = ResourceType(
        group: "policy", version: "v1", resource: "poddisruptionbudgets", kind: "PodDisruptionBudget", namespaced: true)
    public static let priorityClasses = ResourceType(
        group: "scheduling.k8s.io", version: "v1", resource: "priorityclasses", kind: "PriorityClass", namespaced: false)
    public static let replicaSets = ResourceType(group: "apps", version: "v1", resource: "replicasets", kind: "ReplicaSet", namespaced: true)
    public static let deployments = ResourceType(group: "apps", version: "v1", resource: "deployments", kind: "Deployment", namespaced: true)
    public static let statefulSets = ResourceType(group: "apps", version: "v1", resource: "statefulsets", kind: "StatefulSet", namespaced: true)
    public static let daemonSets = ResourceType(group: "apps", version: "v1", resource: "daemonsets", kind: "DaemonSet", namespaced: true)
    public static let controllerRevisions = ResourceType(
        group: "apps", version: "v1", resource: "controllerrevisions", kind: "ControllerRevision", namespaced: true)
    public static let jobs = ResourceType(group: "batch", version: "v1", resource: "jobs", kind: "Job", namespaced: true)
    public static let cronJobs = ResourceType(group: "batch", version: "v1", resource: "cronjobs", kind: "CronJob", namespaced: true)
    public static let serviceAccounts = ResourceType(
        group: "", version: "v1", resource: "serviceaccounts", kind: "ServiceAccount", namespaced: true)
    public static let configMaps = ResourceType(group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespaced: true)
    public static let secrets = ResourceType(group: "", version: "v1", resource: "secrets", kind: "Secret", namespaced: true)
    public static let persistentVolumeClaims = ResourceType(
        group: "", version: "v1", resource: "persistentvolumeclaims", kind: "PersistentVolumeClaim", namespaced: true)
    public static let persistentVolumes = ResourceType(
        group: "", version: "v1", resource: "persistentvolumes", kind: "PersistentVolume", namespaced: false)
    public static let storageClasses = ResourceType(
        group: "storage.k8s.io", version: "v1", resource: "storageclasses", kind: "StorageClass", namespaced: false)
    public static let endpoints = ResourceType(group: "", version: "v1", resource: "endpoints", kind: "Endpoints", namespaced: true)
    public static let endpointSlices = ResourceType(
        group: "discovery.k8s.io", version: "v1", resource: "endpointslices", kind: "EndpointSlice", namespaced: true)
    public static let ingresses = ResourceType(
        group: "networking.k8s.io", version: "v1", resource: "ingresses", kind: "Ingress", namespaced: true)
    public static let networkPolicies = ResourceType(
        group: "networking.k8s.io", version: "v1", resource: "networkpolicies", kind: "NetworkPolicy", namespaced: true)
    public static let ingressClasses = ResourceType(
        group: "networking.k8s.io", version: "v1", resource: "ingressclasses", kind: "IngressClass", namespaced: false)
    public static let replicationControllers = ResourceType(
        group: "", version: "v1", resource: "replicationcontrollers", kind: "ReplicationController", namespaced: true)
    public static let horizontalPodAutoscalers = ResourceType(
        group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers", kind: "HorizontalPodAutoscaler", namespaced: true)
    public static let clusterRoles = ResourceType(
        group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles", kind: "ClusterRole", namespaced: false)
    public static let clusterRoleBindings = ResourceType(
        group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterrolebindings", kind: "ClusterRoleBinding", namespaced: false)
    public static let roles = ResourceType(group: "rbac.authorization.k8s.io", version: "v1", resource: "roles", kind: "Role", namespaced: true)
    public static let roleBindings = ResourceType(
        group: "rbac.authorization.k8s.io", version: "v1", resource: "rolebindings", kind: "RoleBinding", namespaced: true)
    /// metrics.k8s.io's PodMetrics and NodeMetrics, read-only.
    public static let podMetrics = ResourceType(group: "metrics.k8s.io", version: "v1beta1", resource: "pods", kind: "PodMetrics", namespaced: true)
    public static let nodeMetrics = ResourceType(
        group: "metrics.k8s.io", version: "v1beta1", resource: "nodes", kind: "NodeMetrics", namespaced: false)
}
