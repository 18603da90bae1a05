import APIMachinery

/// A core/v1 Service.
public struct Service: ObjectView {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }

    public var spec: Spec { Spec(json: json["spec"] ?? .emptyObject) }

    public struct Spec: Sendable {
        public let json: JSONValue

        /// `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`.
        public var type: String { json["type"]?.stringValue ?? "ClusterIP" }
        /// The pods' labels that select the Service's endpoints; nil when it has none (or an empty one), in which
        /// case its users manage the endpoints.
        public var selector: [String: String]? {
            guard let fields = json["selector"]?.objectValue, !fields.isEmpty else { return nil }
            return fields.compactMapValues(\.stringValue)
        }
        public var clusterIP: String? { json["clusterIP"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        /// Every ClusterIP (dual-stack Services have two), `clusterIP` alone when only it is set; "None" for headless.
        public var clusterIPs: [String] {
            let all = (json["clusterIPs"]?.arrayValue ?? []).compactMap(\.stringValue)
            return all.isEmpty ? clusterIP.map { [$0] } ?? [] : all
        }
        /// The name an ExternalName Service stands for.
        public var externalName: String? { json["externalName"]?.stringValue }
        public var ports: [ServicePort] { (json["ports"]?.arrayValue ?? []).map(ServicePort.init) }
        public var publishNotReadyAddresses: Bool { json["publishNotReadyAddresses"]?.boolValue ?? false }
        /// `None` or `ClientIP`.
        public var sessionAffinity: String { json["sessionAffinity"]?.stringValue ?? "None" }
        /// How long a client stays with its endpoint under `ClientIP` affinity (Kubernetes' default: 3 hours).
        public var sessionAffinityTimeoutSeconds: Int64 {
            json[path: "sessionAffinityConfig", "clientIP", "timeoutSeconds"]?.integerValue ?? 10800
        }
        /// `Cluster` or `Local`: whether traffic from outside the node may go to another node's endpoints.
        public var externalTrafficPolicy: String { json["externalTrafficPolicy"]?.stringValue ?? "Cluster" }
        /// A LoadBalancer Service that names a class is another implementation's to serve.
        public var loadBalancerClass: String? { json["loadBalancerClass"]?.stringValue }
        /// `Cluster` or `Local`, for traffic from the node and its pods.
        public var internalTrafficPolicy: String { json["internalTrafficPolicy"]?.stringValue ?? "Cluster" }
    }

    public var status: Status { Status(json: json["status"] ?? .emptyObject) }

    public struct Status: Sendable {
        public let json: JSONValue

        /// The addresses `status.loadBalancer.ingress` lists (what `kubectl get svc` shows as EXTERNAL-IP).
        public var loadBalancerIPs: [String] {
            (json[path: "loadBalancer", "ingress"]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }
        }
    }

    /// A Service without a cluster IP (`clusterIP: None`): DNS answers its endpoints' addresses directly.
    public var isHeadless: Bool { spec.clusterIP == "None" }
}

public struct ServicePort: Sendable {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }

    public var name: String { json["name"]?.stringValue ?? "" }
    public var `protocol`: String { json["protocol"]?.stringValue ?? "TCP" }
    public var port: Int64? { json["port"]?.integerValue }
    /// The pods' port: `targetPort`, defaulting to `port`.
    public var targetPort: PortReference? { PortReference(json["targetPort"]) ?? port.map { .number($0) } }
    public var nodePort: Int64? { json["nodePort"]?.integerValue }
    public var appProtocol: String? { json["appProtocol"]?.stringValue }
}
