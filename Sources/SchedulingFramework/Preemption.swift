/// The DefaultPreemption plugin: for a pod that fits nowhere, find a node where evicting lower-priority pods makes
/// room, evicting as few and as unimportant pods as possible.
///
/// Only nodes that failed with `unschedulable` (not `unschedulableAndUnresolvable`) are tried. On each, every
/// lower-priority pod is removed; if the pod then fits, victims are reprieved one by one from the highest priority
/// down while the pod still fits. The node whose victims matter least wins (`pickOneNodeForPreemption`).
/// PodDisruptionBudgets are not considered: every victim counts as not violating one.
public struct Preemption: Sendable {
    /// At least this share of the potential nodes is tried (`minCandidateNodesPercentage`)…
    public var minCandidateNodesPercentage = 10
    /// …and at least this many (`minCandidateNodesAbsolute`).
    public var minCandidateNodesAbsolute = 100
    private var random: RandomSource

    /// - Parameter random: picks where in the potential nodes the search starts; inject a seeded generator for
    ///   repeatable tests.
    public init(random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        self.random = RandomSource(seededFrom: random)
    }

    /// Runs preemption for `pod` after `schedule` failed with `fitError` on the same snapshot. Without any node
    /// there is nothing to preempt and no message, as Kubernetes skips PostFilter then.
    public mutating func preempt(_ pod: PodInfo, after fitError: FitError, in snapshot: ClusterSnapshot)
        -> PreemptionOutcome
    {
        guard snapshot.nodeCount > 0 else { return PreemptionOutcome(result: nil, message: nil) }
        if let reason = ineligibility(of: pod, fitError: fitError, in: snapshot) {
            return PreemptionOutcome(result: nil, message: "preemption: " + reason)
        }
        let potential = snapshot.nodes.indices.filter {
            fitError.status(ofNode: snapshot.nodes[$0].name)?.code == .unschedulable
        }
        var statuses: [String: FilterStatus] = [:]
        var candidates: [Candidate] = []
        if !potential.isEmpty {
            let state = CycleState(pod: pod, snapshot: snapshot)
            let offset = Int.random(in: 0..<potential.count, using: &random)
            let wanted = numCandidates(potential.count)
            for step in potential.indices {
                let index = potential[(offset + step) % potential.count]
                switch selectVictims(pod, state: state, nodeAt: index, in: snapshot) {
                case .victims(let victims):
                    candidates.append(Candidate(node: snapshot.nodes[index].name, victims: victims))
                case .rejected(let status):
                    statuses[snapshot.nodes[index].name] = status
                }
                if candidates.count >= wanted { break }
            }
        }
        guard let chosen = Preemption.pickOneNode(candidates) else {
            let failure = FitError(
                numAllNodes: snapshot.nodeCount, nodeStatuses: statuses,
                absentNodesStatus: FilterStatus(
                    code: .unschedulableAndUnresolvable, reasons: ["Preemption is not helpful for scheduling"],
                    plugin: "DefaultPreemption"))
            return PreemptionOutcome(result: nil, message: "preemption: " + failure.message)
        }
        let lowerNominated = (snapshot.nominatedPods[chosen.node] ?? []).filter { $0.priority < pod.priority }
        return PreemptionOutcome(
            result: PreemptionResult(
                nominatedNode: chosen.node, victims: chosen.victims, lowerPriorityNominatedPods: lowerNominated),
            message: nil)
    }

    /// `PodEligibleToPreemptOthers`: the reason the pod may not preempt, or nil when it may.
    private func ineligibility(of pod: PodInfo, fitError: FitError, in snapshot: ClusterSnapshot) -> String? {
        if pod.preemptionPolicy == .never { return "not eligible due to preemptionPolicy=Never." }
        // A pod whose earlier preemption is still evicting pods from its nominated node waits for that, unless the
        // node has become hopeless.
        if let nominated = pod.nominatedNodeName,
            fitError.status(ofNode: nominated)?.code != .unschedulableAndUnresolvable,
            let node = snapshot.node(named: nominated),
            node.pods.contains(where: { $0.priority < pod.priority && $0.isTerminating && $0.isPreemptedByScheduler })
        {
            return "not eligible due to a terminating pod on the nominated node."
        }
        return nil
    }

    /// How many candidate nodes to find before choosing among them.
    private func numCandidates(_ potentialNodes: Int) -> Int {
        min(max(potentialNodes * minCandidateNodesPercentage / 100, minCandidateNodesAbsolute), potentialNodes)
    }
}
