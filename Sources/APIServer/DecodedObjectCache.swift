import APIMachinery
import Synchronization

/// The most recently written or read objects, parsed, keyed by store key and revision.
///
/// Every watcher of a resource needs each change as an object, and an update first reads what it changes; without
/// this each of them would parse the same stored bytes again (Kubernetes' watch cache spares it the same way).
/// Entries are immutable snapshots at a revision, so a hit is always exact; the cache is small and forgets the
/// oldest entries first.
final class DecodedObjectCache: Sendable {
    private struct State {
        var entries: [String: (revision: Int64, object: JSONValue)] = [:]
        var order: [String] = []
        var head = 0
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 2048) {
        self.capacity = capacity
    }

    /// The stored-form object of `key` at exactly `revision`, if cached.
    func object(key: String, revision: Int64) -> JSONValue? {
        state.withLock { state in
            guard let entry = state.entries[key], entry.revision == revision else { return nil }
            return entry.object
        }
    }

    /// Remembers `key` at `revision`, unless a newer revision is already cached.
    func remember(key: String, revision: Int64, object: JSONValue) {
        state.withLock { state in
            if let existing = state.entries[key] {
                if existing.revision < revision { state.entries[key] = (revision, object) }
                return
            }
            state.entries[key] = (revision, object)
            state.order.append(key)
            if state.entries.count > capacity {
                let oldest = state.order[state.head]
                state.head += 1
                state.entries[oldest] = nil
                if state.head * 2 > state.order.count {
                    state.order.removeFirst(state.head)
                    state.head = 0
                }
            }
        }
    }
}
