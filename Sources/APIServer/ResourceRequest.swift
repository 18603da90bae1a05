import APIMachinery
import APIRegistry

/// One request on a resource, with the options every verb shares.
struct ResourceRequest: Sendable {
    let definition: ResourceDefinition
    let path: ResourcePath
    let request: APIRequest

    var namespace: String? { definition.namespaced ? path.namespace : nil }
    var groupResource: GroupResource { definition.groupResource }

    /// `dryRun=All`: run every stage, store nothing (what `kubectl diff` relies on).
    var isDryRun: Bool { request.query["dryRun"] == "All" }

    var fieldValidation: String { request.query["fieldValidation"] ?? "Warn" }

    func requireNamespace() throws(APIError) -> String? {
        guard definition.namespaced else { return nil }
        guard let namespace = path.namespace, !namespace.isEmpty else {
            throw KubernetesAPI.resourceNotFound
        }
        return namespace
    }

    func validateDryRun() throws(APIError) {
        if let value = request.query["dryRun"], value != "All", !value.isEmpty {
            throw APIError.badRequest("Invalid dry run value: \(value)", causes: [])
        }
    }
}
