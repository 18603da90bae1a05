import APIMachinery
import APIRegistry
import Foundation

extension KubernetesAPI {
    func createSubresource(_ context: ResourceRequest, name: String, subresource: String) async throws(APIError) -> APIResponse {
        try context.validateDryRun()
        switch (context.definition.group, context.definition.resource, subresource) {
        case ("", "pods", "binding"):
            return try await bind(context, name: name)
        case ("", "pods", "eviction"):
            try await restrictNode(context, .create, name: name, subresource: subresource, object: nil, old: nil)
            return try await evict(context, name: name)
        case ("", "serviceaccounts", "token"):
            try await restrictNode(context, .create, name: name, subresource: subresource, object: try BodyDecoder.decode(context.request), old: nil)
            return try await requestToken(context, name: name)
        case ("", "pods", "exec"), ("", "pods", "attach"):
            try await refuseUnupgradedStream(context, name: name, kind: subresource == "exec" ? .exec : .attach)
        default:
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }

    /// `pods/binding`: the scheduler's way of assigning a node; a pod is bound once.
    private func bind(_ context: ResourceRequest, name: String) async throws(APIError) -> APIResponse {
        let binding = try BodyDecoder.decode(context.request)
        guard let node = binding[path: "target", "name"]?.stringValue, !node.isEmpty else {
            throw APIError.invalid(kind: "Binding", group: "", name: name, causes: [.required("target.name")])
        }
        _ = try await commitUpdate(context, name: name, subresource: "binding", retryOnConflict: true) { current throws(APIError) in
            if let assigned = current[path: "spec", "nodeName"]?.stringValue, !assigned.isEmpty {
                throw APIError.conflict(context.groupResource, name: name, detail: "pod \(name) is already assigned to node \"\(assigned)\"")
            }
            if ObjectLifecycle.isTerminating(current) {
                throw APIError.conflict(context.groupResource, name: name, detail: "pod \(name) is being deleted, cannot be assigned to a host")
            }
            var pod = current
            pod[path: "spec", "nodeName"] = .string(node)
            // As Kubernetes' binding: the pod is now scheduled, replacing any earlier Unschedulable condition.
            var conditions = (pod[path: "status", "conditions"]?.arrayValue ?? []).filter { $0["type"]?.stringValue != "PodScheduled" }
            conditions.append([
                "type": "PodScheduled", "status": "True", "lastProbeTime": .null, "lastTransitionTime": .string(KubeTime.format(Date())),
            ])
            pod[path: "status", "conditions"] = .array(conditions)
            return pod
        }
        return .created(Self.success)
    }

    static let success: JSONValue = ["kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Success", "code": 201]
}
