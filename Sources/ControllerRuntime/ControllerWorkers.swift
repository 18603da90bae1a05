import APIMachinery
import Logging
import Metrics

/// What a reconcile asks of the queue afterwards.
public enum ReconcileResult: Sendable {
    case done
    /// Look again after a delay (time-driven work such as a grace period running out).
    case requeue(after: Duration)
}

/// Runs a controller's workers: each takes a key, reconciles it, and hands failures back to the queue's back-off.
public enum ControllerWorkers {
    public static func run<Key: Hashable & Sendable>(
        _ queue: WorkQueue<Key>, workers: Int, name: String, logger: Logger,
        reconcile: @escaping @Sendable (Key) async throws(APIError) -> ReconcileResult
    ) async {
        // client-go's work-queue metrics, named by the controller: the queue's own, and the time each reconcile takes.
        queue.measure(as: name)
        let work = Metrics.Timer(label: "workqueue_work_duration_seconds", dimensions: [("name", name)])
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, workers) {
                group.addTask {
                    while let key = await queue.next() {
                        let started = ContinuousClock.now
                        defer { work.record(duration: ContinuousClock.now - started) }
                        do throws(APIError) {
                            switch try await reconcile(key) {
                            case .done:
                                queue.forget(key)
                            case .requeue(let delay):
                                queue.forget(key)
                                queue.add(key, after: delay)
                            }
                        } catch {
                            if !error.isConflict {
                                logger.debug(
                                    "reconcile failed", metadata: ["controller": "\(name)", "key": "\(key)", "error": "\(error.message)"])
                            }
                            queue.addRateLimited(key)
                        }
                        queue.done(key)
                    }
                }
            }
        }
    }
}
