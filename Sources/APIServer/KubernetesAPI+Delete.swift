import APIMachinery
import APIRegistry
import Foundation
import KubeObjects

/// `DeleteOptions`, from the body (kubectl sends one) or the query string.
struct DeleteOptions: Sendable {
    var gracePeriodSeconds: Int64?
    var propagationPolicy: String?
    var preconditionUID: String?
    var preconditionResourceVersion: String?

    /// Kubernetes' defaults: the object's own grace period, background propagation, no preconditions.
    init() {}

    init(_ request: APIRequest) throws(APIError) {
        var body: JSONValue = .emptyObject
        if !request.body.isEmpty {
            body = try BodyDecoder.decodeJSON(request.body)
        }
        try self.init(body, query: request.query)
    }

    /// From a `DeleteOptions` object, with query parameters for what it leaves out (an eviction embeds one).
    init(_ body: JSONValue, query: [String: String] = [:]) throws(APIError) {
        gracePeriodSeconds = body["gracePeriodSeconds"]?.integerValue ?? query["gracePeriodSeconds"].flatMap { Int64($0) }
        propagationPolicy = body["propagationPolicy"]?.stringValue ?? query["propagationPolicy"]
        if propagationPolicy == nil, let orphan = body["orphanDependents"]?.boolValue ?? query["orphanDependents"].map({ $0 == "true" }) {
            propagationPolicy = orphan ? "Orphan" : "Background"
        }
        preconditionUID = body[path: "preconditions", "uid"]?.stringValue
        preconditionResourceVersion = body[path: "preconditions", "resourceVersion"]?.stringValue
        if let policy = propagationPolicy, !["Orphan", "Background", "Foreground"].contains(policy) {
            throw APIError.invalid(
                kind: "DeleteOptions", group: "", name: "",
                causes: [.notSupported("propagationPolicy", value: .string(policy), supported: ["Foreground", "Background", "Orphan"])])
        }
        if let grace = gracePeriodSeconds, grace < 0 {
            gracePeriodSeconds = 0
        }
    }
}

extension KubernetesAPI {
    func delete(_ context: ResourceRequest, name: String) async throws(APIError) -> APIResponse {
        try context.validateDryRun()
        // Only a single delete is refused: Kubernetes' collection delete bypasses this check too.
        if context.definition.group == "scheduling.k8s.io" && context.definition.resource == "priorityclasses",
            SystemPriorityClass.named(name) != nil
        {
            throw APIError.forbidden(context.groupResource, name: name, message: "this is a system priority class and cannot be deleted")
        }
        let options = try DeleteOptions(context.request)
        try await restrictNode(context, .delete, name: name, subresource: nil, object: nil, old: nil)
        let deleted = try await deleteObject(context.definition, namespace: try context.requireNamespace(), name: name, options: options, dryRun: context.isDryRun)
        return .ok(deleted)
    }

    /// Deletes now, or marks the object terminating when finalizers (or a graceful pod shutdown) must run first.
    func deleteObject(_ definition: ResourceDefinition, namespace: String?, name: String, options: DeleteOptions, dryRun: Bool) async throws(APIError) -> JSONValue {
        // Without a resourceVersion precondition a delete must not fail because someone else (a controller) wrote the
        // object between our read and our write: read again and retry, as Kubernetes' storage does.
        var attempts = 0
        while true {
            do throws(APIError) {
                return try await deleteOnce(definition, namespace: namespace, name: name, options: options, dryRun: dryRun)
            } catch where error.isConflict && options.preconditionResourceVersion == nil && attempts < 10 {
                attempts += 1
            }
        }
    }

