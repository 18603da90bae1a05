import ControllerRuntime
import Foundation
import Synchronization

/// kube-scheduler's queue of pods waiting for a node.
///
/// Pods ready to try are handed out highest priority first, then oldest first. A pod that did not fit waits in the
/// unschedulable set until the cluster changes (a node appears or changes, a pod goes away) — never in a hot loop —
/// and then for its back-off (1 s doubling to 10 s per attempt). Pods left unschedulable for 5 minutes are retried
/// anyway, as Kubernetes does.
final class SchedulingQueue: Sendable {
    struct Entry: Sendable {
        var key: ObjectKey
        var priority: Int64
        var enqueued: ContinuousClock.Instant
        var attempts: Int
    }

    private struct State {
        var active = PriorityHeap<Entry> { lhs, rhs in
            lhs.priority != rhs.priority ? lhs.priority > rhs.priority : lhs.enqueued < rhs.enqueued
        }
        /// Keys in `active` (the heap may also hold stale entries for keys since removed; they are skipped).
        var queued: [ObjectKey: Entry] = [:]
        var unschedulable: [ObjectKey: (entry: Entry, since: ContinuousClock.Instant)] = [:]
        var backingOff: [ObjectKey: Entry] = [:]
        /// Bumped on every cluster change, so a pod that failed while one happened is retried rather than parked.
        var moveCycle = 0
        var waiter: CheckedContinuation<Entry?, Never>?
        var isShutDown = false
    }

    private let state = Mutex(State())
    let initialBackoff: Duration
    let maximumBackoff: Duration
    let maximumUnschedulableDuration: Duration

    init(initialBackoff: Duration = .seconds(1), maximumBackoff: Duration = .seconds(10), maximumUnschedulableDuration: Duration = .seconds(300)) {
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.maximumUnschedulableDuration = maximumUnschedulableDuration
    }

    /// A new or changed pending pod: try it now (a spec change may have made it schedulable).
    func add(_ key: ObjectKey, priority: Int64) {
        let handOff: (CheckedContinuation<Entry?, Never>, Entry)? = state.withLock { state in
            guard !state.isShutDown, state.queued[key] == nil, state.backingOff[key] == nil else { return nil }
            var entry = state.unschedulable.removeValue(forKey: key)?.entry ?? Entry(key: key, priority: priority, enqueued: .now, attempts: 0)
            entry.priority = priority
            return Self.activate(entry, in: &state)
        }
        if let (waiter, entry) = handOff { waiter.resume(returning: entry) }
    }

    func remove(_ key: ObjectKey) {
        state.withLock { state in
            state.queued[key] = nil
            state.unschedulable[key] = nil
            state.backingOff[key] = nil
        }
    }

    /// The cycle to pass back to `requeue` for a pod being scheduled now.
    var currentCycle: Int { state.withLock { $0.moveCycle } }

    /// A pod that could not be placed: parked until the cluster changes, or backed off at once if it changed
    /// while the pod was being tried.
    func requeue(_ entry: Entry, unschedulable: Bool, cycleWhenPopped: Int) {
        var entry = entry
        entry.attempts += 1
        let backOff: Bool = state.withLock { state in
            guard !state.isShutDown else { return false }
            if unschedulable && state.moveCycle == cycleWhenPopped {
                state.unschedulable[entry.key] = (entry, .now)
                return false
            }
            state.backingOff[entry.key] = entry
            return true
        }
        if backOff { scheduleBackoff(entry) }
    }

    /// Something changed that may let parked pods fit: move them all back, each after its remaining back-off.
    func moveAllUnschedulable() {
        let moved: [Entry] = state.withLock { state in
            state.moveCycle += 1
            let entries = state.unschedulable.values.map(\.entry)
            state.unschedulable.removeAll(keepingCapacity: true)
            for entry in entries { state.backingOff[entry.key] = entry }
            return entries
        }
        moved.forEach(scheduleBackoff)
    }

    /// Retries pods parked longer than the limit even if nothing changed.
    func flushLongUnschedulable() {
        let limit = ContinuousClock.now - maximumUnschedulableDuration
        let moved: [Entry] = state.withLock { state in
            let old = state.unschedulable.filter { $0.value.since < limit }
            for (key, value) in old {
                state.unschedulable[key] = nil
                state.backingOff[key] = value.entry
            }
            return old.values.map(\.entry)
        }
        moved.forEach(scheduleBackoff)
    }

    func backoff(forAttempts attempts: Int) -> Duration {
        guard attempts > 0 else { return .zero }
        return min(initialBackoff * (1 << min(attempts - 1, 16)), maximumBackoff)
    }

    private func scheduleBackoff(_ entry: Entry) {
        let delay = backoff(forAttempts: entry.attempts)
        // One short-lived timer per backing-off pod; it ends after activating the pod (or finding it gone).
        Task { [self] in
            if delay > .zero { try? await Task.sleep(for: delay) }
            let handOff: (CheckedContinuation<Entry?, Never>, Entry)? = state.withLock { state in
                guard !state.isShutDown, let current = state.backingOff.removeValue(forKey: entry.key) else { return nil }
                return Self.activate(current, in: &state)
            }
            if let (waiter, entry) = handOff { waiter.resume(returning: entry) }
        }
    }

    private static func activate(_ entry: Entry, in state: inout State) -> (CheckedContinuation<Entry?, Never>, Entry)? {
        if let waiter = state.waiter {
            state.waiter = nil
            return (waiter, entry)
        }
        state.queued[entry.key] = entry
        state.active.push(entry)
        return nil
    }

    /// The next pod to schedule; nil once shut down. Only one consumer (the scheduling loop) may wait.
    func pop() async -> Entry? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Entry?, Never>) in
                let immediate: Entry?? = state.withLock { state in
                    while let entry = state.active.pop() {
                        // Skip heap entries superseded by a removal or a re-add.
                        guard let current = state.queued[entry.key], current.enqueued == entry.enqueued else { continue }
                        state.queued[entry.key] = nil
                        return .some(current)
                    }
                    if state.isShutDown || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            shutDown()
        }
    }

    func shutDown() {
        let waiter = state.withLock { state in
            state.isShutDown = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    var counts: (active: Int, backingOff: Int, unschedulable: Int) {
        state.withLock { ($0.queued.count, $0.backingOff.count, $0.unschedulable.count) }
    }
}
