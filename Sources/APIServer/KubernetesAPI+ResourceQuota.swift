import APIMachinery
import APIRegistry
import Foundation
import ResourceQuota

extension KubernetesAPI {
    /// ResourceQuota admission, the last step before a write is stored (after validation, as Kubernetes' validating
    /// admission runs): a write that adds usage must fit every quota of its namespace that applies to it, and is
    /// charged to them at once, before the quota controller recounts. A namespace's charges go through
    /// `QuotaChargeQueue` in batches.
    func chargeQuotas(_ object: JSONValue, old: JSONValue?, definition: ResourceDefinition, admissionName: String, dryRun: Bool) async throws(APIError) {
        guard definition.namespaced, let namespace = object.metadata.namespace else { return }
        let resource = GroupResource(group: definition.group, resource: definition.resource)
        // Most writes (events, updates of anything but Services and claims) are never charged: no need to read quotas.
        guard let evaluator = QuotaEvaluators.evaluator(for: resource), evaluator.handles(old == nil ? .create : .update, subresource: "") else { return }
        if admissionObjects.objects(.resourceQuotas, namespace: namespace)?.isEmpty == true { return }
        let charge = QuotaCharge(object: object, old: old, resource: resource, admissionName: admissionName, dryRun: dryRun)
        let result = await quotaCharges.submit(charge, namespace: namespace) { batch in await self.chargeBatch(batch, namespace: namespace) }
        try result.get()
    }

    /// Checks a batch of charges in order against the namespace's quotas, each admitted one counting against the
    /// next, then writes the raised quotas with their resourceVersion as precondition. A quota the controller changed
    /// meanwhile is read again and the charges not yet written to it are checked again (a charge that now fails
    /// stays on a quota already written until the controller recounts it, as a write refused after admission does).
    private func chargeBatch(_ charges: [QuotaCharge], namespace: String) async -> [Result<Void, APIError>] {
        guard let quotaDefinition = catalog.resource(group: "", version: "v1", resource: "resourcequotas") else {
            return charges.map { _ in .success(()) }
        }
        var results: [Result<Void, APIError>] = charges.map { _ in .success(()) }
        var written: Set<String> = []
        for attempt in 0..<10 {
            var stored = attempt == 0 ? admissionObjects.objects(.resourceQuotas, namespace: namespace) : nil
            if stored == nil {
                do {
                    stored = try await listAll(quotaDefinition, namespace: namespace)
                } catch {
                    return charges.map { _ in .failure(error) }
                }
            }
            var quotas = Dictionary((stored ?? []).filter { !written.contains($0.metadata.name) }.map { ($0.metadata.name, $0) }) { first, _ in first }
            if quotas.isEmpty { return results }
            let before = quotas
            for (index, charge) in charges.enumerated() where attempt == 0 || (try? results[index].get()) != nil {
                do {
                    let raised = try QuotaAdmission.check(
                        charge.object, oldObject: charge.old, resource: charge.resource, operation: charge.old == nil ? .create : .update,
                        quotas: Array(quotas.values), now: Date())
                    if !charge.dryRun { for quota in raised { quotas[quota.metadata.name] = quota } }
                    results[index] = .success(())
                } catch {
                    results[index] = .failure(APIError.forbidden(charge.resource, name: charge.admissionName, message: error.message))
                }
            }
            var conflicted = false
            for (name, quota) in quotas where quota != before[name] {
                do {
                    let stored = try await objects.update(quotaDefinition, object: quota, expectedRevision: Int64(quota.metadata.resourceVersion) ?? 0)
                    admissionObjects.remember(.resourceQuotas, stored)
                    written.insert(name)
                } catch where error.reason == "Conflict" {
                    conflicted = true
                } catch {
                    return charges.map { _ in .failure(error) }
                }
            }
            if !conflicted { return results }
        }
        let busy = APIError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on resourcequotas: the quotas of namespace \(namespace) kept changing; please retry")
        return charges.map { _ in .failure(busy) }
    }
}
