import Synchronization

/// Fans committed writes out to live watchers, for store backends that see their own writes.
///
/// Backends call `publish` in revision order while still holding their write serialization, so a subscriber
/// registered at revision R receives exactly the events after R.
public final class WatchHub: Sendable {
    /// How many undelivered events a watcher may hold before it is dropped (it must then re-list, as in Kubernetes).
    public let bufferLimit: Int

    private struct Subscriber {
        var prefix: String
        var continuation: AsyncThrowingStream<StoreEvent, any Error>.Continuation
    }

    private struct State {
        var lastPublished: Int64
        var nextID = 0
        var subscribers: [Int: Subscriber] = [:]
        /// Set at shutdown: later watches end at once instead of outliving the server.
        var closed = false
    }

    private let state: Mutex<State>

    public init(lastRevision: Int64, bufferLimit: Int = 10_000) {
        self.bufferLimit = bufferLimit
        state = Mutex(State(lastPublished: lastRevision))
    }

    public var watcherCount: Int { state.withLock { $0.subscribers.count } }

    /// Registers a watcher of live events; returns them with the last revision published before registration.
    public func subscribe(prefix: String) -> (events: AsyncThrowingStream<StoreEvent, any Error>, after: Int64) {
        let (stream, continuation) = AsyncThrowingStream<StoreEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(bufferLimit))
        let (id, after) = state.withLock { state in
            if state.closed {
                continuation.finish()
                return (-1, state.lastPublished)
            }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = Subscriber(prefix: prefix, continuation: continuation)
            return (id, state.lastPublished)
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return (stream, after)
    }

    /// Delivers committed events, which must come in increasing revision order.
    ///
    /// Events are handed to the streams outside the lock: resuming a watcher's task takes that task's own lock, and
    /// a watcher whose task is cancelled holds its task's lock while its stream's termination handler takes this
    /// one (to unsubscribe), so yielding under this lock could deadlock the two.
    public func publish(_ events: [StoreEvent]) {
        guard let last = events.last else { return }
        let subscribers = state.withLock { state in
            state.lastPublished = last.revision
            return state.subscribers
        }
        var gone: [Int] = []
        for (id, subscriber) in subscribers {
            for event in events where event.value.key.hasPrefix(subscriber.prefix) {
                switch subscriber.continuation.yield(event) {
                case .enqueued:
                    continue
                case .dropped:
                    subscriber.continuation.finish(throwing: StoreError.watcherTooSlow)
                    gone.append(id)
                case .terminated:
                    gone.append(id)
                @unknown default:
                    gone.append(id)
                }
                break
            }
        }
        if !gone.isEmpty {
            state.withLock { state in
                for id in gone { state.subscribers.removeValue(forKey: id) }
            }
        }
    }

    /// Ends every watch and refuses new ones, at shutdown.
    public func finishAll() {
        let continuations = state.withLock { state in
            let all = state.subscribers.values.map(\.continuation)
            state.subscribers.removeAll()
            state.closed = true
            return all
        }
        for continuation in continuations { continuation.finish() }
    }
}
