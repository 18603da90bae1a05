import Synchronization

/// Keeps a controller's syncs at least `interval` apart, as kube-proxy's `--min-sync-period` does: a sync asked for
/// sooner waits out the rest of the interval (the caller requeues for it), so a burst of changes is applied in a few
/// syncs rather than one per change.
public final class SyncSpacing: Sendable {
    public let interval: Duration
    private let lastStart = Mutex<ContinuousClock.Instant?>(nil)

    public init(interval: Duration) {
        self.interval = interval
    }

    /// Nil when a sync may start at `now` (which is then its start), otherwise how long it must wait.
    public func delay(at now: ContinuousClock.Instant = .now) -> Duration? {
        lastStart.withLock { last in
            if let last, now - last < interval { return interval - (now - last) }
            last = now
            return nil
        }
    }
}
