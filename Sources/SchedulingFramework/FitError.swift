/// A pod that fits no node, with the reason of every node (kube-scheduler's `framework.FitError`).
public struct FitError: Error, Sendable {
    /// The number of nodes in the snapshot.
    public var numAllNodes: Int
    /// The status of each node a filter rejected.
    public var nodeStatuses: [String: FilterStatus]
    /// The status of the nodes without an entry in `nodeStatuses` (those a PreFilter plugin ruled out), if any.
    public var absentNodesStatus: FilterStatus?
    /// Set when a PreFilter plugin rejected the pod before any node was looked at.
    public var preFilterMessage: String?
    /// The PostFilter (preemption) message, e.g. `preemption: 0/3 nodes are available: ...`.
    public var postFilterMessage: String?

    public init(
        numAllNodes: Int, nodeStatuses: [String: FilterStatus] = [:], absentNodesStatus: FilterStatus? = nil,
        preFilterMessage: String? = nil, postFilterMessage: String? = nil
    ) {
        self.numAllNodes = numAllNodes
        self.nodeStatuses = nodeStatuses
        self.absentNodesStatus = absentNodesStatus
        self.preFilterMessage = preFilterMessage
        self.postFilterMessage = postFilterMessage
    }

    /// The status of a node: its own, or the one for nodes a PreFilter plugin ruled out.
    public func status(ofNode name: String) -> FilterStatus? {
        nodeStatuses[name] ?? absentNodesStatus
    }

    /// How many nodes gave each reason, counting the absent nodes once each.
    public var reasonCounts: [String: Int] {
        var counts: [String: Int] = [:]
        for status in nodeStatuses.values {
            for reason in status.reasons { counts[reason, default: 0] += 1 }
        }
        if let absentNodesStatus, nodeStatuses.count < numAllNodes {
            for reason in absentNodesStatus.reasons { counts[reason, default: 0] += numAllNodes - nodeStatuses.count }
        }
        return counts
    }

    /// `FitError.Error()`: `0/3 nodes are available: 1 node(s) had untolerated taint {...}, 2 Insufficient cpu.`
    /// with the preemption message after it; Kubernetes' own text when there are no nodes at all.
    public var message: String {
        if numAllNodes == 0 { return "no nodes available to schedule pods" }
        var message = "0/\(numAllNodes) nodes are available:"
        if let preFilterMessage, !preFilterMessage.isEmpty {
            message += " \(preFilterMessage)."
        } else {
            // Go's sort.Strings on "<count> <reason>": byte order, so "10 ..." sorts before "2 ...".
            let histogram = reasonCounts.map { "\($0.value) \($0.key)" }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            if !histogram.isEmpty { message += " " + histogram.joined(separator: ", ") + "." }
        }
        if let postFilterMessage, !postFilterMessage.isEmpty { message += " " + postFilterMessage }
        return message
    }
}

extension FitError: CustomStringConvertible {
    public var description: String { message }
}
