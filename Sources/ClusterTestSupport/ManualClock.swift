import Foundation
import Synchronization

/// Wall-clock time a test moves by hand, for controllers that compare timestamps (grace periods, tolerations).
public final class ManualClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date()) {
        current = Mutex(start)
    }

    public var now: Date { current.withLock { $0 } }

    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// The closure controllers take as their source of time.
    public var source: @Sendable () -> Date { { [self] in now } }
}

/// Polls until a condition holds, for tests that wait on controllers running in the background.
public func eventually(
    timeout: Duration = .seconds(10), interval: Duration = .milliseconds(20), _ condition: @Sendable () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
