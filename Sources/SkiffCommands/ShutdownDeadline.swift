import Foundation
import Logging

/// The last resort of a graceful shutdown: if the process has not exited some seconds after it began, it exits.
///
/// Acknowledged writes are already durable in the store, so nothing is lost; the deadline runs on its own thread
/// because the tasks that failed to stop may be holding the concurrency pool's threads.
enum ShutdownDeadline {
    static func arm(after seconds: TimeInterval, logger: Logger) {
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: seconds)
            logger.warning("shutdown did not finish in time; exiting", metadata: ["seconds": "\(seconds)"])
            exit(0)
        }
    }
}
