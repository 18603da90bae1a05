import APIMachinery
import APIRegistry
import Foundation
import KubeObjects

extension KubernetesAPI {
    /// `pods/eviction`: a delete that honours the pod's PodDisruptionBudget, as Kubernetes' `EvictionREST` does.
    func evict(_ context: ResourceRequest, name: String) async throws(APIError) -> APIResponse {
        let eviction = try BodyDecoder.decode(context.request)
        if eviction.metadata.name != name {
            throw APIError.badRequest("name in URL does not match name in Eviction object")
        }
        let namespace = try context.requireNamespace() ?? ""
        if let sent = eviction.metadata.namespace, !sent.isEmpty, sent != namespace {
            throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        let deleteOptions = eviction["deleteOptions"] ?? .emptyObject
        let requested = try DeleteOptions(deleteOptions)
        let dryRun = try Self.requestsDryRun(deleteOptions) || context.isDryRun
        let pods = context.definition

        // A pod no budget protects is deleted at once; when it changes under the delete, it is looked at again.
        var attempt = 0
        var pod: JSONValue
        var revision: Int64
        while true {
            attempt += 1
            guard let found = try await objects.find(pods, namespace: namespace, name: name) else {
                throw APIError.notFound(pods.groupResource, name: name)
            }
            (pod, revision) = (found.object, found.revision)
            guard Eviction.canIgnoreBudgets(pod) else { break }
            var options = requested
            if Eviction.pinsRevision(pod) && requested.preconditionResourceVersion == nil {
                options.preconditionResourceVersion = String(revision)
            }
            do {
                try await markAndDelete(pods, namespace: namespace, name: name, options: options, dryRun: dryRun)
                return .created(Self.success)
            } catch {
                // A client's own resourceVersion precondition is final.
                if error.reason == "Conflict" && requested.preconditionResourceVersion == nil && attempt < Eviction.conflictRetries { continue }
                throw error
            }
        }

        guard let budgets = catalog.resource(group: "policy", version: "v1", resource: "poddisruptionbudgets") else {
            throw APIError.internalError("the policy API group is missing from the catalog")
        }
        let covering = Eviction.budgets(covering: pod, among: try await listAll(budgets, namespace: namespace))
        if covering.count > 1 {
            return .json(code: 500, body: Self.multipleBudgets, headers: [:])
        }
        var options = requested
        var unreadyUnder: String?
        if let budget = covering.first {
            if !Eviction.isReady(pod) && Eviction.unreadyPodMayGo(budget: budget) {
                // Free only while the pod stays unready: the delete is pinned to the revision that showed it so.
                options.preconditionResourceVersion = String(revision)
                unreadyUnder = budget.metadata.name
            } else {
                try await spendDisruption(of: budget, definition: budgets, on: name, dryRun: dryRun)
            }
        }
        do {
            try await markAndDelete(pods, namespace: namespace, name: name, options: options, dryRun: dryRun)
        } catch {
            if error.reason == "Conflict", let unreadyUnder, requested.preconditionResourceVersion == nil {
                throw Eviction.stillProcessing(budget: unreadyUnder)
            }
            throw error
        }
        return .created(Self.success)
    }

    /// Takes one disruption from the budget's status, re-reading it after a conflicting write; a dry run only checks.
    private func spendDisruption(of budget: JSONValue, definition: ResourceDefinition, on podName: String, dryRun: Bool) async throws(APIError) {
        if dryRun {
            _ = try Eviction.spend(budget, on: podName, now: Date())
            return
        }
        // Kubernetes writes the budget through its own loopback client, which then manages the status fields.
        let context = ResourceRequest(
            definition: definition,
            path: ResourcePath(
                group: definition.group, version: definition.version, namespace: budget.metadata.namespace, resource: definition.resource,
                name: budget.metadata.name, subresource: "status"),
            request: APIRequest(method: "PUT", path: "", query: [:], headers: ["user-agent": "kube-apiserver"], body: []))
        var attempt = 0
        while true {
            attempt += 1
            do {
                _ = try await commitUpdate(context, name: budget.metadata.name, subresource: "status", retryOnConflict: false) { current throws(APIError) in
                    try Eviction.spend(current, on: podName, now: Date())
                }
                return
            } catch {
                if error.reason == "Conflict" && attempt < Eviction.conflictRetries { continue }
                throw error
            }
        }
    }

    /// Sets the pod's `DisruptionTarget` condition, then deletes it with the eviction's options; a dry run writes neither.
    private func markAndDelete(_ pods: ResourceDefinition, namespace: String, name: String, options: DeleteOptions, dryRun: Bool) async throws(APIError) {
        var options = options
        var attempt = 0
        while !dryRun {
            attempt += 1
            guard let (pod, revision) = try await objects.find(pods, namespace: namespace, name: name) else {
                throw APIError.notFound(pods.groupResource, name: name)
            }
            try Self.checkEvictionPreconditions(options, pod: pod, revision: revision)
            let marked = Eviction.markedForDisruption(pod, now: Date())
            if marked == pod { break }
            do {
                let stored = try await objects.update(pods, object: marked, expectedRevision: revision)
                // The condition moved the pod on; a resourceVersion precondition now means this revision.
                if options.preconditionResourceVersion != nil {
                    options.preconditionResourceVersion = stored[path: "metadata", "resourceVersion"]?.stringValue
                }
                break
            } catch {
                if error.reason == "Conflict" && attempt < Eviction.conflictRetries { continue }
                throw error
            }
        }
        _ = try await deleteObject(pods, namespace: namespace, name: name, options: options, dryRun: dryRun)
    }

    /// The preconditions as Kubernetes checks them before writing the condition, with that write's messages.
    private static func checkEvictionPreconditions(_ options: DeleteOptions, pod: JSONValue, revision: Int64) throws(APIError) {
        let resource = GroupResource(group: "", resource: "Pod")
        let uid = pod.metadata.uid
        if let expected = options.preconditionUID, !expected.isEmpty, expected != uid {
            throw APIError.conflict(
                resource, name: pod.metadata.name,
                detail: "the UID in the precondition (\(expected)) does not match the UID in record (\(uid)). "
                    + "The object might have been deleted and then recreated")
        }
        if let expected = options.preconditionResourceVersion, !expected.isEmpty, expected != String(revision) {
            throw APIError.conflict(
                resource, name: pod.metadata.name,
                detail: "the ResourceVersion in the precondition (\(expected)) does not match the ResourceVersion in record (\(revision)). "
                    + "The object might have been modified")
        }
    }

    /// `deleteOptions.dryRun` of an eviction; `All` is the one value Kubernetes accepts.
    private static func requestsDryRun(_ deleteOptions: JSONValue) throws(APIError) -> Bool {
        let values = (deleteOptions["dryRun"]?.arrayValue ?? []).map { $0.stringValue ?? "" }
        if values.contains(where: { $0 != "All" }) {
            let rendered = "[]string{" + values.map { "\"\($0)\"" }.joined(separator: ", ") + "}"
            throw APIError.invalid(
                kind: "DeleteOptions", group: "meta.k8s.io", name: "",
                causes: [StatusCause(type: "FieldValueNotSupported", message: "Unsupported value: \(rendered): supported values: \"All\"", field: "dryRun")])
        }
        return !values.isEmpty
    }

    /// Kubernetes answers this with a `Status` object rather than an error, so it carries no reason.
    static let multipleBudgets: JSONValue = [
        "kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Failure", "code": 500,
        "message": "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
    ]
}
