import APIMachinery
import KubeObjects

/// Kubernetes' NodeRestriction admission plugin (plugin/pkg/admission/noderestriction): a kubelet (user
/// `system:node:<name>` in `system:nodes`) may write only its own Node and Lease, the status of pods bound to it,
/// deletions and evictions of those pods, mirror pods of its own, and tokens bound to its pods. With the Node
/// authorizer, which limits what it reads, a node's credentials reach no further than its own workload.
/// Refusals are worded as Kubernetes words them; the API server wraps each as `<resource> "<name>" is forbidden: …`.
enum NodeRestriction {
    enum Operation: Sendable { case create, update, delete }

    /// One write of a node, with what the plugin reads of it.
    struct Request: Sendable {
        var node: String
        var operation: Operation
        var resource: GroupResource
        var subresource: String
        var namespace: String?
        /// The name in the URL; for a create, the object's name.
        var name: String
        /// The object written (nil for a delete).
        var object: JSONValue?
        /// The stored object an update or delete replaces.
        var old: JSONValue?
    }

    static let mirrorPodAnnotation = "kubernetes.io/config.mirror"
    static let nodeLeaseNamespace = "kube-node-lease"

    /// The node a user acts as, if it is one (`NodeIdentity`): named `system:node:<name>` and in `system:nodes`.
    static func nodeName(user: String, groups: [String]) -> String? {
        guard user.hasPrefix("system:node:"), groups.contains("system:nodes") else { return nil }
        return String(user.dropFirst("system:node:".count))
    }

    /// The reason a node may not make this write, or nil when it may. `podNode` reads the node a stored pod is
    /// bound to (for deletions, evictions and tokens), nil when there is no such pod.
    static func refusal(_ request: Request, podNode: (_ namespace: String, _ name: String) async throws(APIError) -> (node: String, uid: String)?)
        async throws(APIError) -> String?
    {
        let node = request.node
        if node.isEmpty { return "could not determine node from user \"system:node:\"" }
        switch (request.resource.group, request.resource.resource) {
        case ("", "pods"):
            switch (request.subresource, request.operation) {
            case ("", .create):
                return podCreateRefusal(request.object ?? .emptyObject, node: node)
            case ("", .delete):
                guard let bound = try await podNode(request.namespace ?? "", request.name) else { return nil }
                return bound.node == node ? nil : "node \"\(node)\" can only delete pods with spec.nodeName set to itself"
            case ("", let operation):
                return "unexpected operation \"\(operation.goName)\", node \"\(node)\" can only create and delete mirror pods"
            case ("status", .update):
                if Pod(request.old ?? .emptyObject).spec.nodeName != node {
                    return "node \"\(node)\" can only update pod status for pods with spec.nodeName set to itself"
                }
                if request.old?.metadata.labels != request.object?.metadata.labels {
                    return "node \"\(node)\" cannot update labels through pod status"
                }
                return nil
            case ("status", let operation):
                return "unexpected operation \"\(operation.goName)\""
            case ("eviction", _):
                guard let bound = try await podNode(request.namespace ?? "", request.name) else { return nil }
                return bound.node == node ? nil : "node \(node) can only evict pods with spec.nodeName set to itself"
            case (let subresource, _):
                return "unexpected pod subresource \"\(subresource)\", only 'status' and 'eviction' are allowed"
            }
        case ("", "nodes"):
            return nodeRefusal(request)
        case ("", "persistentvolumeclaims"):
            guard request.subresource == "status" else { return "may only update PVC status" }
            return claimStatusRefusal(request)
        case ("", "serviceaccounts"):
            guard request.operation == .create, request.subresource == "token" else { return nil }
            return try await tokenRefusal(request, podNode: podNode)
        case ("coordination.k8s.io", "leases"):
            if request.namespace != nodeLeaseNamespace { return "can only access leases in the \"\(nodeLeaseNamespace)\" namespace" }
            return request.name == node ? nil : "can only access node lease with the same name as the requesting node"
        default:
            return nil
        }
    }

