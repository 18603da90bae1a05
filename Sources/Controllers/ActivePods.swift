import APIMachinery
import Foundation
import KubeObjects

/// Kubernetes' `ActivePods` order: the pods a scale-down should delete first come first.
///
/// Unassigned before assigned, Pending before Unknown before Running, not ready before ready, ready more recently
/// before ready longer, more container restarts before fewer, newer before older: the cheapest pods to lose go first.
enum ActivePods {
    /// The `count` pods to delete from `pods`, best victims first.
    static func victims(_ pods: [JSONValue], count: Int) -> [JSONValue] {
        Array(pods.sorted(by: deletesBefore).prefix(max(0, count)))
    }

    /// Whether `a` is a better pod to delete than `b`.
    static func deletesBefore(_ a: JSONValue, _ b: JSONValue) -> Bool {
        let assignedA = Pod(a).spec.nodeName != nil
        let assignedB = Pod(b).spec.nodeName != nil
        if assignedA != assignedB { return !assignedA }
        let phaseA = phaseRank(a), phaseB = phaseRank(b)
        if phaseA != phaseB { return phaseA < phaseB }
        let readyA = Pod(a).isReady, readyB = Pod(b).isReady
        if readyA != readyB { return !readyA }
        if readyA, readyB {
            let sinceA = PodReadiness.readySince(a), sinceB = PodReadiness.readySince(b)
            if sinceA != sinceB { return laterOrMissing(sinceA, sinceB) }
        }
        let restartsA = maxRestarts(a), restartsB = maxRestarts(b)
        if restartsA != restartsB { return restartsA > restartsB }
        let createdA = created(a), createdB = created(b)
        if createdA != createdB { return laterOrMissing(createdA, createdB) }
        return false
    }

    /// Pending < Unknown < Running; other phases rank with Pending, as a missing map entry does in Kubernetes.
    static func phaseRank(_ pod: JSONValue) -> Int {
        switch Pod(pod).status.phase {
        case "Unknown": 1
        case "Running": 2
        default: 0
        }
    }

    static func maxRestarts(_ pod: JSONValue) -> Int64 {
        (pod[path: "status", "containerStatuses"]?.arrayValue ?? []).map { $0["restartCount"]?.integerValue ?? 0 }.max() ?? 0
    }

    private static func created(_ pod: JSONValue) -> Date? {
        pod[path: "metadata", "creationTimestamp"]?.stringValue.flatMap(KubeTime.parse)
    }

    /// A missing time sorts first (treated as newest), then later before earlier.
    private static func laterOrMissing(_ a: Date?, _ b: Date?) -> Bool {
        guard let a else { return true }
        guard let b else { return false }
        return a > b
    }
}
