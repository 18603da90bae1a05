import APIMachinery
import APIRegistry
import Foundation
import ResourceQuota

extension KubernetesAPI {
    /// ResourceQuota admission, the last step before a write is stored (after validation, as Kubernetes' validating
    /// admission runs): a write that adds usage must fit every quota of its namespace that applies to it, and is
    /// charged to them at once, before the quota controller recounts. A namespace's charges are made one at a time;
    /// each quota is written with its resourceVersion as precondition, and one the controller changed meanwhile is
    /// read again and checked again.
    func chargeQuotas(_ object: JSONValue, old: JSONValue?, definition: ResourceDefinition, admissionName: String, dryRun: Bool) async throws(APIError) {
        guard definition.namespaced, let namespace = object.metadata.namespace,
            let quotaDefinition = catalog.resource(group: "", version: "v1", resource: "resourcequotas")
        else { return }
        let resource = GroupResource(group: definition.group, resource: definition.resource)
        let operation: QuotaOperation = old == nil ? .create : .update
        // Most writes (events, updates of anything but Services and claims) are never charged: no need to read quotas.
        guard let evaluator = QuotaEvaluators.evaluator(for: resource), evaluator.handles(operation, subresource: "") else { return }
        if admissionObjects.objects(.resourceQuotas, namespace: namespace)?.isEmpty == true { return }

        await quotaCharges.acquire(namespace)
        do {
            try await charge(object, old: old, resource: resource, operation: operation, quotaDefinition: quotaDefinition, admissionName: admissionName, dryRun: dryRun)
        } catch {
            await quotaCharges.release(namespace)
            throw error
        }
        await quotaCharges.release(namespace)
    }

    private func charge(
        _ object: JSONValue, old: JSONValue?, resource: GroupResource, operation: QuotaOperation, quotaDefinition: ResourceDefinition, admissionName: String,
        dryRun: Bool
    ) async throws(APIError) {
        let namespace = object.metadata.namespace ?? ""
        var charged: Set<String> = []
        for attempt in 0..<10 {
            // What the store's watch brought first; after a conflict, the store itself.
            var quotas = attempt == 0 ? admissionObjects.objects(.resourceQuotas, namespace: namespace) : nil
            if quotas == nil { quotas = try await listAll(quotaDefinition, namespace: namespace) }
            quotas = quotas?.filter { !charged.contains($0.metadata.name) }
            guard let quotas, !quotas.isEmpty else { return }
            let raised: [JSONValue]
            do {
                raised = try QuotaAdmission.check(object, oldObject: old, resource: resource, operation: operation, quotas: quotas, now: Date())
            } catch {
                throw APIError.forbidden(resource, name: admissionName, message: error.message)
            }
            if dryRun { return }
            var conflicted = false
            for quota in raised {
                do {
                    let written = try await objects.update(quotaDefinition, object: quota, expectedRevision: Int64(quota.metadata.resourceVersion) ?? 0)
                    admissionObjects.remember(.resourceQuotas, written)
                    charged.insert(quota.metadata.name)
                } catch where error.reason == "Conflict" {
                    conflicted = true
                }
            }
            if !conflicted { return }
        }
        throw APIError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on resourcequotas: the quotas of namespace \(namespace) kept changing; please retry")
    }
}