    /// Nodes may create only mirror pods of their own, owned by their Node and referencing no other object.
    private static func podCreateRefusal(_ pod: JSONValue, node: String) -> String? {
        guard pod.metadata.annotations[mirrorPodAnnotation] != nil else {
            return "pod does not have \"\(mirrorPodAnnotation)\" annotation, node \"\(node)\" can only create mirror pods"
        }
        let spec = Pod(pod).spec
        if spec.nodeName != node { return "node \"\(node)\" can only create pods with spec.nodeName set to itself" }
        let owners = pod.metadata.ownerReferences
        if owners.count > 1 { return "node \"\(node)\" can only create pods with a single owner reference set to itself" }
        guard let owner = owners.first else { return "node \"\(node)\" can only create pods with an owner reference set to itself" }
        if owner.kind != "Node" || owner.apiVersion != "v1" || owner.name != node {
            return "node \"\(node)\" can only create pods with an owner reference set to itself"
        }
        if let account = spec.json["serviceAccountName"]?.stringValue, !account.isEmpty {
            return "node \"\(node)\" can not create pods that reference a service account"
        }
        let volumes = spec.json["volumes"]?.arrayValue ?? []
        let containers = (spec.json["containers"]?.arrayValue ?? []) + (spec.json["initContainers"]?.arrayValue ?? [])
            + (spec.json["ephemeralContainers"]?.arrayValue ?? [])
        let environment = containers.flatMap { ($0["env"]?.arrayValue ?? []) + ($0["envFrom"]?.arrayValue ?? []) }
        let projected = volumes.flatMap { $0[path: "projected", "sources"]?.arrayValue ?? [] }
        if volumes.contains(where: { $0["secret"] != nil }) || projected.contains(where: { $0["secret"] != nil })
            || environment.contains(where: { $0["secretRef"] != nil || $0[path: "valueFrom", "secretKeyRef"] != nil })
            || !(spec.json["imagePullSecrets"]?.arrayValue ?? []).isEmpty
        {
            return "node \"\(node)\" can not create pods that reference secrets"
        }
        if volumes.contains(where: { $0["configMap"] != nil }) || projected.contains(where: { $0["configMap"] != nil })
            || environment.contains(where: { $0["configMapRef"] != nil || $0[path: "valueFrom", "configMapKeyRef"] != nil })
        {
            return "node \"\(node)\" can not create pods that reference configmaps"
        }
        if volumes.contains(where: { $0["persistentVolumeClaim"] != nil || $0["ephemeral"] != nil }) {
            return "node \"\(node)\" can not create pods that reference persistentvolumeclaims"
        }
        return nil
    }

    /// A node writes only its own Node, never its taints, and only labels a kubelet may set.
    private static func nodeRefusal(_ request: Request) -> String? {
        let node = request.node
        if request.name != node { return "node \"\(node)\" is not allowed to modify node \"\(request.name)\"" }
        guard request.subresource.isEmpty, let object = request.object else { return nil }
        switch request.operation {
        case .create:
            let forbidden = forbiddenLabels(modifiedLabels(object.metadata.labels, old: [:]))
            if !forbidden.isEmpty { return "node \"\(node)\" is not allowed to set the following labels: \(forbidden.joined(separator: ", "))" }
        case .update:
            let old = request.old ?? .emptyObject
            if (object[path: "spec", "taints"] ?? .array([])) != (old[path: "spec", "taints"] ?? .array([])) {
                return "node \"\(node)\" is not allowed to modify taints"
            }
            let forbidden = forbiddenLabels(modifiedLabels(object.metadata.labels, old: old.metadata.labels))
            if !forbidden.isEmpty { return "is not allowed to modify labels: \(forbidden.joined(separator: ", "))" }
        case .delete:
            break
        }
        return nil
    }

