/// How long the kubelet waits before restarting a container that exited: at once the first time, then 10 s,
/// doubling with each restart up to 5 minutes (the `CrashLoopBackOff` a user sees), and from the start again once a
/// container has run for 10 minutes.
struct RestartBackoff: Sendable, Equatable {
    static let initial: Duration = .seconds(10)
    static let maximum: Duration = .seconds(300)
    /// A run at least this long forgets earlier crashes (twice the maximum, as the kubelet's back-off GC).
    static let resetAfter: Duration = .seconds(600)

    /// The wait before the restart after the next exit; nil while the container has no crash to remember.
    private var nextDelay: Duration?
    /// The wait the last exit was given (what `CrashLoopBackOff`'s message names).
    private(set) var lastDelay: Duration = .zero

    init() {}

    /// Records an exit after the container ran for `ranFor`, and returns the wait before starting it again.
    mutating func containerExited(after ranFor: Duration) -> Duration {
        if ranFor >= Self.resetAfter { nextDelay = nil }
        guard let delay = nextDelay else {
            nextDelay = Self.initial
            lastDelay = .zero
            return .zero
        }
        nextDelay = min(delay * 2, Self.maximum)
        lastDelay = delay
        return delay
    }
}
