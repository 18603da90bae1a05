import APIMachinery

/// An apps/v1 Deployment.
public struct Deployment: ObjectView {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }

    public var spec: Spec { Spec(json: json["spec"] ?? .emptyObject) }

    public struct Spec: Sendable {
        public let json: JSONValue

        public var replicas: Int64 { json["replicas"]?.integerValue ?? 1 }
        public var selector: JSONValue? { json["selector"] }
        public var template: JSONValue { json["template"] ?? .emptyObject }
        /// `RollingUpdate` or `Recreate`.
        public var strategyType: String { json[path: "strategy", "type"]?.stringValue ?? "RollingUpdate" }
        /// `maxSurge` and `maxUnavailable` as written (a count or a percentage; both default to 25%).
        public var maxSurge: JSONValue? { json[path: "strategy", "rollingUpdate", "maxSurge"] }
        public var maxUnavailable: JSONValue? { json[path: "strategy", "rollingUpdate", "maxUnavailable"] }
        public var minReadySeconds: Int64 { json["minReadySeconds"]?.integerValue ?? 0 }
        public var revisionHistoryLimit: Int64 { json["revisionHistoryLimit"]?.integerValue ?? 10 }
        public var progressDeadlineSeconds: Int64 { json["progressDeadlineSeconds"]?.integerValue ?? 600 }
        public var paused: Bool { json["paused"]?.boolValue ?? false }
    }
}

/// An apps/v1 ReplicaSet, or a core/v1 ReplicationController: the same fields but for how the selector is written.
public struct ReplicaSet: ObjectView {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }

    public var spec: Spec { Spec(json: json["spec"] ?? .emptyObject) }

    public struct Spec: Sendable {
        public let json: JSONValue

        public var replicas: Int64 { json["replicas"]?.integerValue ?? 1 }
        /// A `LabelSelector` for a ReplicaSet, a label map for a ReplicationController.
        public var selector: JSONValue? { json["selector"] }
        /// Nil when the object has none (a ReplicationController's may be left out only by a malformed write).
        public var template: JSONValue? { json["template"] }
        public var minReadySeconds: Int64 { json["minReadySeconds"]?.integerValue ?? 0 }
    }
}

/// A core/v1 Node.
public struct Node: ObjectView {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }

    public var spec: Spec { Spec(json: json["spec"] ?? .emptyObject) }
    public var status: Status { Status(json: json["status"] ?? .emptyObject) }

    public struct Spec: Sendable {
        public let json: JSONValue

        public var unschedulable: Bool { json["unschedulable"]?.boolValue ?? false }
        /// The pod range node IPAM gave the node; nil until it has one.
        public var podCIDR: String? { json["podCIDR"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        /// The `spec.taints` entries as written (the scheduler and the node lifecycle controller each read them
        /// into the taint they act on).
        public var taints: [JSONValue] { json["taints"]?.arrayValue ?? [] }
    }

    public struct Status: Sendable {
        public let json: JSONValue

        public var conditions: [Condition] { Condition.list(json["conditions"]) }
        /// The node's `InternalIP` addresses.
        public var internalIPs: [String] {
            (json["addresses"]?.arrayValue ?? []).filter { $0["type"] == "InternalIP" }.compactMap { $0["address"]?.stringValue }
        }
    }
}
