import Metrics
import Synchronization

/// A controller's queue of keys to reconcile, with client-go's guarantees: a key is never handed to two workers at
/// once, repeated adds of a waiting key collapse into one, and a key added while it is being processed is handed out
/// again after `done`.
public final class WorkQueue<Key: Hashable & Sendable>: Sendable {
    private struct State {
        var queue: [Key] = []
        var head = 0
        var dirty: Set<Key> = []
        var processing: Set<Key> = []
        var failures: [Key: Int] = [:]
        /// Keys waiting out a delay, and when each is due: one timer per key, as client-go's delaying queue keeps.
        var due: [Key: ContinuousClock.Instant] = [:]
        var waiters: [CheckedContinuation<Key?, Never>] = []
        var isShutDown = false
        /// Set once a controller names the queue (`measure(as:)`), with when each waiting key was queued.
        var metrics: QueueMetrics?
        var queuedAt: [Key: ContinuousClock.Instant] = [:]

        mutating func enqueue(_ key: Key) {
            queue.append(key)
            guard let metrics else { return }
            queuedAt[key] = .now
            metrics.depth.record(queue.count - head)
        }

        mutating func pop() -> Key? {
            guard head < queue.count else { return nil }
            let key = queue[head]
            head += 1
            if head > 1024 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            dirty.remove(key)
            processing.insert(key)
            if let metrics {
                if let queued = queuedAt.removeValue(forKey: key) { metrics.queueDuration.record(duration: .now - queued) }
                metrics.depth.record(queue.count - head)
            }
            return key
        }
    }

    /// client-go's work-queue metrics of a named queue, through swift-metrics (exported by whatever the process
    /// bootstrapped; nothing without one).
    struct QueueMetrics: Sendable {
        let depth: Gauge
        let adds: Counter
        let queueDuration: Metrics.Timer
        let retries: Counter

        init(name: String) {
            let dimensions = [("name", name)]
            depth = Gauge(label: "workqueue_depth", dimensions: dimensions)
            adds = Counter(label: "workqueue_adds_total", dimensions: dimensions)
            queueDuration = Metrics.Timer(label: "workqueue_queue_duration_seconds", dimensions: dimensions)
            retries = Counter(label: "workqueue_retries_total", dimensions: dimensions)
        }
    }

    private let state = Mutex(State())
    /// The first retry delay of a failing key; it doubles per failure up to `maximumRetryDelay`.
    private let baseRetryDelay: Duration
    private let maximumRetryDelay: Duration

    public init(baseRetryDelay: Duration = .milliseconds(5), maximumRetryDelay: Duration = .seconds(300)) {
        self.baseRetryDelay = baseRetryDelay
        self.maximumRetryDelay = maximumRetryDelay
    }

    public func add(_ key: Key) {
        let handOff: (CheckedContinuation<Key?, Never>, Key)? = state.withLock { state in
            guard !state.isShutDown, !state.dirty.contains(key) else { return nil }
            state.dirty.insert(key)
            state.metrics?.adds.increment()
            if state.processing.contains(key) { return nil }
            state.enqueue(key)
            guard !state.waiters.isEmpty, let next = state.pop() else { return nil }
            return (state.waiters.removeFirst(), next)
        }
        // `pop` moved the key to processing on the waiter's behalf; resume outside the lock.
        if let (waiter, next) = handOff { waiter.resume(returning: next) }
    }

    /// Adds the key after a delay (a requeue that waits for time to pass, e.g. a toleration running out). A key
    /// already waiting keeps the sooner of its two times, as client-go's `AddAfter` does: otherwise every sync that
    /// asks to be retried while another retry waits would start a chain of retries of its own, and a failing key
    /// would be retried ever more often.
    public func add(_ key: Key, after delay: Duration) {
        guard delay > .zero else { return add(key) }
        let dueAt = ContinuousClock.now + delay
        let scheduled = state.withLock { state in
            if let earlier = state.due[key], earlier <= dueAt { return false }
            state.due[key] = dueAt
            return true
        }
        guard scheduled else { return }
        // Detached timer: it holds only the queue and ends after its adds; a shut-down queue ignores them.
        Task { [self] in
            try? await Task.sleep(until: dueAt, clock: .continuous)
            addEveryDueKey()
        }
    }

    /// Adds every key whose time has come, soonest first. Timers of a loaded process wake late and in any order, so
    /// whichever wakes first adds all that are due: keys still come out in the order of their times, and a timer whose
    /// key was already added (or given a sooner time that was) finds nothing to do.
    private func addEveryDueKey() {
        let now = ContinuousClock.now
        let ready = state.withLock { state in
            let ready = state.due.filter { $0.value <= now }.sorted { $0.value < $1.value }.map(\.key)
            for key in ready { state.due.removeValue(forKey: key) }
            return ready
        }
        for key in ready { add(key) }
    }

    /// Whether the key waits out a delay (a requeue or a back-off) before it is added.
    public func isDelayed(_ key: Key) -> Bool {
        state.withLock { $0.due[key] != nil }
    }

    /// Adds the key after its per-key exponential back-off (for errors and conflicts).
    public func addRateLimited(_ key: Key) {
        let failures = state.withLock { state in
            state.metrics?.retries.increment()
            state.failures[key, default: 0] += 1
            return state.failures[key, default: 1]
        }
        let exponent = min(failures - 1, 30)
        let delay = min(baseRetryDelay * (1 << exponent), maximumRetryDelay)
        add(key, after: delay)
    }

    /// Reports the queue's depth, adds, time keys wait and retries under `name`, as client-go's named queues do;
    /// the first name given stays.
    public func measure(as name: String) {
        state.withLock { $0.metrics = $0.metrics ?? QueueMetrics(name: name) }
    }

    /// Clears the key's failure count after a successful reconcile.
    public func forget(_ key: Key) {
        _ = state.withLock { $0.failures.removeValue(forKey: key) }
    }

    public func failureCount(_ key: Key) -> Int {
        state.withLock { $0.failures[key, default: 0] }
    }

    /// The next key to process, or nil once the queue is shut down. Call `done` when finished with it.
    public func next() async -> Key? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Key?, Never>) in
                let immediate: Key?? = state.withLock { state in
                    if let key = state.pop() { return .some(key) }
                    if state.isShutDown || Task.isCancelled { return .some(nil) }
                    state.waiters.append(continuation)
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            shutDown()
        }
    }

    /// Marks a key processed; if it was added meanwhile it goes back in the queue.
    public func done(_ key: Key) {
        let handOff: (CheckedContinuation<Key?, Never>, Key)? = state.withLock { state in
            state.processing.remove(key)
            guard state.dirty.contains(key), !state.isShutDown else { return nil }
            state.enqueue(key)
            guard !state.waiters.isEmpty, let next = state.pop() else { return nil }
            return (state.waiters.removeFirst(), next)
        }
        if let (waiter, next) = handOff { waiter.resume(returning: next) }
    }

    /// Wakes every waiting worker with nil; later adds are ignored.
    public func shutDown() {
        let waiters = state.withLock { state in
            state.isShutDown = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    public var count: Int { state.withLock { $0.queue.count - $0.head } }
}
