import APIMachinery
import APIRegistry
import Foundation
import KubeObjects

extension KubernetesAPI {
    func update(_ context: ResourceRequest, name: String, subresource: String?) async throws(APIError) -> APIResponse {
        try context.validateDryRun()
        var body = try BodyDecoder.decode(context.request)
        if subresource == "scale" {
            return try await updateScale(context, name: name, body: body)
        }
        let warnings = try checkDecoding(&body, context: context)
        let sentRevision = body[path: "metadata", "resourceVersion"]?.stringValue
        let updated = try await commitUpdate(context, name: name, subresource: subresource, retryOnConflict: false) { current throws(APIError) in
            if let sentRevision, !sentRevision.isEmpty, sentRevision != current[path: "metadata", "resourceVersion"]?.stringValue {
                throw APIError.modified(context.groupResource, name: name)
            }
            return body
        }
        return .json(code: 200, body: updated, headers: warnings.header)
    }

    private func updateScale(_ context: ResourceRequest, name: String, body: JSONValue) async throws(APIError) -> APIResponse {
        guard let replicas = body[path: "spec", "replicas"]?.integerValue, replicas >= 0 else {
            throw APIError.invalid(
                kind: "Scale", group: "autoscaling", name: name,
                causes: [.invalid("spec.replicas", value: body[path: "spec", "replicas"] ?? .null, "must be greater than or equal to 0")])
        }
        let sentRevision = body[path: "metadata", "resourceVersion"]?.stringValue
        let updated = try await commitUpdate(context, name: name, subresource: nil, retryOnConflict: sentRevision == nil) { current throws(APIError) in
            if let sentRevision, !sentRevision.isEmpty, sentRevision != current[path: "metadata", "resourceVersion"]?.stringValue {
                throw APIError.modified(context.groupResource, name: name)
            }
            var object = current
            object[path: "spec", "replicas"] = .integer(replicas)
            return object
        }
        return .ok(ScaleSubresource.scale(of: updated, definition: context.definition))
    }

    /// Reads the stored object, computes its replacement, and writes it with a revision precondition.
    ///
    /// Runs the update path Kubernetes runs: server-owned fields carried over, defaulting, admission, validation, no
    /// write when nothing changed, and deletion once a terminating object's last finalizer is gone. Patches retry on
    /// conflict.
    func commitUpdate(
        _ context: ResourceRequest, name: String, subresource: String?, retryOnConflict: Bool, alreadyApplied: Bool = false,
        change: (JSONValue) throws(APIError) -> JSONValue
    ) async throws(APIError) -> JSONValue {
        let definition = context.definition
        let namespace = try context.requireNamespace()
        var attempts = 0
        while true {
            attempts += 1
            guard let (current, revision) = try await objects.find(definition, namespace: namespace, name: name) else {
                throw APIError.notFound(context.groupResource, name: name)
            }
            var object = try change(current)
            try checkIdentity(object, context: context, name: name, namespace: namespace)
            object[path: "metadata", "namespace"] = namespace.map(JSONValue.string)
            if subresource == nil {
                Defaulting.apply(to: &object, group: definition.group, kind: definition.kind)
            }
            ObjectLifecycle.prepareForUpdate(&object, old: current, definition: definition, subresource: subresource)
            if definition.group.isEmpty && definition.resource == "services" {
                ServiceAddressAllocator.keepAllocated(&object, old: current)
            }
            if !alreadyApplied && !Self.serverOwnedSubresources.contains(subresource ?? "") {
                object = recordManagedFields(old: current, new: object, context: context, subresource: subresource)
            }
            if subresource == nil {
                try await admit(&object, old: current, definition: definition, admissionName: name)
                try confirmNoEscalation(object, old: current, context: context)
            }
            try await restrictNode(context, .update, name: name, subresource: subresource, object: object, old: current)
            // Bindings and namespace finalization are the server's own narrow writes; Kubernetes skips update validation for them.
            let causes =
                Self.serverOwnedSubresources.contains(subresource ?? "")
                ? [] : Validation.validateUpdate(object, old: current, group: definition.group, kind: definition.kind, namespaced: definition.namespaced)
            if !causes.isEmpty {
                throw APIError.invalid(kind: definition.kind, group: definition.group, name: name, causes: causes)
            }
            object[path: "metadata", "resourceVersion"] = current[path: "metadata", "resourceVersion"]
            APISchema.builtIn.fillRequiredScalars(&object)
            if object == current { return current }
            if subresource == nil {
                try await chargeQuotas(object, old: current, definition: definition, admissionName: name, dryRun: context.isDryRun)
            }
            if context.isDryRun { return object }
            do {
                if ObjectLifecycle.isReadyForRemoval(object) {
                    _ = try await objects.delete(definition, namespace: namespace, name: name, expectedRevision: revision)
                    return object
                }
                return try await objects.update(definition, object: object, expectedRevision: revision)
            } catch {
                if error.reason == "Conflict" && retryOnConflict && attempts < 5 { continue }
                throw error
            }
        }
    }

    static let serverOwnedSubresources: Set<String> = ["binding", "finalize"]

    private func checkIdentity(_ object: JSONValue, context: ResourceRequest, name: String, namespace: String?) throws(APIError) {
        let sentName = object.metadata.name
        if sentName != name {
            throw APIError.badRequest("the name of the object (\(sentName)) does not match the name on the URL (\(name))")
        }
        if let sent = object.metadata.namespace, !sent.isEmpty, let namespace, sent != namespace {
            throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
    }
}

extension ObjectLifecycle {
    static func isTerminating(_ object: JSONValue) -> Bool {
        object.metadata.isDeleting
    }

    /// A terminating object whose finalizers (and, for namespaces, `spec.finalizers`) have all run and whose grace
    /// period is over. As Kubernetes' `ShouldDeleteDuringUpdate`: a pod still shutting down on its node stays until
    /// the kubelet's final delete, even when a finalizer (the garbage collector's) is removed first.
    static func isReadyForRemoval(_ object: JSONValue) -> Bool {
        isTerminating(object) && finalizers(of: object).isEmpty && (object[path: "spec", "finalizers"]?.arrayValue ?? []).isEmpty
            && (object[path: "metadata", "deletionGracePeriodSeconds"]?.integerValue ?? 0) == 0
    }

    static func finalizers(of object: JSONValue) -> [String] {
        (object[path: "metadata", "finalizers"]?.arrayValue ?? []).compactMap(\.stringValue)
    }
}
