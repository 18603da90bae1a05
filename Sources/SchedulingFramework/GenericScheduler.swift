/// kube-scheduler's scheduling algorithm with the default profile's filter and score plugins: filter the nodes
/// (stopping once enough feasible ones are found), score those, and pick the best, breaking ties at random.
///
/// Holds the rotating start index that spreads consecutive pods' searches over the nodes, so keep one instance.
public struct GenericScheduler: Sendable {
    /// Kubernetes never stops the search before this many feasible nodes (`minFeasibleNodesToFind`).
    static let minFeasibleNodesToFind = 100
    /// The adaptive percentage never drops below this (`minFeasibleNodesPercentageToFind`).
    static let minFeasibleNodesPercentageToFind = 5

    /// The share of nodes to find feasible before scoring, 1...100; 0 adapts to the cluster size as Kubernetes does.
    public var percentageOfNodesToScore: Int
    /// Where the next pod's search starts in the snapshot's node list.
    public private(set) var nextStartNodeIndex = 0
    private var random: RandomSource

    /// - Parameters:
    ///   - percentageOfNodesToScore: 0 (the default) for Kubernetes' adaptive percentage.
    ///   - random: breaks ties between equally scored nodes; inject a seeded generator for repeatable tests.
    public init(
        percentageOfNodesToScore: Int = 0, random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
    ) {
        self.percentageOfNodesToScore = percentageOfNodesToScore
        self.random = RandomSource(seededFrom: random)
    }

    /// How many feasible nodes to find before scoring: all of a cluster under 100 nodes; otherwise the configured
    /// percentage, by default 50% less 1% per 125 nodes with a floor of 5%, and never fewer than 100.
    public func numFeasibleNodesToFind(_ numAllNodes: Int) -> Int {
        if numAllNodes < GenericScheduler.minFeasibleNodesToFind { return numAllNodes }
        var percentage = percentageOfNodesToScore
        if percentage <= 0 {
            percentage = max(50 - numAllNodes / 125, GenericScheduler.minFeasibleNodesPercentageToFind)
        }
        return max(numAllNodes * min(percentage, 100) / 100, GenericScheduler.minFeasibleNodesToFind)
    }

    /// Finds the node for `pod`, or the reasons no node fits.
    public mutating func schedule(_ pod: PodInfo, in snapshot: ClusterSnapshot) -> Result<ScheduleResult, FitError> {
        let numAllNodes = snapshot.nodeCount
        guard numAllNodes > 0 else { return .failure(FitError(numAllNodes: 0)) }
        var failure = FitError(numAllNodes: numAllNodes)

        // PreFilter: a pod pinned to nodes by name need not look at the others.
        var candidates: [Int]?
        if case .only(let names) = NodeAffinity.candidateNodeNames(pod.requiredNodeAffinity) {
            guard !names.isEmpty else {
                let status = FilterStatus(
                    code: .unschedulableAndUnresolvable, reasons: [NodeAffinity.conflictMessage],
                    plugin: NodeAffinity.name)
                failure.preFilterMessage = NodeAffinity.conflictMessage
                failure.absentNodesStatus = status
                return .failure(failure)
            }
            candidates = names.compactMap { snapshot.index(ofNode: $0) }.sorted()
            failure.absentNodesStatus = FilterStatus(
                code: .unschedulableAndUnresolvable,
                reasons: ["node(s) didn't satisfy plugin(s) [\(NodeAffinity.name)]"], plugin: NodeAffinity.name)
        }
        let state = CycleState(pod: pod, snapshot: snapshot)

        // A pod nominated by an earlier preemption tries its node first.
        if let nominated = pod.nominatedNodeName, let index = snapshot.index(ofNode: nominated),
            filter(state, nodeAt: index, in: snapshot) == nil
        {
            return .success(ScheduleResult(suggestedHost: nominated, evaluatedNodes: 1, feasibleNodes: 1))
        }

        let feasible = findFeasibleNodes(state, candidates: candidates, in: snapshot, statuses: &failure.nodeStatuses)
        if feasible.isEmpty { return .failure(failure) }
        let evaluated = feasible.count + failure.nodeStatuses.count
        if feasible.count == 1 {
            return .success(
                ScheduleResult(suggestedHost: snapshot.nodes[feasible[0]].name, evaluatedNodes: evaluated, feasibleNodes: 1))
        }
        let scores = score(pod, feasible: feasible, in: snapshot)
        let chosen = selectHost(feasible: feasible, scores: scores)
        return .success(
            ScheduleResult(
                suggestedHost: snapshot.nodes[chosen].name, evaluatedNodes: evaluated, feasibleNodes: feasible.count))
    }

    /// Filters nodes from the rotating start index until enough feasible ones are found; records the rejections.
    private mutating func findFeasibleNodes(
        _ state: CycleState, candidates: [Int]?, in snapshot: ClusterSnapshot, statuses: inout [String: FilterStatus]
    ) -> [Int] {
        let count = candidates?.count ?? snapshot.nodeCount
        let wanted = numFeasibleNodesToFind(count)
        var feasible: [Int] = []
        feasible.reserveCapacity(wanted)
        var processed = 0
        let start = nextStartNodeIndex
        while processed < count && feasible.count < wanted {
            let position = (start + processed) % count
            let index = candidates?[position] ?? position
            processed += 1
            if let status = filter(state, nodeAt: index, in: snapshot) {
                statuses[snapshot.nodes[index].name] = status
            } else {
                feasible.append(index)
            }
        }
        nextStartNodeIndex = (start + processed) % snapshot.nodeCount
        return feasible
    }

    private func filter(_ state: CycleState, nodeAt index: Int, in snapshot: ClusterSnapshot) -> FilterStatus? {
        guard snapshot.nominatedPodCount > 0 else {
            switch state.filter(snapshot.nodes[index].summary) {
            case .fits: return nil
            case .rejected(let status): return status
            case .needsFullCheck: return state.filter(snapshot.nodes[index])
            }
        }
        let node = snapshot.nodes[index]
        return state.filter(node, nominated: snapshot.nominatedPods[node.name] ?? [])
    }

    /// `selectHost`: the highest total, ties broken by reservoir sampling so each tied node is equally likely.
    private mutating func selectHost(feasible: [Int], scores: [Int64]) -> Int {
        var best = Int64.min
        var ties = 0
        var chosen = feasible[0]
        for (position, index) in feasible.enumerated() {
            let score = scores[position]
            if score > best {
                best = score
                ties = 1
                chosen = index
            } else if score == best {
                ties += 1
                if Int.random(in: 0..<ties, using: &random) == 0 { chosen = index }
            }
        }
        return chosen
    }
}
