import ControllerRuntime
import Foundation
import Synchronization

/// Pods a controller has asked for but not yet seen through its informer, per owner (Kubernetes' controller
/// expectations): while any are outstanding the owner is not reconciled into creating more, so a burst of creates
/// is not repeated before the cache catches up. Expectations older than five minutes are given up on.
final class CreationExpectations: Sendable {
    private struct Pending {
        var count: Int
        var since: Date
    }

    private let pending = Mutex<[ObjectKey: Pending]>([:])
    static let timeout: TimeInterval = 300

    func expect(_ owner: ObjectKey, creations: Int) {
        pending.withLock { $0[owner] = Pending(count: creations, since: Date()) }
    }

    /// One expected pod was seen (or its creation failed).
    func observed(_ owner: ObjectKey) {
        pending.withLock { pending in
            guard var entry = pending[owner] else { return }
            entry.count -= 1
            pending[owner] = entry.count > 0 ? entry : nil
        }
    }

    func isSatisfied(_ owner: ObjectKey) -> Bool {
        pending.withLock { pending in
            guard let entry = pending[owner] else { return true }
            return Date().timeIntervalSince(entry.since) > Self.timeout
        }
    }

    func forget(_ owner: ObjectKey) {
        _ = pending.withLock { $0.removeValue(forKey: owner) }
    }
}
