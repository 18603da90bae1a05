import APIMachinery

/// A networking.k8s.io/v1 Ingress: HTTP routes from hosts and paths to Services.
public struct Ingress: ObjectView {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }

    /// The class annotation older Ingresses carry instead of `spec.ingressClassName`; controllers still honour it.
    public static let classAnnotation = "kubernetes.io/ingress.class"

    public var spec: Spec { Spec(json: json["spec"] ?? .emptyObject) }

    /// The class that serves the Ingress: `spec.ingressClassName`, else the deprecated annotation.
    public var className: String? { spec.ingressClassName ?? metadata.annotations[Self.classAnnotation] }

    public struct Spec: Sendable {
        public let json: JSONValue

        public var ingressClassName: String? { json["ingressClassName"]?.stringValue }
        public var defaultBackend: Backend? { json["defaultBackend"].map(Backend.init) }
        public var rules: [Rule] { (json["rules"]?.arrayValue ?? []).map(Rule.init) }
        public var tls: [TLS] { (json["tls"]?.arrayValue ?? []).map(TLS.init) }
    }

    public struct Rule: Sendable {
        public let json: JSONValue

        /// Nil or empty: every host.
        public var host: String? { json["host"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        public var paths: [Path] { (json[path: "http", "paths"]?.arrayValue ?? []).map(Path.init) }
    }

    public struct Path: Sendable {
        public let json: JSONValue

        public var path: String { json["path"]?.stringValue ?? "/" }
        /// `Exact`, `Prefix` or `ImplementationSpecific`.
        public var pathType: String { json["pathType"]?.stringValue ?? "ImplementationSpecific" }
        public var backend: Backend { Backend(json: json["backend"] ?? .emptyObject) }
    }

    public struct Backend: Sendable {
        public let json: JSONValue

        public var serviceName: String? { json[path: "service", "name"]?.stringValue }
        /// The Service's port, by number or by name.
        public var servicePort: PortReference? {
            if let number = json[path: "service", "port", "number"]?.integerValue { return .number(number) }
            return json[path: "service", "port", "name"]?.stringValue.map { .name($0) }
        }
        /// A backend that names an object of another kind (`resource`) instead of a Service.
        public var resourceKind: String? { json[path: "resource", "kind"]?.stringValue }
    }

    public struct TLS: Sendable {
        public let json: JSONValue

        public var hosts: [String] { (json["hosts"]?.arrayValue ?? []).compactMap(\.stringValue) }
        public var secretName: String? { json["secretName"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
    }
}
