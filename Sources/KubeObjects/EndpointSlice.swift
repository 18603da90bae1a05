import APIMachinery

/// A discovery.k8s.io/v1 EndpointSlice: some of one Service's endpoints, for one address family.
public struct EndpointSlice: ObjectView {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }

    public static let serviceNameLabel = "kubernetes.io/service-name"

    /// The Service the slice belongs to, from its `kubernetes.io/service-name` label.
    public var serviceName: String? { metadata.labels[Self.serviceNameLabel] }
    /// `IPv4`, `IPv6` or `FQDN`.
    public var addressType: String { json["addressType"]?.stringValue ?? "IPv4" }
    public var endpoints: [Endpoint] { (json["endpoints"]?.arrayValue ?? []).map(Endpoint.init) }
    public var ports: [Port] { (json["ports"]?.arrayValue ?? []).map(Port.init) }

    public struct Endpoint: Sendable {
        public let json: JSONValue
        public init(_ json: JSONValue) { self.json = json }

        public var addresses: [String] { (json["addresses"]?.arrayValue ?? []).compactMap(\.stringValue) }
        /// Nil (unknown) counts as ready, as consumers of EndpointSlices read it.
        public var ready: Bool { json[path: "conditions", "ready"]?.boolValue ?? true }
        public var serving: Bool { json[path: "conditions", "serving"]?.boolValue ?? ready }
        public var terminating: Bool { json[path: "conditions", "terminating"]?.boolValue ?? false }
        public var nodeName: String? { json["nodeName"]?.stringValue }
        /// The endpoint's DNS name within its Service (a StatefulSet pod's name).
        public var hostname: String? { json["hostname"]?.stringValue }
    }

    public struct Port: Sendable {
        public let json: JSONValue
        public init(_ json: JSONValue) { self.json = json }

        /// The Service port's name ("" for an unnamed one).
        public var name: String { json["name"]?.stringValue ?? "" }
        public var port: Int64? { json["port"]?.integerValue }
        public var `protocol`: String { json["protocol"]?.stringValue ?? "TCP" }
    }
}
