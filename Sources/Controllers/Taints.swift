import APIMachinery
import Foundation
import KubeObjects

/// A node taint and the tolerations that match it, as the node lifecycle controller needs them.
struct Taint: Sendable, Hashable {
    var key: String
    var value: String
    var effect: String
    var timeAdded: String?

    init(key: String, value: String = "", effect: String, timeAdded: String? = nil) {
        self.key = key
        self.value = value
        self.effect = effect
        self.timeAdded = timeAdded
    }

    init?(_ json: JSONValue) {
        guard let key = json["key"]?.stringValue, let effect = json["effect"]?.stringValue else { return nil }
        self.init(key: key, value: json["value"]?.stringValue ?? "", effect: effect, timeAdded: json["timeAdded"]?.stringValue)
    }

    var json: JSONValue {
        var object: [String: JSONValue] = ["key": .string(key), "effect": .string(effect)]
        if !value.isEmpty { object["value"] = .string(value) }
        if let timeAdded { object["timeAdded"] = .string(timeAdded) }
        return .object(object)
    }

    /// Same taint regardless of when it was added.
    func sameTaint(_ other: Taint) -> Bool { key == other.key && effect == other.effect && value == other.value }

    static let unreachable = "node.kubernetes.io/unreachable"
    static let notReady = "node.kubernetes.io/not-ready"
    static let unschedulable = "node.kubernetes.io/unschedulable"

    /// Whether a pod toleration (`spec.tolerations[]`) tolerates this taint.
    func isTolerated(by toleration: JSONValue) -> Bool {
        let tolerationEffect = toleration["effect"]?.stringValue ?? ""
        if !tolerationEffect.isEmpty && tolerationEffect != effect { return false }
        let tolerationKey = toleration["key"]?.stringValue ?? ""
        let op = toleration["operator"]?.stringValue ?? "Equal"
        if tolerationKey.isEmpty { return op == "Exists" }
        guard tolerationKey == key else { return false }
        return op == "Exists" || (toleration["value"]?.stringValue ?? "") == value
    }

    static func taints(of node: JSONValue) -> [Taint] {
        Node(node).spec.taints.compactMap(Taint.init)
    }
}

/// When a pod must leave a node with NoExecute taints: now (an untolerated taint), after the shortest
/// `tolerationSeconds` of the matching tolerations, or never.
enum TaintEviction {
    enum Decision: Equatable {
        case keep
        case evictNow
        case evict(at: Date)
    }

    static func decision(tolerations: [JSONValue], taints: [Taint], now: Date) -> Decision {
        var deadline: Date?
        for taint in taints where taint.effect == "NoExecute" {
            let matching = tolerations.filter(taint.isTolerated(by:))
            guard !matching.isEmpty else { return .evictNow }
            // As Kubernetes' taint manager: the shortest tolerationSeconds among the matching tolerations; none set
            // means the taint is tolerated forever.
            guard let shortest = matching.compactMap({ $0["tolerationSeconds"]?.integerValue }).min() else { continue }
            let added = taint.timeAdded.flatMap(KubeTime.parse) ?? now
            let due = added.addingTimeInterval(TimeInterval(max(0, shortest)))
            deadline = min(deadline ?? due, due)
        }
        guard let deadline else { return .keep }
        return deadline <= now ? .evictNow : .evict(at: deadline)
    }
}
