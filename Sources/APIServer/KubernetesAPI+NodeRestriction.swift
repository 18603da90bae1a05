import APIMachinery
import KubeObjects

extension KubernetesAPI {
    /// NodeRestriction admission for a write by a node (`system:node:<name>` in `system:nodes`); other users pass.
    func restrictNode(
        _ context: ResourceRequest, _ operation: NodeRestriction.Operation, name: String, subresource: String?, object: JSONValue?, old: JSONValue?
    ) async throws(APIError) {
        guard let node = NodeRestriction.nodeName(user: context.request.user, groups: context.request.groups) else { return }
        let request = NodeRestriction.Request(
            node: node, operation: operation, resource: context.groupResource, subresource: subresource ?? "", namespace: context.path.namespace,
            name: name, object: object, old: old)
        let pods = catalog.resource(group: "", version: "v1", resource: "pods")
        let reason = try await NodeRestriction.refusal(request) { (namespace, podName) throws(APIError) in
            guard let pods, let (pod, _) = try await objects.find(pods, namespace: namespace, name: podName) else { return nil }
            return (Pod(pod).spec.nodeName ?? "", pod.metadata.uid)
        }
        if let reason {
            throw APIError.forbidden(context.groupResource, name: name, message: reason)
        }
    }
}
