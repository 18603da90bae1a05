import APIMachinery

/// A node taint (`spec.taints[]`).
public struct Taint: Sendable, Hashable {
    /// The effect of a taint; the scheduler acts on `NoSchedule` and `NoExecute`, and scores `PreferNoSchedule`.
    public enum Effect: Sendable, Hashable {
        case noSchedule, preferNoSchedule, noExecute
        /// An effect this version does not know; no toleration with an effect matches it but an empty one.
        case other(String)

        public init(_ name: String) {
            switch name {
            case "NoSchedule": self = .noSchedule
            case "PreferNoSchedule": self = .preferNoSchedule
            case "NoExecute": self = .noExecute
            default: self = .other(name)
            }
        }

        public var name: String {
            switch self {
            case .noSchedule: return "NoSchedule"
            case .preferNoSchedule: return "PreferNoSchedule"
            case .noExecute: return "NoExecute"
            case .other(let name): return name
            }
        }
    }

    public var key: String
    public var value: String
    public var effect: Effect

    public init(key: String, value: String = "", effect: Effect) {
        self.key = key
        self.value = value
        self.effect = effect
    }

    /// From a `{key, value, effect}` object; nil without a key.
    public init?(json: JSONValue) {
        guard let key = json["key"]?.stringValue else { return nil }
        self.init(key: key, value: json["value"]?.stringValue ?? "", effect: Effect(json["effect"]?.stringValue ?? ""))
    }

    /// The taint the NodeUnschedulable filter checks for a node with `spec.unschedulable`.
    static let unschedulable = Taint(key: "node.kubernetes.io/unschedulable", effect: .noSchedule)

    /// True for the effects the filter enforces (`NoSchedule`, `NoExecute`).
    var blocksScheduling: Bool { effect == .noSchedule || effect == .noExecute }
}
