import APIMachinery

/// The columns of one resource and how to fill them from an object, after Kubernetes' printers
/// (`pkg/printers/internalversion/printers.go`). The API server always prints the wide form; kubectl hides
/// priority-1 columns unless asked for `-o wide`.
struct TablePrinter: Sendable {
    var columns: [TableColumn]
    var cells: @Sendable (PrintedObject) -> [JSONValue]
    /// `rows[].conditions`, e.g. `Completed` for a finished pod.
    var conditions: @Sendable (PrintedObject) -> [JSONValue] = { _ in [] }

    /// The printer Kubernetes registers for a resource, or `nil` when it has none.
    static func forResource(group: String, resource: String) -> TablePrinter? {
        switch (group, resource) {
        case ("", "pods"): return pods
        case ("", "podtemplates"): return podTemplates
        case ("", "nodes"): return nodes
        case ("", "namespaces"): return namespaces
        case ("", "services"): return services
        case ("", "endpoints"): return endpoints
        case ("", "configmaps"): return configMaps
        case ("", "secrets"): return secrets
        case ("", "serviceaccounts"): return serviceAccounts
        case ("", "events"), ("events.k8s.io", "events"): return events
        case ("", "persistentvolumes"): return persistentVolumes
        case ("", "persistentvolumeclaims"): return persistentVolumeClaims
        case ("", "resourcequotas"): return resourceQuotas
        case ("", "replicationcontrollers"): return replicationControllers
        case ("", "componentstatuses"): return componentStatuses
        case ("apps", "deployments"): return deployments
        case ("apps", "replicasets"): return replicaSets
        case ("apps", "statefulsets"): return statefulSets
        case ("apps", "daemonsets"): return daemonSets
        case ("apps", "controllerrevisions"): return controllerRevisions
        case ("batch", "jobs"): return jobs
        case ("batch", "cronjobs"): return cronJobs
        case ("autoscaling", "horizontalpodautoscalers"): return horizontalPodAutoscalers
        case ("networking.k8s.io", "ingresses"): return ingresses
        case ("networking.k8s.io", "ingressclasses"): return ingressClasses
        case ("networking.k8s.io", "networkpolicies"): return networkPolicies
        case ("discovery.k8s.io", "endpointslices"): return endpointSlices
        case ("rbac.authorization.k8s.io", "rolebindings"): return roleBindings(kind: "roleBinding")
        case ("rbac.authorization.k8s.io", "clusterrolebindings"): return roleBindings(kind: "clusterRoleBinding")
        case ("storage.k8s.io", "storageclasses"): return storageClasses
        case ("storage.k8s.io", "csidrivers"): return csiDrivers
        case ("storage.k8s.io", "csinodes"): return csiNodes
        case ("storage.k8s.io", "volumeattachments"): return volumeAttachments
        case ("policy", "poddisruptionbudgets"): return podDisruptionBudgets
        case ("scheduling.k8s.io", "priorityclasses"): return priorityClasses
        case ("coordination.k8s.io", "leases"): return leases
        case ("node.k8s.io", "runtimeclasses"): return runtimeClasses
        case ("metrics.k8s.io", "nodes"): return nodeMetrics
        case ("metrics.k8s.io", "pods"): return podMetrics
        case ("certificates.k8s.io", "certificatesigningrequests"): return certificateSigningRequests
        case ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
            ("admissionregistration.k8s.io", "validatingwebhookconfigurations"):
            return webhookConfigurations
        default: return nil
        }
    }

    /// API groups served by Kubernetes itself; their resources without a printer get the server's default
    /// NAME / CREATED AT table, while custom resources get NAME / AGE.
    static let builtInGroups: Set<String> = [
        "", "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io", "apps",
        "authentication.k8s.io", "authorization.k8s.io", "autoscaling", "batch", "certificates.k8s.io",
        "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io", "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io", "networking.k8s.io", "node.k8s.io", "policy", "rbac.authorization.k8s.io",
        "resource.k8s.io", "scheduling.k8s.io", "storage.k8s.io", "storagemigration.k8s.io",
    ]

    /// `rest.DefaultTableConvertor`: the name and the creation time in RFC 3339 (kubectl prints it as is).
    static let createdAt = TablePrinter(
        columns: [.name, TableColumn("Created At", TableColumn.creationTimestampDescription, type: "date")],
        cells: { object in
            let created = object.optionalString("metadata", "creationTimestamp").flatMap(KubeTime.parse)
            return [.string(object.name), .string(created.map(KubeTime.format) ?? "0001-01-01T00:00:00Z")]
        })

    /// A custom resource without printer columns: the CRD default `Age` column (type date, shown as a duration).
    static let customResource = TablePrinter(
        columns: [.name, TableColumn("Age", TableColumn.creationTimestampDescription, type: "date")],
        cells: { object in [.string(object.name), .string(object.age)] })
}
