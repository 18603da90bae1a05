import APIMachinery

/// A core/v1 Pod.
public struct Pod: ObjectView {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }

    public var spec: Spec { Spec(json: json["spec"] ?? .emptyObject) }
    public var status: Status { Status(json: json["status"] ?? .emptyObject) }

    public struct Spec: Sendable {
        public let json: JSONValue

        /// The node the pod is bound to; nil until it is scheduled.
        public var nodeName: String? { json["nodeName"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        public var hostname: String? { json["hostname"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        public var subdomain: String? { json["subdomain"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        public var schedulerName: String { json["schedulerName"]?.stringValue ?? "default-scheduler" }
        public var restartPolicy: String { json["restartPolicy"]?.stringValue ?? "Always" }
        public var hostNetwork: Bool { json["hostNetwork"]?.boolValue ?? false }
        public var priority: Int64 { json["priority"]?.integerValue ?? 0 }
        public var terminationGracePeriodSeconds: Int64 { json["terminationGracePeriodSeconds"]?.integerValue ?? 30 }
        public var hostPID: Bool { json["hostPID"]?.boolValue ?? false }
        public var hostIPC: Bool { json["hostIPC"]?.boolValue ?? false }
        public var shareProcessNamespace: Bool { json["shareProcessNamespace"]?.boolValue ?? false }
        public var serviceAccountName: String? { json["serviceAccountName"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        public var containers: [Container] { (json["containers"]?.arrayValue ?? []).map(Container.init) }
        public var initContainers: [Container] { (json["initContainers"]?.arrayValue ?? []).map(Container.init) }
        /// The `volumes` entries as written: each volume source is its own shape.
        public var volumes: [JSONValue] { json["volumes"]?.arrayValue ?? [] }
        public var tolerations: [JSONValue] { json["tolerations"]?.arrayValue ?? [] }
    }

    public struct Status: Sendable {
        public let json: JSONValue

        /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`; nil before anyone reported one.
        public var phase: String? { json["phase"]?.stringValue }
        public var podIP: String? { json["podIP"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        public var conditions: [Condition] { Condition.list(json["conditions"]) }
        public var startTime: String? { json["startTime"]?.stringValue }
        public var qosClass: String? { json["qosClass"]?.stringValue }
    }

    /// Succeeded or Failed: its containers will not run again.
    public var isFinished: Bool { status.phase == "Succeeded" || status.phase == "Failed" }
    /// The Ready condition is True.
    public var isReady: Bool { status.conditions["Ready"]?.isTrue ?? false }
}

/// One container of a pod's spec.
public struct Container: Sendable {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }

    public var name: String { json["name"]?.stringValue ?? "" }
    public var image: String { json["image"]?.stringValue ?? "" }
    public var ports: [ContainerPort] { (json["ports"]?.arrayValue ?? []).map(ContainerPort.init) }
}

public struct ContainerPort: Sendable {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }

    public var name: String? { json["name"]?.stringValue }
    public var containerPort: Int64? { json["containerPort"]?.integerValue }
    public var `protocol`: String { json["protocol"]?.stringValue ?? "TCP" }
}
