import APIMachinery
import Foundation

/// Choosing victims on one node and the node among the candidates (`SelectVictimsOnNode`,
/// `pickOneNodeForPreemption`).
extension Preemption {
    /// The victims a node needs, or why preemption cannot help there.
    enum VictimSelection {
        case victims([PodInfo])
        case rejected(FilterStatus)
    }

    struct Candidate {
        var node: String
        /// Highest priority first.
        var victims: [PodInfo]
    }

    /// Removes every lower-priority pod that is not already terminating; if the pod then fits, puts back as many
    /// as possible, most important first. Fails with the filter's status when even that is not enough.
    func selectVictims(_ pod: PodInfo, state: CycleState, nodeAt index: Int, in snapshot: ClusterSnapshot)
        -> VictimSelection
    {
        var node = snapshot.nodes[index]
        var state = state
        let nominated = snapshot.nominatedPodCount > 0 ? snapshot.nominatedPods[node.name] ?? [] : []
        var potentialVictims: [PodInfo] = []
        for other in node.pods where other.priority < pod.priority && !other.isTerminating {
            potentialVictims.append(other)
        }
        guard !potentialVictims.isEmpty else { return .rejected(Preemption.noVictims) }
        for victim in potentialVictims {
            node.removePod(namespace: victim.namespace, name: victim.name)
            state.update(with: victim, on: node, delta: -1)
        }
        if let status = state.filter(node, nominated: nominated) { return .rejected(status) }

        var victims: [PodInfo] = []
        for candidate in Preemption.byImportance(potentialVictims) {
            node.add(candidate)
            state.update(with: candidate, on: node, delta: 1)
            if state.filter(node, nominated: nominated) != nil {
                node.removePod(namespace: candidate.namespace, name: candidate.name)
                state.update(with: candidate, on: node, delta: -1)
                victims.append(candidate)
            }
        }
        // Fitting without any eviction means the node failed for a reason preemption does not change.
        return victims.isEmpty ? .rejected(Preemption.noVictims) : .victims(victims)
    }

    static let noVictims = FilterStatus(
        code: .unschedulableAndUnresolvable, reasons: ["No preemption victims found for incoming pod"],
        plugin: "DefaultPreemption")

    /// Most important first (`MoreImportantPod`): higher priority, then the one that started earlier.
    static func byImportance(_ pods: [PodInfo]) -> [PodInfo] {
        pods.map { (pod: $0, started: startTime($0)) }
            .sorted { $0.pod.priority != $1.pod.priority ? $0.pod.priority > $1.pod.priority : $0.started < $1.started }
            .map(\.pod)
    }

    /// A pod that has not started counts as starting now, later than every started pod.
    private static func startTime(_ pod: PodInfo) -> Double {
        pod.startTime.flatMap(KubeTime.parse)?.timeIntervalSince1970 ?? .infinity
    }

    /// The candidate whose eviction hurts least: the lowest highest-victim priority, then the smallest sum of
    /// priorities, then the fewest victims, then the latest start among the highest-priority victims; the first
    /// found on a tie. (Fewest PodDisruptionBudget violations would come first; none are counted.)
    static func pickOneNode(_ candidates: [Candidate]) -> Candidate? {
        let criteria: [(Candidate) -> Double] = [
            { -Double($0.victims.first?.priority ?? 0) },
            { -$0.victims.reduce(0.0) { $0 + Double($1.priority) + Double(Int32.max) + 1 } },
            { -Double($0.victims.count) },
            { candidate in
                let top = candidate.victims.first?.priority ?? 0
                return candidate.victims.filter { $0.priority == top }.map(startTime).min() ?? -.infinity
            },
        ]
        var remaining = candidates
        for criterion in criteria where remaining.count > 1 {
            let scores = remaining.map(criterion)
            guard let best = scores.max() else { break }
            remaining = zip(remaining, scores).filter { $0.1 == best }.map(\.0)
        }
        return remaining.first
    }
}
