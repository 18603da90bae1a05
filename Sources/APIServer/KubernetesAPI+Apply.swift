import APIMachinery
import KubeObjects
import APIRegistry
import Foundation

extension KubernetesAPI {
    /// `application/apply-patch+yaml`: server-side apply, creating the object when it does not exist yet.
    func serverSideApply(_ context: ResourceRequest, name: String, subresource: String?) async throws(APIError) -> APIResponse {
        guard let manager = context.request.query["fieldManager"], !manager.isEmpty else {
            throw APIError.invalid(
                kind: "PatchOptions", group: "meta.k8s.io", name: "", causes: [.required("fieldManager", "is required for apply patch")])
        }
        let force = context.request.flag("force")
        var config = try BodyDecoder.decode(context.request)
        let warnings = try checkDecoding(&config, context: context)
        if config.metadata.name != name {
            throw APIError.badRequest("the name of the object (\(config.metadata.name)) does not match the name on the URL (\(name))")
        }
        let definition = context.definition
        let namespace = try context.requireNamespace()
        let now = KubeTime.format(Date())
        let schema = self.schema
        func apply(_ live: JSONValue?) throws(APIError) -> JSONValue {
            do {
                return try ServerSideApply.apply(
                    config: config, to: live, manager: manager, force: force, group: definition.group, version: definition.version,
                    kind: definition.kind, schema: schema, now: now, subresource: subresource ?? "")
            } catch {
                throw Self.apiError(error, definition: definition, name: name)
            }
        }
        if subresource == nil, try await objects.find(definition, namespace: namespace, name: name) == nil {
            return try await createObject(try apply(nil), context: context, namespace: namespace, warnings: warnings, alreadyApplied: true)
        }
        let updated = try await commitUpdate(context, name: name, subresource: subresource, retryOnConflict: true, alreadyApplied: true) {
            current throws(APIError) in try apply(current)
        }
        return .json(code: 200, body: updated, headers: warnings.header)
    }

    /// Records who changed which fields (`metadata.managedFields`), as Kubernetes does on every non-apply write.
    func recordManagedFields(old: JSONValue?, new: JSONValue, context: ResourceRequest, subresource: String?) -> JSONValue {
        let definition = context.definition
        return ServerSideApply.recordUpdate(
            old: old, new: new, manager: fieldManager(context.request), group: definition.group, version: definition.version,
            kind: definition.kind, schema: schema, now: KubeTime.format(Date()), subresource: subresource ?? "")
    }

    /// The `fieldManager` parameter, or Kubernetes' default: the client's User-Agent up to the first `/`.
    private func fieldManager(_ request: APIRequest) -> String {
        if let manager = request.query["fieldManager"], !manager.isEmpty { return manager }
        let agent = request.headers["user-agent"] ?? "unknown"
        return String(agent.split(separator: "/", maxSplits: 1).first ?? "unknown")
    }

    private static func apiError(_ error: ServerSideApplyError, definition: ResourceDefinition, name: String) -> APIError {
        switch error.reason {
        case .conflict:
            return APIError(
                code: 409, reason: "Conflict", message: error.message, name: name, group: definition.group, kind: definition.resource,
                causes: error.conflicts.map { StatusCause(type: "FieldManagerConflict", message: $0.causeMessage, field: $0.field) })
        case .badRequest:
            return .badRequest(error.message)
        case .internalError:
            return .internalError(error.message)
        }
    }
}
