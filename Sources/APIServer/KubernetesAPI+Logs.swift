import APIMachinery
import KubeObjects

extension KubernetesAPI {
    /// `pods/log`: checks the container as kube-apiserver does, then streams the log from the pod's node.
    func containerLogs(pod: JSONValue, query: [String: String]) async throws(APIError) -> APIResponse {
        let name = pod.metadata.name
        let namespace = pod.metadata.namespace ?? "default"
        let containers = (pod[path: "spec", "containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let initContainers = (pod[path: "spec", "initContainers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        var container = query["container"] ?? ""
        if container.isEmpty {
            guard containers.count == 1 else {
                var message = "a container name must be specified for pod \(name), choose one of: [\(containers.joined(separator: " "))]"
                if !initContainers.isEmpty { message += " or one of the init containers: [\(initContainers.joined(separator: " "))]" }
                throw APIError.badRequest(message)
            }
            container = containers[0]
        }
        guard containers.contains(container) || initContainers.contains(container) else {
            throw APIError.badRequest("container \(container) is not valid for pod \(name)")
        }
        for field in ["tailLines", "sinceSeconds", "limitBytes"] {
            if let value = query[field], Int64(value) == nil || (Int64(value) ?? 0) < 0 || (field != "tailLines" && Int64(value) == 0) {
                throw APIError.badRequest("\(field): Invalid value: \"\(value)\": must be \(field == "tailLines" ? "greater than or equal to 0" : "greater than 0")")
            }
        }
        guard let node = Pod(pod).spec.nodeName, !node.isEmpty else {
            throw APIError.badRequest("pod \(name) does not have a host assigned")
        }
        guard let connections = nodeConnections.current else {
            throw APIError(code: 503, reason: "ServiceUnavailable", message: "no agent runs node \(node) in this server, so its logs cannot be read")
        }
        let chunks = try await connections.containerLogs(node: node, namespace: namespace, pod: name, container: container, query: query)
        return .byteStream(contentType: "text/plain", chunks: chunks)
    }
}
