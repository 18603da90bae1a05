import APIMachinery

/// One create or update to charge to its namespace's quotas.
struct QuotaCharge: Sendable {
    var object: JSONValue
    var old: JSONValue?
    var resource: GroupResource
    var admissionName: String
    var dryRun: Bool
}

/// Quota admission's queue, as kube-apiserver's quota evaluator keeps one: the charges of one namespace are made one
/// batch at a time, so that concurrent writes do not fail each other's compare-and-swap on the same quota. Whoever
/// finds a namespace idle drains it — its own charge and every charge that arrives meanwhile — each batch checked
/// against the quotas in turn and written back once.
actor QuotaChargeQueue {
    private var waiting: [String: [(charge: QuotaCharge, continuation: CheckedContinuation<Result<Void, APIError>, Never>)]] = [:]
    private var draining: Set<String> = []

    /// The outcome of `charge`; `drain` checks and writes one batch, answering for each charge in order.
    func submit(
        _ charge: QuotaCharge, namespace: String, drain: @Sendable ([QuotaCharge]) async -> [Result<Void, APIError>]
    ) async -> Result<Void, APIError> {
        if draining.contains(namespace) {
            return await withCheckedContinuation { waiting[namespace, default: []].append((charge, $0)) }
        }
        draining.insert(namespace)
        var own: Result<Void, APIError> = .success(())
        var batch: [(charge: QuotaCharge, continuation: CheckedContinuation<Result<Void, APIError>, Never>?)] = [(charge, nil)]
        while !batch.isEmpty {
            let results = await drain(batch.map(\.charge))
            for (item, result) in zip(batch, results) {
                if let continuation = item.continuation { continuation.resume(returning: result) } else { own = result }
            }
            batch = (waiting.removeValue(forKey: namespace) ?? []).map { ($0.charge, $0.continuation) }
        }
        draining.remove(namespace)
        return own
    }
}
