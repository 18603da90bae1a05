import APIMachinery
import APIRegistry

/// What answers `metrics.k8s.io`: the control plane's metrics server, as an APIService puts metrics-server behind
/// kube-apiserver.
public protocol ResourceMetricsProvider: Sendable {
    /// NodeMetrics of every node with metrics.
    func nodeMetrics() async -> [JSONValue]
    /// PodMetrics of every pod (of `namespace`, or all) with metrics.
    func podMetrics(namespace: String?) async -> [JSONValue]
}

extension KubernetesAPI {
    /// Connects the API server to what measures nodes and pods, for `kubectl top` and the autoscalers.
    public func connectMetrics(_ provider: any ResourceMetricsProvider) { metricsProvider.set(provider) }

    /// `get` and `list` of NodeMetrics and PodMetrics, with label and field selectors; no watch, as metrics-server
    /// serves none.
    func serveMetrics(_ context: ResourceRequest) async throws(APIError) -> APIResponse {
        guard context.request.method == "GET" || context.request.method == "HEAD", context.path.subresource == nil,
            !context.request.flag("watch")
        else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        guard let provider = metricsProvider.current else {
            // What kube-apiserver answers while the APIService's backend is unavailable.
            throw APIError(code: 503, reason: "ServiceUnavailable", message: "the server is currently unable to handle the request")
        }
        let definition = context.definition
        let all = definition.resource == "nodes" ? await provider.nodeMetrics() : await provider.podMetrics(namespace: context.namespace)
        if let name = context.path.name {
            guard let object = all.first(where: { $0.metadata.name == name }) else {
                // metrics-server's wording: `nodemetrics.metrics.k8s.io "n" not found`, pods named with their namespace.
                let resource = GroupResource(group: definition.group, resource: definition.resource == "nodes" ? "nodemetrics" : "podmetrics")
                throw APIError.notFound(resource, name: context.namespace.map { "\($0)/\(name)" } ?? name)
            }
            return context.request.wantsTable ? .ok(table(context, objects: [object], revision: "", continueToken: nil)) : .ok(object)
        }
        let selection = try Selection(context)
        let items = all.filter(selection.matches)
        if context.request.wantsTable {
            return .ok(table(context, objects: items, revision: "", continueToken: nil))
        }
        return .ok([
            "kind": .string(definition.listKind), "apiVersion": .string(definition.apiVersion), "metadata": .emptyObject, "items": .array(items),
        ])
    }
}
