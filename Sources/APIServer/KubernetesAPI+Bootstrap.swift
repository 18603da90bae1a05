import APIMachinery
import KubeObjects
import APIRegistry
import Authorization
import Foundation

extension KubernetesAPI {
    /// The namespaces every Kubernetes cluster starts with.
    static let systemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"]

    /// Creates what a new cluster has before any user request: the system namespaces, the `kubernetes` Service, the
    /// system PriorityClasses, k3s' default StorageClass `local-path`, whose volumes each node agent makes in its
    /// data directory, and the bootstrap RBAC policy, which the authorizer then reads. Created again at the next start
    /// when deleted, as k3s re-applies its packaged manifests.
    public func bootstrap(apiServerPort: Int) async throws(APIError) {
        guard let namespaces = catalog.resource(group: "", version: "v1", resource: "namespaces"),
            let services = catalog.resource(group: "", version: "v1", resource: "services"),
            let priorityClasses = catalog.resource(group: "scheduling.k8s.io", version: "v1", resource: "priorityclasses"),
            let storageClasses = catalog.resource(group: "storage.k8s.io", version: "v1", resource: "storageclasses")
        else { throw APIError.internalError("a built-in API group is missing from the catalog") }
        for name in Self.systemNamespaces {
            let namespace: JSONValue = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]]
            try await createIfMissing(namespaces, namespace)
        }
        for priorityClass in SystemPriorityClass.all {
            try await createIfMissing(priorityClasses, priorityClass.object)
        }
        let service: JSONValue = [
            "apiVersion": "v1", "kind": "Service",
            "metadata": [
                "name": "kubernetes", "namespace": "default",
                "labels": ["component": "apiserver", "provider": "kubernetes"],
            ],
            "spec": [
                "type": "ClusterIP", "clusterIP": .string(self.services.kubernetesServiceIP),
                "clusterIPs": [.string(self.services.kubernetesServiceIP)],
                "ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": .integer(Int64(apiServerPort))]],
                "sessionAffinity": "None",
            ],
        ]
        try await createIfMissing(services, service)
        let localPath: JSONValue = [
            "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": ["name": .string(Self.localPathClass), "annotations": [.init(stringLiteral: StorageClass.defaultClassAnnotation): "true"]],
            "provisioner": .string(Self.localPathProvisioner), "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer",
            "allowVolumeExpansion": true,
        ]
        try await createIfMissing(storageClasses, localPath)
        try await reconcileBootstrapPolicy()
        do {
            try await authorizer.load(from: objects.backend)
            try await admissionObjects.load(from: objects.backend)
        } catch {
            throw APIError.internalError("reading the RBAC policy, quotas and limit ranges: \(error)")
        }
    }

    /// Creates the bootstrap RBAC policy's roles and bindings that are missing and adds to existing ones what they
    /// lack, as kube-apiserver's `rbac/bootstrap-roles` post-start hook does.
    private func reconcileBootstrapPolicy() async throws(APIError) {
        let policy = BootstrapPolicy.objects
        for (resource, items) in [
            ("clusterroles", policy.clusterRoles), ("clusterrolebindings", policy.clusterRoleBindings), ("roles", policy.roles),
            ("rolebindings", policy.roleBindings),
        ] {
            guard let definition = catalog.resource(group: Self.rbacGroup, version: "v1", resource: resource) else {
                throw APIError.internalError("\(resource).\(Self.rbacGroup) is missing from the catalog")
            }
            for expected in items {
                guard let (existing, revision) = try await objects.find(definition, namespace: expected.metadata.namespace, name: expected.metadata.name)
                else {
                    try await createIfMissing(definition, expected)
                    continue
                }
                if BootstrapPolicy.replacesBinding(existing: existing, expected: expected) {
                    _ = try await objects.delete(definition, namespace: expected.metadata.namespace, name: expected.metadata.name, expectedRevision: revision)
                    try await createIfMissing(definition, expected)
                } else if let updated = BootstrapPolicy.reconciled(existing: existing, expected: expected) {
                    _ = try await objects.update(definition, object: updated, expectedRevision: revision)
                }
            }
        }
    }

    public static let localPathClass = "local-path"
    /// The provisioner name k3s' local-path-provisioner registers, which users' manifests already name.
    public static let localPathProvisioner = "rancher.io/local-path"

    private func createIfMissing(_ definition: ResourceDefinition, _ template: JSONValue) async throws(APIError) {
        if try await objects.find(definition, namespace: template.metadata.namespace, name: template.metadata.name) != nil { return }
        var object = template
        Defaulting.apply(to: &object, group: definition.group, kind: definition.kind)
        ObjectLifecycle.prepareForCreate(&object, definition: definition, now: Date())
        do {
            _ = try await objects.create(definition, object: object)
        } catch {
            if error.code != 409 { throw error }
        }
    }
}
