import APIMachinery
import KubeObjects

/// Kubernetes' bootstrap policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy: `policy.go`, `controller_policy.go`,
/// `namespace_policy.go`), as of Kubernetes 1.31: the same roles, rules and bindings, in the same order.
extension BootstrapPolicy {
    private static let read = ["get", "list", "watch"]
    private static let write = ["create", "delete", "deletecollection", "patch", "update"]
    private static let readWrite = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    private static let events = PolicyRule(verbs: ["create", "patch", "update"], apiGroups: ["", "events.k8s.io"], resources: ["events"])

    private static func rule(_ verbs: [String], _ groups: [String], _ resources: [String], names: [String] = []) -> PolicyRule {
        PolicyRule(verbs: verbs, apiGroups: groups, resources: resources, resourceNames: names)
    }

    private static func urls(_ verbs: [String], _ urls: [String]) -> PolicyRule {
        PolicyRule(verbs: verbs, nonResourceURLs: urls)
    }

    private static func metadata(_ name: String, namespace: String? = nil, labels: [String: String] = [:]) -> JSONValue {
        var allLabels = labels
        allLabels["kubernetes.io/bootstrapping"] = "rbac-defaults"
        var metadata: JSONValue = [
            "name": .string(name), "labels": .object(allLabels.mapValues { .string($0) }),
            "annotations": [.init(stringLiteral: autoupdateAnnotation): "true"],
        ]
        if let namespace { metadata["namespace"] = .string(namespace) }
        return metadata
    }

    private static func clusterRole(_ name: String, labels: [String: String] = [:], _ rules: [PolicyRule]) -> JSONValue {
        ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": metadata(name, labels: labels), "rules": .array(rules.map(\.json))]
    }

