/// What the DefaultPreemption PostFilter concluded.
public struct PreemptionOutcome: Sendable {
    /// Nil when preemption cannot help.
    public var result: PreemptionResult?
    /// The PostFilter message for `FitError.postFilterMessage`, e.g.
    /// `preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.`; nil on success.
    public var message: String?

    public init(result: PreemptionResult?, message: String?) {
        self.result = result
        self.message = message
    }
}
