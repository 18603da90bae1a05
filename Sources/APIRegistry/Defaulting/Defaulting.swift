import APIMachinery

/// Kubernetes' defaulting (`SetDefaults_*` and the generated `+default` tags of `pkg/apis/*/v1`) for built-in
/// objects, applied to the lossless JSON form. Fields the client set are never overwritten.
public enum Defaulting {
    /// Applies Kubernetes' SetDefaults_* for the kind (group "" = core). Does not touch metadata that the server
    /// manages (uid, resourceVersion, creationTimestamp) and does not allocate ClusterIPs (the server does that).
    public static func apply(to object: inout JSONValue, group: String, kind: String) {
        guard object.objectValue != nil else { return }
        switch (group, kind) {
        case ("", "Pod"): defaultPod(&object)
        case ("", "PodTemplate"): object.updateObject("template") { defaultPodTemplate(&$0) }
        case ("", "ReplicationController"): defaultReplicationController(&object)
        case ("", "Service"): defaultService(&object)
        case ("", "Secret"): defaultSecret(&object)
        case ("", "ConfigMap"): object.setDefault("data", .emptyObject)
        case ("", "Namespace"): defaultNamespace(&object)
        case ("", "PersistentVolume"): defaultPersistentVolume(&object)
        case ("", "PersistentVolumeClaim"): defaultPersistentVolumeClaim(&object)
        case ("", "Endpoints"): defaultEndpoints(&object)
        case ("", "Node"): defaultNode(&object)
        case ("", "LimitRange"): defaultLimitRange(&object)
        case ("apps", "Deployment"): defaultDeployment(&object)
        case ("apps", "ReplicaSet"): defaultReplicaSet(&object)
        case ("apps", "StatefulSet"): defaultStatefulSet(&object)
        case ("apps", "DaemonSet"): defaultDaemonSet(&object)
        case ("batch", "Job"): defaultJob(&object)
        case ("batch", "CronJob"): defaultCronJob(&object)
        case ("autoscaling", "HorizontalPodAutoscaler"): defaultHorizontalPodAutoscaler(&object)
        case ("networking.k8s.io", "NetworkPolicy"): defaultNetworkPolicy(&object)
        case ("networking.k8s.io", "IngressClass"): defaultIngressClass(&object)
        case ("rbac.authorization.k8s.io", "RoleBinding"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"):
            defaultRoleBinding(&object)
        case ("scheduling.k8s.io", "PriorityClass"): object.setDefaultIfEmpty("preemptionPolicy", "PreemptLowerPriority")
        case ("storage.k8s.io", "StorageClass"): defaultStorageClass(&object)
        case ("storage.k8s.io", "CSIDriver"): defaultCSIDriver(&object)
        case ("discovery.k8s.io", "EndpointSlice"): defaultEndpointSlice(&object)
        default: break
        }
    }

    /// Gives a Job the selector and labels Kubernetes' Job strategy generates from the object's uid, unless the
    /// client asked for `manualSelector`. The server calls this once the uid is assigned.
    public static func generateJobSelector(for job: inout JSONValue, uid: String) {
        guard job[path: "spec", "manualSelector"]?.boolValue != true else { return }
        let name = job[path: "metadata", "name"]?.stringValue ?? ""
        var labels = job[path: "spec", "template", "metadata", "labels"]?.objectValue ?? [:]
        for key in ["job-name", "batch.kubernetes.io/job-name"] where labels[key] == nil { labels[key] = .string(name) }
        for key in ["controller-uid", "batch.kubernetes.io/controller-uid"] where labels[key] == nil { labels[key] = .string(uid) }
        job[path: "spec", "template", "metadata", "labels"] = .object(labels)
        var matchLabels = job[path: "spec", "selector", "matchLabels"]?.objectValue ?? [:]
        if matchLabels["batch.kubernetes.io/controller-uid"] == nil {
            matchLabels["batch.kubernetes.io/controller-uid"] = .string(uid)
        }
        job[path: "spec", "selector", "matchLabels"] = .object(matchLabels)
        // Kubernetes re-runs SetDefaults_Job when it reads the stored Job back, which copies the now-complete
        // template labels onto a Job that had none.
        if (job[path: "metadata", "labels"]?.objectValue ?? [:]).isEmpty {
            job[path: "metadata", "labels"] = .object(labels)
        }
    }
}