    /// A ClusterRole whose rules the aggregation controller fills from those labelled `aggregate-to-<to>`.
    private static func aggregatingRole(_ name: String, to: String, labels: [String: String] = [:]) -> JSONValue {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": metadata(name, labels: labels), "rules": .null,
            "aggregationRule": ["clusterRoleSelectors": [["matchLabels": [.init(stringLiteral: "rbac.authorization.k8s.io/aggregate-to-\(to)"): "true"]]]],
        ]
    }

    private static func role(_ name: String, namespace: String, _ rules: [PolicyRule]) -> JSONValue {
        ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": metadata(name, namespace: namespace), "rules": .array(rules.map(\.json))]
    }

    private static func subject(_ kind: String, _ name: String, namespace: String? = nil) -> JSONValue {
        var subject: JSONValue = ["kind": .string(kind), "name": .string(name)]
        if let namespace { subject["namespace"] = .string(namespace) } else { subject["apiGroup"] = "rbac.authorization.k8s.io" }
        return subject
    }

    private static func binding(_ name: String, namespace: String? = nil, roleKind: String = "ClusterRole", role: String? = nil, _ subjects: [JSONValue])
        -> JSONValue
    {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": namespace == nil ? "ClusterRoleBinding" : "RoleBinding",
            "metadata": metadata(name, namespace: namespace),
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": .string(roleKind), "name": .string(role ?? name)],
            "subjects": .array(subjects),
        ]
    }

    static let kubernetesClusterRoles: [JSONValue] = [
        aggregatingRole("admin", to: "admin"),
        clusterRole("cluster-admin", [rule(["*"], ["*"], ["*"]), urls(["*"], ["*"])]),
        aggregatingRole("edit", to: "edit", labels: ["rbac.authorization.k8s.io/aggregate-to-admin": "true"]),
        clusterRole(
            "system:aggregate-to-admin", labels: ["rbac.authorization.k8s.io/aggregate-to-admin": "true"],
            [
                rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
                rule(readWrite, ["rbac.authorization.k8s.io"], ["rolebindings", "roles"]),
            ]),
        clusterRole(
            "system:aggregate-to-edit", labels: ["rbac.authorization.k8s.io/aggregate-to-edit": "true"],
            [
                rule(read, [""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"]),
                rule(["impersonate"], [""], ["serviceaccounts"]),
                rule(write, [""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"]),
                rule(["create"], [""], ["pods/eviction"]),
                rule(
                    write, [""],
                    [
                        "configmaps", "endpoints", "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale", "secrets",
                        "serviceaccounts", "services", "services/proxy",
                    ]),
                rule(["create"], [""], ["serviceaccounts/token"]),
                rule(
                    write, ["apps"],
                    [
                        "daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets",
                        "statefulsets/scale",
                    ]),
                rule(write, ["autoscaling"], ["horizontalpodautoscalers"]),
                rule(write, ["batch"], ["cronjobs", "jobs"]),
                rule(
                    write, ["extensions"],
                    [
                        "daemonsets", "deployments", "deployments/rollback", "deployments/scale", "ingresses", "networkpolicies", "replicasets",
                        "replicasets/scale", "replicationcontrollers/scale",
                    ]),
                rule(write, ["policy"], ["poddisruptionbudgets"]),
                rule(write, ["networking.k8s.io"], ["ingresses", "networkpolicies"]),
                rule(readWrite, ["coordination.k8s.io"], ["leases"]),
            ]),
        clusterRole(
            "system:aggregate-to-view", labels: ["rbac.authorization.k8s.io/aggregate-to-view": "true"],
            [
                rule(
                    read, [""],
                    [
                        "configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "replicationcontrollers",
                        "replicationcontrollers/scale", "serviceaccounts", "services", "services/status",
                    ]),
                rule(
                    read, [""],
                    [
                        "bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status", "replicationcontrollers/status",
                        "resourcequotas", "resourcequotas/status",
                    ]),
                rule(read, [""], ["namespaces"]),
                rule(read, ["discovery.k8s.io"], ["endpointslices"]),
                rule(
                    read, ["apps"],
                    [
                        "controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "replicasets",
                        "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status",
                    ]),
                rule(read, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
                rule(read, ["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
                rule(
                    read, ["extensions"],
                    [
                        "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses", "ingresses/status",
                        "networkpolicies", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale",
                    ]),
                rule(read, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
                rule(read, ["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"]),
            ]),
        clusterRole(
            "system:auth-delegator",
            [rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]), rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"])]),
        clusterRole(
            "system:basic-user",
            [
                rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
                rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
            ]),
        clusterRole(
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            [rule(["create"], ["certificates.k8s.io"], ["certificatesigningrequests/nodeclient"])]),
        clusterRole(
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            [rule(["create"], ["certificates.k8s.io"], ["certificatesigningrequests/selfnodeclient"])]),
        clusterRole(
            "system:certificates.k8s.io:kube-apiserver-client-approver",
            [rule(["approve"], ["certificates.k8s.io"], ["signers"], names: ["kubernetes.io/kube-apiserver-client"])]),
        clusterRole(
            "system:certificates.k8s.io:kube-apiserver-client-kubelet-approver",
            [rule(["approve"], ["certificates.k8s.io"], ["signers"], names: ["kubernetes.io/kube-apiserver-client-kubelet"])]),
        clusterRole(
            "system:certificates.k8s.io:kubelet-serving-approver",
            [rule(["approve"], ["certificates.k8s.io"], ["signers"], names: ["kubernetes.io/kubelet-serving"])]),
        clusterRole(
            "system:certificates.k8s.io:legacy-unknown-approver",
            [rule(["approve"], ["certificates.k8s.io"], ["signers"], names: ["kubernetes.io/legacy-unknown"])]),
        clusterRole(
            "system:discovery",
            [urls(["get"], ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"])]),
        clusterRole("system:heapster", [rule(read, [""], ["events", "namespaces", "nodes", "pods"]), rule(read, ["extensions"], ["deployments"])]),
        clusterRole("system:kube-aggregator", [rule(read, [""], ["endpoints", "services"])]),
        clusterRole(
            "system:kube-controller-manager",
            [
                events,
                rule(["create"], ["coordination.k8s.io"], ["leases"]),
                rule(["get", "update"], ["coordination.k8s.io"], ["leases"], names: ["kube-controller-manager"]),
                rule(["create"], [""], ["secrets", "serviceaccounts"]),
                rule(["delete"], [""], ["secrets"]),
                rule(["get"], [""], ["configmaps", "namespaces", "secrets", "serviceaccounts"]),
                rule(["update"], [""], ["secrets", "serviceaccounts"]),
                rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
                rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
                rule(["list", "watch"], ["*"], ["*"]),
                rule(["create"], [""], ["serviceaccounts/token"]),
            ]),
        clusterRole("system:kube-dns", [rule(["list", "watch"], [""], ["endpoints", "services"])]),
        clusterRole(
            "system:kube-scheduler",
            [
                events,
                rule(["create"], ["coordination.k8s.io"], ["leases"]),
                rule(["get", "list", "update", "watch"], ["coordination.k8s.io"], ["leases"], names: ["kube-scheduler"]),
                rule(readWrite, ["coordination.k8s.io"], ["leasecandidates"]),
                rule(read, [""], ["nodes"]),
                rule(["delete", "get", "list", "watch"], [""], ["pods"]),
                rule(["create"], [""], ["bindings", "pods/binding"]),
                rule(["patch", "update"], [""], ["pods/status"]),
                rule(read, [""], ["replicationcontrollers", "services"]),
                rule(read, ["apps", "extensions"], ["replicasets"]),
                rule(read, ["apps"], ["statefulsets"]),
                rule(read, ["policy"], ["poddisruptionbudgets"]),
                rule(read, [""], ["persistentvolumeclaims", "persistentvolumes"]),
                rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
                rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
                rule(read, ["storage.k8s.io"], ["csinodes"]),
                rule(read, [""], ["namespaces"]),
                rule(read, ["storage.k8s.io"], ["csidrivers"]),
                rule(read, ["storage.k8s.io"], ["csistoragecapacities"]),
            ]),
        clusterRole(
            "system:kubelet-api-admin",
            [rule(read, [""], ["nodes"]), rule(["proxy"], [""], ["nodes"]), rule(["*"], [""], ["nodes/log", "nodes/metrics", "nodes/proxy", "nodes/stats"])]),
        clusterRole(
            "system:monitoring",
            [urls(["get"], ["/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics", "/metrics/slis", "/readyz", "/readyz/*"])]),
        clusterRole("system:node", nodeRules),
        clusterRole("system:node-bootstrapper", [rule(["create", "get", "list", "watch"], ["certificates.k8s.io"], ["certificatesigningrequests"])]),
        clusterRole("system:node-problem-detector", [rule(["get"], [""], ["nodes"]), rule(["patch"], [""], ["nodes/status"]), events]),
        clusterRole(
            "system:node-proxier",
            [
                rule(["list", "watch"], [""], ["endpoints", "services"]), rule(read, [""], ["nodes"]), events,
                rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]),
            ]),
        clusterRole(
            "system:persistent-volume-provisioner",
            [
                rule(["create", "delete", "get", "list", "watch"], [""], ["persistentvolumes"]),
                rule(["get", "list", "update", "watch"], [""], ["persistentvolumeclaims"]),
                rule(read, ["storage.k8s.io"], ["storageclasses"]),
                rule(["watch"], [""], ["events"]),
                events,
            ]),
        clusterRole("system:public-info-viewer", [urls(["get"], ["/healthz", "/livez", "/readyz", "/version", "/version/"])]),
        clusterRole(
            "system:service-account-issuer-discovery",
            [urls(["get"], ["/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/"])]),
        clusterRole(
            "system:volume-scheduler",
            [
                rule(["get", "list", "patch", "update", "watch"], [""], ["persistentvolumes"]),
                rule(read, ["storage.k8s.io"], ["storageclasses"]),
                rule(["get", "list", "patch", "update", "watch"], [""], ["persistentvolumeclaims"]),
            ]),
        aggregatingRole("view", to: "view", labels: ["rbac.authorization.k8s.io/aggregate-to-edit": "true"]),
    ]

    /// What a kubelet may do (`NodeRules`): the `system:node` role, which the Node authorizer grants every node for
    /// what it does not decide itself.
    public static let nodeRules: [PolicyRule] = [
        rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
        rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews", "subjectaccessreviews"]),
        rule(read, [""], ["services"]),
        rule(["create", "get", "list", "watch"], [""], ["nodes"]),
        rule(["patch", "update"], [""], ["nodes/status"]),
        rule(["patch", "update"], [""], ["nodes"]),
        rule(["create", "patch", "update"], [""], ["events"]),
        rule(read, [""], ["pods"]),
        rule(["create", "delete"], [""], ["pods"]),
        rule(["patch", "update"], [""], ["pods/status"]),
        rule(["create"], [""], ["pods/eviction"]),
        rule(read, [""], ["configmaps", "secrets"]),
        rule(["get"], [""], ["persistentvolumeclaims", "persistentvolumes"]),
        rule(["get"], [""], ["endpoints"]),
        rule(["create", "get", "list", "watch"], ["certificates.k8s.io"], ["certificatesigningrequests"]),
        rule(["create", "delete", "get", "patch", "update"], ["coordination.k8s.io"], ["leases"]),
        rule(["get"], ["storage.k8s.io"], ["volumeattachments"]),
        rule(["create"], [""], ["serviceaccounts/token"]),
        rule(["get", "patch", "update"], [""], ["persistentvolumeclaims/status"]),
        rule(read, ["storage.k8s.io"], ["csidrivers"]),
        rule(["create", "delete", "get", "patch", "update"], ["storage.k8s.io"], ["csinodes"]),
        rule(read, ["node.k8s.io"], ["runtimeclasses"]),
    ]

    static let kubernetesClusterRoleBindings: [JSONValue] =
        [
            binding("cluster-admin", [subject("Group", "system:masters")]),
            binding("system:basic-user", [subject("Group", "system:authenticated")]),
            binding("system:discovery", [subject("Group", "system:authenticated")]),
            binding("system:kube-controller-manager", [subject("User", "system:kube-controller-manager")]),
            binding("system:kube-dns", [subject("ServiceAccount", "kube-dns", namespace: "kube-system")]),
            binding("system:kube-scheduler", [subject("User", "system:kube-scheduler")]),
            binding("system:monitoring", [subject("Group", "system:monitoring")]),
            binding("system:node", []),
            binding("system:node-proxier", [subject("User", "system:kube-proxy")]),
            binding("system:public-info-viewer", [subject("Group", "system:authenticated"), subject("Group", "system:unauthenticated")]),
            binding("system:service-account-issuer-discovery", [subject("Group", "system:serviceaccounts")]),
            binding("system:volume-scheduler", [subject("User", "system:kube-scheduler")]),
        ]
        // Each controller acts as a service account of kube-system named after it.
        + controllerRoles.map { role in
            let name = role.metadata.name
            return binding(name, [subject("ServiceAccount", String(name.dropFirst("system:controller:".count)), namespace: "kube-system")])
        }

    /// The roles of kube-controller-manager's controllers, `system:controller:<name>`.
    static let controllerRoles: [JSONValue] = [
        clusterRole(
            "system:controller:attachdetach-controller",
            [
                rule(["list", "watch"], [""], ["persistentvolumeclaims", "persistentvolumes"]),
                rule(read, [""], ["nodes"]),
                rule(["patch", "update"], [""], ["nodes/status"]),
                rule(["list", "watch"], [""], ["pods"]),
                events,
                rule(["create", "delete", "get", "list", "watch"], ["storage.k8s.io"], ["volumeattachments"]),
                rule(read, ["storage.k8s.io"], ["csidrivers"]),
                rule(read, ["storage.k8s.io"], ["csinodes"]),
            ]),
        clusterRole(
            "system:controller:certificate-controller",
            [
                rule(["delete", "get", "list", "watch"], ["certificates.k8s.io"], ["certificatesigningrequests"]),
                rule(["update"], ["certificates.k8s.io"], ["certificatesigningrequests/approval", "certificatesigningrequests/status"]),
                rule(["approve"], ["certificates.k8s.io"], ["signers"], names: ["kubernetes.io/kube-apiserver-client-kubelet"]),
                rule(
                    ["sign"], ["certificates.k8s.io"], ["signers"],
                    names: [
                        "kubernetes.io/kube-apiserver-client", "kubernetes.io/kube-apiserver-client-kubelet", "kubernetes.io/kubelet-serving",
                        "kubernetes.io/legacy-unknown",
                    ]),
                rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
                events,
            ]),
        clusterRole(
            "system:controller:clusterrole-aggregation-controller",
            [rule(["escalate", "get", "list", "patch", "update", "watch"], ["rbac.authorization.k8s.io"], ["clusterroles"])]),
        clusterRole(
            "system:controller:cronjob-controller",
            [
                rule(["get", "list", "update", "watch"], ["batch"], ["cronjobs"]),
                rule(["create", "delete", "get", "list", "patch", "update", "watch"], ["batch"], ["jobs"]),
                rule(["update"], ["batch"], ["cronjobs/status"]),
                rule(["update"], ["batch"], ["cronjobs/finalizers"]),
                rule(["delete", "list"], [""], ["pods"]),
                events,
            ]),
        clusterRole(
            "system:controller:daemon-set-controller",
            [
                rule(read, ["apps", "extensions"], ["daemonsets"]),
                rule(["update"], ["apps", "extensions"], ["daemonsets/status"]),
                rule(["update"], ["apps", "extensions"], ["daemonsets/finalizers"]),
                rule(["list", "watch"], [""], ["nodes"]),
                rule(["create", "delete", "list", "patch", "watch"], [""], ["pods"]),
                rule(["create"], [""], ["pods/binding"]),
                rule(["create", "delete", "get", "list", "patch", "update", "watch"], ["apps"], ["controllerrevisions"]),
                events,
            ]),
        clusterRole(
            "system:controller:deployment-controller",
            [
                rule(["get", "list", "update", "watch"], ["apps", "extensions"], ["deployments"]),
                rule(["update"], ["apps", "extensions"], ["deployments/status"]),
                rule(["update"], ["apps", "extensions"], ["deployments/finalizers"]),
                rule(["create", "delete", "get", "list", "patch", "update", "watch"], ["apps", "extensions"], ["replicasets"]),
                rule(["get", "list", "update", "watch"], [""], ["pods"]),
                events,
            ]),
        clusterRole(
            "system:controller:disruption-controller",
            [
                rule(read, ["apps", "extensions"], ["deployments"]),
                rule(read, ["apps", "extensions"], ["replicasets"]),
                rule(read, [""], ["replicationcontrollers"]),
                rule(read, ["policy"], ["poddisruptionbudgets"]),
                rule(read, ["apps"], ["statefulsets"]),
                rule(["update"], ["policy"], ["poddisruptionbudgets/status"]),
                rule(["patch", "update"], [""], ["pods/status"]),
                rule(["get"], ["*"], ["*/scale"]),
                events,
            ]),
        clusterRole(
            "system:controller:endpoint-controller",
            [
                rule(read, [""], ["pods", "services"]),
                rule(["create", "delete", "get", "list", "update"], [""], ["endpoints"]),
                rule(["create"], [""], ["endpoints/restricted"]),
                events,
            ]),
        clusterRole(
            "system:controller:endpointslice-controller",
            [
                rule(read, [""], ["nodes", "pods", "services"]),
                rule(["update"], [""], ["services/finalizers"]),
                rule(["create", "delete", "get", "list", "update"], ["discovery.k8s.io"], ["endpointslices"]),
                rule(["create"], ["discovery.k8s.io"], ["endpointslices/restricted"]),
                events,
            ]),
        clusterRole(
            "system:controller:endpointslicemirroring-controller",
            [
                rule(read, [""], ["endpoints", "services"]),
                rule(["update"], [""], ["services/finalizers"]),
                rule(["update"], [""], ["endpoints/finalizers"]),
                rule(["create", "delete", "get", "list", "update"], ["discovery.k8s.io"], ["endpointslices"]),
                rule(["create"], ["discovery.k8s.io"], ["endpointslices/restricted"]),
                events,
            ]),
        clusterRole(
            "system:controller:ephemeral-volume-controller",
            [
                rule(read, [""], ["pods"]),
                rule(["update"], [""], ["pods/finalizers"]),
                rule(["create", "get", "list", "watch"], [""], ["persistentvolumeclaims"]),
                events,
            ]),
        clusterRole(
            "system:controller:expand-controller",
            [
                rule(["get", "list", "patch", "update", "watch"], [""], ["persistentvolumes"]),
                rule(["patch", "update"], [""], ["persistentvolumeclaims/status"]),
                rule(read, [""], ["persistentvolumeclaims"]),
                rule(read, ["storage.k8s.io"], ["storageclasses"]),
                rule(["get"], [""], ["endpoints", "services"]),
                rule(["get"], [""], ["secrets"]),
                events,
            ]),
        clusterRole("system:controller:generic-garbage-collector", [rule(["delete", "get", "list", "patch", "update", "watch"], ["*"], ["*"]), events]),
        clusterRole(
            "system:controller:horizontal-pod-autoscaler",
            [
                rule(read, ["autoscaling"], ["horizontalpodautoscalers"]),
                rule(["update"], ["autoscaling"], ["horizontalpodautoscalers/status"]),
                rule(["get", "update"], ["*"], ["*/scale"]),
                rule(["list"], [""], ["pods"]),
                rule(["list"], ["metrics.k8s.io"], ["pods"]),
                rule(["get", "list"], ["custom.metrics.k8s.io"], ["*"]),
                rule(["get", "list"], ["external.metrics.k8s.io"], ["*"]),
                events,
            ]),
        clusterRole(
            "system:controller:job-controller",
            [
                rule(["get", "list", "patch", "update", "watch"], ["batch"], ["jobs"]),
                rule(["update"], ["batch"], ["jobs/status"]),
                rule(["update"], ["batch"], ["jobs/finalizers"]),
                rule(["create", "delete", "list", "patch", "watch"], [""], ["pods"]),
                events,
            ]),
        clusterRole(
            "system:controller:legacy-service-account-token-cleaner",
            [
                rule(["get"], [""], ["configmaps"], names: ["kube-apiserver-legacy-service-account-token-tracking"]),
                rule(["delete", "patch"], [""], ["secrets"]),
            ]),
        clusterRole(
            "system:controller:namespace-controller",
            [
                rule(["delete", "get", "list", "watch"], [""], ["namespaces"]),
                rule(["update"], [""], ["namespaces/finalize", "namespaces/status"]),
                rule(["delete", "deletecollection", "get", "list"], ["*"], ["*"]),
            ]),
        clusterRole(
            "system:controller:node-controller",
            [
                rule(["delete", "get", "list", "patch", "update"], [""], ["nodes"]),
                rule(["patch", "update"], [""], ["nodes/status"]),
                rule(["patch", "update"], [""], ["pods/status"]),
                rule(["delete", "get", "list"], [""], ["pods"]),
                events,
            ]),
        clusterRole(
            "system:controller:persistent-volume-binder",
            [
                rule(["create", "delete", "get", "list", "update", "watch"], [""], ["persistentvolumes"]),
                rule(["update"], [""], ["persistentvolumes/status"]),
                rule(["get", "list", "update", "watch"], [""], ["persistentvolumeclaims"]),
                rule(["update"], [""], ["persistentvolumeclaims/status"]),
                rule(["create", "delete", "get", "list", "watch"], [""], ["pods"]),
                rule(read, ["storage.k8s.io"], ["storageclasses"]),
                rule(["create", "delete", "get", "update"], [""], ["endpoints"]),
                rule(["create", "delete", "get"], [""], ["services"]),
                rule(["get"], [""], ["secrets"]),
                rule(["get", "list"], [""], ["nodes"]),
                rule(["watch"], [""], ["events"]),
                events,
            ]),
        clusterRole(
            "system:controller:pod-garbage-collector",
            [rule(["delete", "list", "watch"], [""], ["pods"]), rule(["get", "list"], [""], ["nodes"]), rule(["patch"], [""], ["pods/status"])]),
        clusterRole("system:controller:pv-protection-controller", [rule(["get", "list", "update", "watch"], [""], ["persistentvolumes"]), events]),
        clusterRole(
            "system:controller:pvc-protection-controller",
            [rule(["get", "list", "update", "watch"], [""], ["persistentvolumeclaims"]), rule(read, [""], ["pods"]), events]),
        clusterRole(
            "system:controller:replicaset-controller",
            [
                rule(["get", "list", "update", "watch"], ["apps", "extensions"], ["replicasets"]),
                rule(["update"], ["apps", "extensions"], ["replicasets/status"]),
                rule(["update"], ["apps", "extensions"], ["replicasets/finalizers"]),
                rule(["create", "delete", "list", "patch", "watch"], [""], ["pods"]),
                events,
            ]),
        clusterRole(
            "system:controller:replication-controller",
            [
                rule(["get", "list", "update", "watch"], [""], ["replicationcontrollers"]),
                rule(["update"], [""], ["replicationcontrollers/status"]),
                rule(["update"], [""], ["replicationcontrollers/finalizers"]),
                rule(["create", "delete", "list", "patch", "watch"], [""], ["pods"]),
                events,
            ]),
        clusterRole(
            "system:controller:resourcequota-controller",
            [rule(["list", "watch"], ["*"], ["*"]), rule(["update"], [""], ["resourcequotas/status"]), events]),
        clusterRole("system:controller:root-ca-cert-publisher", [rule(["create", "update"], [""], ["configmaps"]), events]),
        clusterRole(
            "system:controller:route-controller", [rule(["list", "watch"], [""], ["nodes"]), rule(["patch"], [""], ["nodes/status"]), events]),
        clusterRole("system:controller:service-account-controller", [rule(["create"], [""], ["serviceaccounts"]), events]),
        clusterRole("system:controller:service-ca-cert-publisher", [rule(["create", "update"], [""], ["configmaps"]), events]),
        clusterRole(
            "system:controller:service-controller",
            [rule(read, [""], ["services"]), rule(["patch", "update"], [""], ["services/status"]), rule(["list", "watch"], [""], ["nodes"]), events]),
        clusterRole(
            "system:controller:statefulset-controller",
            [
                rule(["list", "watch"], [""], ["pods"]),
                rule(read, ["apps"], ["statefulsets"]),
                rule(["update"], ["apps"], ["statefulsets/status"]),
                rule(["update"], ["apps"], ["statefulsets/finalizers"]),
                rule(["create", "delete", "get", "patch", "update"], [""], ["pods"]),
                rule(["create", "delete", "get", "list", "patch", "update", "watch"], ["apps"], ["controllerrevisions"]),
                rule(["create", "get", "list", "watch"], [""], ["persistentvolumeclaims"]),
                events,
                rule(["delete", "update"], [""], ["persistentvolumeclaims"]),
                rule(["update"], [""], ["pods/finalizers"]),
            ]),
        clusterRole("system:controller:ttl-after-finished-controller", [rule(["delete", "get", "list", "watch"], ["batch"], ["jobs"]), events]),
        clusterRole("system:controller:ttl-controller", [rule(["list", "patch", "update", "watch"], [""], ["nodes"]), events]),
        clusterRole(
            "system:controller:validatingadmissionpolicy-status-controller",
            [
                rule(read, ["admissionregistration.k8s.io"], ["validatingadmissionpolicies"]),
                rule(["get", "patch", "update"], ["admissionregistration.k8s.io"], ["validatingadmissionpolicies/status"]),
                events,
            ]),
    ]

    static let kubernetesRoles: [JSONValue] = [
        role(
            "extension-apiserver-authentication-reader", namespace: "kube-system",
            [rule(read, [""], ["configmaps"], names: ["extension-apiserver-authentication"])]),
        role(
            "system::leader-locking-kube-controller-manager", namespace: "kube-system",
            [rule(["watch"], [""], ["configmaps"]), rule(["get", "update"], [""], ["configmaps"], names: ["kube-controller-manager"])]),
        role(
            "system::leader-locking-kube-scheduler", namespace: "kube-system",
            [rule(["watch"], [""], ["configmaps"]), rule(["get", "update"], [""], ["configmaps"], names: ["kube-scheduler"])]),
        role("system:controller:bootstrap-signer", namespace: "kube-system", [rule(["list", "watch"], [""], ["secrets"])]),
        role("system:controller:cloud-provider", namespace: "kube-system", [rule(["create", "get", "list", "watch"], [""], ["configmaps"])]),
        role("system:controller:token-cleaner", namespace: "kube-system", [rule(["delete", "list", "watch"], [""], ["secrets"]), events]),
        role(
            "system:controller:bootstrap-signer", namespace: "kube-public",
            [rule(read, [""], ["configmaps"]), rule(["update"], [""], ["configmaps"], names: ["cluster-info"]), events]),
    ]

    static let kubernetesRoleBindings: [JSONValue] = [
        binding(
            "system::extension-apiserver-authentication-reader", namespace: "kube-system", roleKind: "Role",
            role: "extension-apiserver-authentication-reader", [subject("User", "system:kube-controller-manager"), subject("User", "system:kube-scheduler")]),
        binding(
            "system::leader-locking-kube-controller-manager", namespace: "kube-system", roleKind: "Role",
            [subject("User", "system:kube-controller-manager"), subject("ServiceAccount", "kube-controller-manager", namespace: "kube-system")]),
        binding(
            "system::leader-locking-kube-scheduler", namespace: "kube-system", roleKind: "Role",
            [subject("User", "system:kube-scheduler"), subject("ServiceAccount", "kube-scheduler", namespace: "kube-system")]),
        binding(
            "system:controller:bootstrap-signer", namespace: "kube-system", roleKind: "Role",
            [subject("ServiceAccount", "bootstrap-signer", namespace: "kube-system")]),
        binding(
            "system:controller:cloud-provider", namespace: "kube-system", roleKind: "Role",
            [subject("ServiceAccount", "cloud-provider", namespace: "kube-system")]),
        binding(
            "system:controller:token-cleaner", namespace: "kube-system", roleKind: "Role",
            [subject("ServiceAccount", "token-cleaner", namespace: "kube-system")]),
        binding(
            "system:controller:bootstrap-signer", namespace: "kube-public", roleKind: "Role",
            [subject("ServiceAccount", "bootstrap-signer", namespace: "kube-system")]),
    ]
}
