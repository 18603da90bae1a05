/// Runs one piece of work at a time per key, in arrival order: quota admission charges one namespace's quotas one
/// write after another, as kube-apiserver's quota evaluator works through a namespace's requests in turn, so that
/// concurrent creates do not fail each other's compare-and-swap on the same quota.
actor NamespaceSerializer {
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Returns when the caller holds `key`; it must call `release` after.
    func acquire(_ key: String) async {
        guard waiting[key] != nil else {
            waiting[key] = []
            return
        }
        await withCheckedContinuation { waiting[key, default: []].append($0) }
    }

    func release(_ key: String) {
        guard var queue = waiting[key] else { return }
        if queue.isEmpty {
            waiting[key] = nil
        } else {
            let next = queue.removeFirst()
            waiting[key] = queue
            next.resume()
        }
    }
}
