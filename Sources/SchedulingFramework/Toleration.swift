import APIMachinery

/// A pod toleration (`spec.tolerations[]`), matched against taints as `v1.Toleration.ToleratesTaint` does.
public struct Toleration: Sendable, Hashable {
    public enum Operator: Sendable, Hashable {
        case equal, exists
        /// An operator this version does not know; it tolerates nothing.
        case other(String)
    }

    /// Empty matches every key (only meaningful with `exists`).
    public var key: String
    public var `operator`: Operator
    public var value: String
    /// Nil matches every effect.
    public var effect: Taint.Effect?

    public init(key: String = "", operator: Operator = .equal, value: String = "", effect: Taint.Effect? = nil) {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
    }

    public init(json: JSONValue) {
        let op: Operator
        switch json["operator"]?.stringValue ?? "" {
        case "", "Equal": op = .equal
        case "Exists": op = .exists
        case let name: op = .other(name)
        }
        let effect = json["effect"]?.stringValue ?? ""
        self.init(
            key: json["key"]?.stringValue ?? "", operator: op, value: json["value"]?.stringValue ?? "",
            effect: effect.isEmpty ? nil : Taint.Effect(effect))
    }

    public func tolerates(_ taint: Taint) -> Bool {
        if let effect, effect != taint.effect { return false }
        if !key.isEmpty, key != taint.key { return false }
        switch self.operator {
        case .equal: return value == taint.value
        case .exists: return true
        case .other: return false
        }
    }
}

extension Array where Element == Toleration {
    /// True when some toleration tolerates the taint (`TolerationsTolerateTaint`).
    func tolerate(_ taint: Taint) -> Bool {
        contains { $0.tolerates(taint) }
    }
}
