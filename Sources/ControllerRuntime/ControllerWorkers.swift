import APIMachinery
import Logging

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
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, workers) {
                group.addTask {
                    while let key = await queue.next() {
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