    /// Labels added, changed or removed.
    private static func modifiedLabels(_ labels: [String: String], old: [String: String]) -> Set<String> {
        Set(labels.keys.filter { labels[$0] != old[$0] }).union(old.keys.filter { labels[$0] == nil })
    }

    /// The labels a kubelet may set on its Node (`kubeletapis.KubeletLabels`), besides those outside Kubernetes'
    /// own label namespaces.
    static let kubeletLabels: Set = [
        "kubernetes.io/hostname", "topology.kubernetes.io/zone", "topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region", "node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type", "kubernetes.io/os",
        "beta.kubernetes.io/os", "kubernetes.io/arch", "beta.kubernetes.io/arch",
    ]
    static let kubeletLabelNamespaces = ["kubelet.kubernetes.io", "node.kubernetes.io"]

    /// `getForbiddenLabels`: `node-restriction.kubernetes.io/` labels, and `kubernetes.io`/`k8s.io` labels a kubelet
    /// does not own, sorted as Go's `sets.String.List()`.
    static func forbiddenLabels(_ labels: Set<String>) -> [String] {
        labels.filter { label in
            let namespace = label.split(separator: "/", maxSplits: 1).count == 2 ? String(label.split(separator: "/")[0]) : ""
            if namespace == "node-restriction.kubernetes.io" || namespace.hasSuffix(".node-restriction.kubernetes.io") { return true }
            let isKubernetes = ["kubernetes.io", "k8s.io"].contains { namespace == $0 || namespace.hasSuffix(".\($0)") }
            let isKubelet = kubeletLabels.contains(label) || kubeletLabelNamespaces.contains { namespace == $0 || namespace.hasSuffix(".\($0)") }
            return isKubernetes && !isKubelet
        }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// A node may change only a claim's capacity, conditions and resize status (as the kubelet does after growing
    /// a volume).
    private static func claimStatusRefusal(_ request: Request) -> String? {
        guard request.operation == .update, let object = request.object, let old = request.old else { return "unexpected operation \"\(request.operation.goName)\"" }
        func comparable(_ claim: JSONValue) -> JSONValue {
            var claim = claim
            for field in ["capacity", "conditions", "allocatedResources", "allocatedResourceStatuses"] { claim[path: "status", field] = nil }
            for field in ["resourceVersion", "managedFields"] { claim[path: "metadata", field] = nil }
            return claim
        }
        guard comparable(object) != comparable(old) else { return nil }
        return "node \"\(request.node)\" is not allowed to update fields other than status.capacity and status.conditions"
    }

    /// A node asks only for tokens bound to a pod scheduled on it (the API server then binds them to the node too).
    private static func tokenRefusal(_ request: Request, podNode: (String, String) async throws(APIError) -> (node: String, uid: String)?)
        async throws(APIError) -> String?
    {
        let reference = request.object?[path: "spec", "boundObjectRef"]
        guard let reference, reference["apiVersion"]?.stringValue == "v1", reference["kind"]?.stringValue == "Pod",
            let podName = reference["name"]?.stringValue, !podName.isEmpty
        else { return "node requested token not bound to a pod" }
        guard let uid = reference["uid"]?.stringValue, !uid.isEmpty else { return "node requested token with a pod binding without a uid" }
        guard let bound = try await podNode(request.namespace ?? "", podName) else {
            throw APIError.notFound(GroupResource(group: "", resource: "pods"), name: podName)
        }
        if bound.uid != uid {
            return "the UID in the bound object reference (\(uid)) does not match the UID in record. The object might have been deleted and then recreated"
        }
        return bound.node == request.node ? nil : "node requested token bound to a pod scheduled on a different node"
    }
}

extension NodeRestriction.Operation {
    /// As Kubernetes' admission.Operation prints.
    var goName: String {
        switch self {
        case .create: "CREATE"
        case .update: "UPDATE"
        case .delete: "DELETE"
        }
    }
}