    private func deleteOnce(_ definition: ResourceDefinition, namespace: String?, name: String, options: DeleteOptions, dryRun: Bool) async throws(APIError) -> JSONValue {
        guard let (current, revision) = try await objects.find(definition, namespace: namespace, name: name) else {
            throw APIError.notFound(definition.groupResource, name: name)
        }
        if let uid = options.preconditionUID, uid != current.metadata.uid {
            throw APIError.conflict(
                definition.groupResource, name: name,
                detail: "Precondition failed: UID in precondition: \(uid), UID in object meta: \(current.metadata.uid)")
        }
        if let expected = options.preconditionResourceVersion, expected != String(revision) {
            throw APIError.conflict(
                definition.groupResource, name: name,
                detail: "Precondition failed: ResourceVersion in precondition: \(expected), ResourceVersion in object meta: \(revision)")
        }
        if ObjectLifecycle.isTerminating(current) {
            return try await shortenGracePeriod(definition, current: current, revision: revision, options: options, dryRun: dryRun)
        }

        var finalizers = ObjectLifecycle.finalizers(of: current)
        switch options.propagationPolicy {
        case "Foreground" where !finalizers.contains("foregroundDeletion"): finalizers.append("foregroundDeletion")
        case "Orphan" where !finalizers.contains("orphan"): finalizers.append("orphan")
        default: break
        }
        let isNamespace = definition.group.isEmpty && definition.resource == "namespaces"
        // As Kubernetes' pod strategy: only a pod on a node that has not finished needs its kubelet to stop it.
        let phase = current[path: "status", "phase"]?.stringValue
        let gracefulPod = definition.group.isEmpty && definition.resource == "pods" && current[path: "spec", "nodeName"]?.stringValue != nil
            && phase != "Succeeded" && phase != "Failed"
            && (options.gracePeriodSeconds ?? current[path: "spec", "terminationGracePeriodSeconds"]?.integerValue ?? 30) > 0
        guard finalizers.isEmpty && !isNamespace && !gracefulPod else {
            var marked = current
            let grace = gracefulPod ? (options.gracePeriodSeconds ?? current[path: "spec", "terminationGracePeriodSeconds"]?.integerValue ?? 30) : 0
            // Kubernetes sets the deletion time to when the grace period ends.
            marked[path: "metadata", "deletionTimestamp"] = .string(KubeTime.format(Date().addingTimeInterval(TimeInterval(grace))))
            marked[path: "metadata", "deletionGracePeriodSeconds"] = .integer(grace)
            if !finalizers.isEmpty { marked[path: "metadata", "finalizers"] = .array(finalizers.map(JSONValue.string)) }
            if isNamespace { marked[path: "status", "phase"] = "Terminating" }
            if dryRun { return marked }
            let stored = try await objects.update(definition, object: marked, expectedRevision: revision)
            if isNamespace { namespaceFinalizer.trigger() }
            return stored
        }
        if dryRun { return current }
        return try await objects.delete(definition, namespace: namespace, name: name, expectedRevision: revision)
    }

    /// A second delete of a terminating object may only shorten its grace period; a period of 0 deletes it now
    /// unless finalizers remain (the kubelet's final delete, or `kubectl delete --force --grace-period=0`).
    private func shortenGracePeriod(
        _ definition: ResourceDefinition, current: JSONValue, revision: Int64, options: DeleteOptions, dryRun: Bool
    ) async throws(APIError) -> JSONValue {
        guard let grace = options.gracePeriodSeconds,
            grace < current[path: "metadata", "deletionGracePeriodSeconds"]?.integerValue ?? 0
        else { return current }
        let namespace = current.metadata.namespace
        let name = current.metadata.name
        if grace == 0 && ObjectLifecycle.finalizers(of: current).isEmpty {
            if dryRun { return current }
            return try await objects.delete(definition, namespace: namespace, name: name, expectedRevision: revision)
        }
        var shortened = current
        let deadline = Date().addingTimeInterval(TimeInterval(grace))
        if let existing = current[path: "metadata", "deletionTimestamp"]?.stringValue.flatMap(KubeTime.parse), existing < deadline {
            shortened[path: "metadata", "deletionTimestamp"] = .string(KubeTime.format(existing))
        } else {
            shortened[path: "metadata", "deletionTimestamp"] = .string(KubeTime.format(deadline))
        }
        shortened[path: "metadata", "deletionGracePeriodSeconds"] = .integer(grace)
        if dryRun { return shortened }
        return try await objects.update(definition, object: shortened, expectedRevision: revision)
    }

    func deleteCollection(_ context: ResourceRequest) async throws(APIError) -> APIResponse {
        try context.validateDryRun()
        let options = try DeleteOptions(context.request)
        let selection = try Selection(context)
        let all = try await listAll(context.definition, namespace: context.namespace)
        var deleted: [JSONValue] = []
        for object in all where selection.matches(object) {
            do {
                deleted.append(
                    try await deleteObject(context.definition, namespace: object.metadata.namespace, name: object.metadata.name, options: options, dryRun: context.isDryRun))
            } catch {
                if error.code != 404 { throw error }
            }
        }
        return .ok([
            "kind": .string(context.definition.listKind), "apiVersion": .string(context.definition.apiVersion),
            "metadata": .emptyObject, "items": .array(deleted),
        ])
    }
}
