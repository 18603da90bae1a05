/// Compacts a store's history the way kube-apiserver asks etcd to: every interval, up to the revision that was
/// current one interval earlier, so watchers a little behind can still resume.
public struct StoreCompactor: Sendable {
    let store: any RevisionedStore
    let interval: Duration

    public init(store: any RevisionedStore, interval: Duration = .seconds(300)) {
        self.store = store
        self.interval = interval
    }

    /// Runs until cancelled; failures are retried at the next interval.
    public func run() async {
        var previous: Int64?
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            guard let current = try? await store.currentRevision() else { continue }
            if let previous, previous > 0 {
                try? await store.compact(upTo: previous)
            }
            previous = current
        }
    }
}
