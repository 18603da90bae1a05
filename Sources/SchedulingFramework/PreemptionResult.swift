/// Where a preemptor should wait and whom it evicts.
public struct PreemptionResult: Sendable {
    /// The node to set as the preemptor's `status.nominatedNodeName`.
    public var nominatedNode: String
    /// The pods to delete, highest priority first.
    public var victims: [PodInfo]
    /// Lower-priority pods nominated to the same node, whose nominations should be cleared because they may no
    /// longer fit there.
    public var lowerPriorityNominatedPods: [PodInfo]

    public init(nominatedNode: String, victims: [PodInfo], lowerPriorityNominatedPods: [PodInfo] = []) {
        self.nominatedNode = nominatedNode
        self.victims = victims
        self.lowerPriorityNominatedPods = lowerPriorityNominatedPods
    }
}
