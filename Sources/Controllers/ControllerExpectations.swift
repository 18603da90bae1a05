import APIMachinery
import ControllerRuntime
import Foundation
import Synchronization

/// What a controller is waiting to see through its pod informer after creating or deleting pods (Kubernetes'
/// `UIDTrackingControllerExpectations`): until the informer has caught up, the cache undercounts or overcounts the
/// pods and acting on it again would create or delete twice.
final class ControllerExpectations: Sendable {
    private struct Entry {
        var creations: Int
        /// Names of the pods whose deletion has been requested but not yet observed.
        var deletions: Set<String>
        var setAt: Date
    }

    private let entries = Mutex<[ObjectKey: Entry]>([:])
    private let now: @Sendable () -> Date
    /// Expectations older than this are treated as met, so that a lost watch event cannot wedge a controller
    /// (Kubernetes' `ExpectationsTimeout`).
    static let timeout: TimeInterval = 300

    init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    /// Whether the owner's cache is trustworthy: nothing pending, or the pending work has timed out.
    func satisfied(_ key: ObjectKey) -> Bool {
        entries.withLock { entries in
            guard let entry = entries[key] else { return true }
            return (entry.creations <= 0 && entry.deletions.isEmpty) || now().timeIntervalSince(entry.setAt) > Self.timeout
        }
    }

    /// How long until unmet expectations time out (nil when met): a reconcile that waits on them looks again then.
    func remaining(_ key: ObjectKey) -> TimeInterval? {
        entries.withLock { entries in
            guard let entry = entries[key], entry.creations > 0 || !entry.deletions.isEmpty else { return nil }
            return max(0, Self.timeout - now().timeIntervalSince(entry.setAt))
        }
    }

    func expectCreations(_ key: ObjectKey, _ count: Int) {
        entries.withLock { $0[key] = Entry(creations: count, deletions: [], setAt: now()) }
    }

    func expectDeletions(_ key: ObjectKey, _ podNames: [String]) {
        entries.withLock { $0[key] = Entry(creations: 0, deletions: Set(podNames), setAt: now()) }
    }

    /// One expected creation happened, or will not happen (its request failed or was skipped).
    func creationObserved(_ key: ObjectKey) {
        entries.withLock { entries in entries[key]?.creations -= 1 }
    }

    func deletionObserved(_ key: ObjectKey, podName: String) {
        _ = entries.withLock { entries in entries[key]?.deletions.remove(podName) }
    }

    func forget(_ key: ObjectKey) {
        _ = entries.withLock { $0.removeValue(forKey: key) }
    }
}

extension Watch {
    /// Pods an owner of `kind` creates: each change enqueues the owner, and a new one counts against the creations
    /// the owner expects to see.
    static func createdPods(
        _ pods: Informer, by kind: String, apiVersion: String? = nil, expectations: ControllerExpectations, into queue: WorkQueue<ObjectKey>
    ) -> Watch {
        let owner: @Sendable (JSONValue) -> ObjectKey? = { ObjectKey.owner(of: $0, kind: kind, apiVersion: apiVersion) }
        return Watch(
            pods,
            InformerHandler(
                onAdd: { pod in
                    guard let key = owner(pod) else { return }
                    expectations.creationObserved(key)
                    queue.add(key)
                },
                onUpdate: { _, pod in owner(pod).map(queue.add) },
                onDelete: { pod in owner(pod).map(queue.add) }))
    }
}
