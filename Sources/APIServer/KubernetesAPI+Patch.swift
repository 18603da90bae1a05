import APIMachinery
import APIRegistry

extension KubernetesAPI {
    func patch(_ context: ResourceRequest, name: String, subresource: String?) async throws(APIError) -> APIResponse {
        try context.validateDryRun()
        let contentType = context.request.contentType
        switch contentType {
        case "application/merge-patch+json", "application/json-patch+json", "application/strategic-merge-patch+json":
            break
        case "application/apply-patch+yaml":
            return try await serverSideApply(context, name: name, subresource: subresource)
        default:
            throw APIError(
                code: 415, reason: "UnsupportedMediaType",
                message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json")
        }
        let patch = try BodyDecoder.decodeJSON(context.request.body)
        if contentType != "application/json-patch+json" && patch.objectValue == nil {
            throw APIError.badRequest("json: cannot unmarshal \(patch.typeName) into Go value of type map[string]interface {}")
        }
        let sentRevision = patch[path: "metadata", "resourceVersion"]?.stringValue
        let isScale = subresource == "scale"
        let updated = try await commitUpdate(context, name: name, subresource: isScale ? nil : subresource, retryOnConflict: sentRevision == nil) {
            current throws(APIError) in
            let original = isScale ? ScaleSubresource.scale(of: current, definition: context.definition) : current
            var patched: JSONValue
            if contentType == "application/merge-patch+json" {
                patched = MergePatch.apply(patch, to: original)
            } else if contentType == "application/strategic-merge-patch+json" {
                let definition = context.definition
                do {
                    patched = try StrategicMergePatch.apply(
                        patch, to: original, group: isScale ? "autoscaling" : definition.group, version: isScale ? "v1" : definition.version,
                        kind: isScale ? "Scale" : definition.kind, schema: schema)
                } catch let error as StrategicMergePatchError {
                    throw APIError(
                        code: error.code, reason: Self.reason(for: error.code), message: error.message, name: name, group: definition.group,
                        kind: definition.kind)
                } catch {
                    throw APIError.internalError("\(error)")
                }
            } else {
                do {
                    patched = try JSONPatch.apply(patch, to: original)
                } catch let error as JSONPatch.Failure {
                    // Kubernetes answers a failed JSON patch with a bare 422 carrying the library's message.
                    throw APIError(code: 422, reason: "Invalid", message: error.description)
                } catch {
                    throw APIError.internalError("\(error)")
                }
            }
            if let sentRevision, !sentRevision.isEmpty, sentRevision != current[path: "metadata", "resourceVersion"]?.stringValue {
                throw APIError.modified(context.groupResource, name: name)
            }
            guard isScale else { return patched }
            var object = current
            object[path: "spec", "replicas"] = patched[path: "spec", "replicas"]
            return object
        }
        if isScale { return .ok(ScaleSubresource.scale(of: updated, definition: context.definition)) }
        return .ok(updated)
    }

    private static func reason(for code: Int) -> String {
        switch code {
        case 400: return "BadRequest"
        case 422: return "Invalid"
        default: return "InternalError"
        }
    }
}
