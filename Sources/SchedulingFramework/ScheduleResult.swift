/// Where a schedulable pod should go (kube-scheduler's `ScheduleResult`).
public struct ScheduleResult: Sendable, Hashable {
    public var suggestedHost: String
    /// The nodes filtered: the feasible ones plus the rejected ones.
    public var evaluatedNodes: Int
    public var feasibleNodes: Int

    public init(suggestedHost: String, evaluatedNodes: Int, feasibleNodes: Int) {
        self.suggestedHost = suggestedHost
        self.evaluatedNodes = evaluatedNodes
        self.feasibleNodes = feasibleNodes
    }
}
