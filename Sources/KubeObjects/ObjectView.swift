import APIMachinery

/// A read-only, typed view of one kind of object over its lossless JSON: fields read by name, with Kubernetes'
/// defaults where the API server leaves a field out. The JSON stays the object (what is written back, with every
/// field no view names).
public protocol ObjectView: Sendable {
    var json: JSONValue { get }
    init(_ json: JSONValue)
}

extension ObjectView {
    public var metadata: ObjectMeta { json.metadata }
}

/// One entry of a `status.conditions` list (Pod, Node, Deployment, ...).
public struct Condition: Sendable, Hashable {
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: String?

    init?(_ json: JSONValue) {
        guard let type = json["type"]?.stringValue else { return nil }
        self.type = type
        status = json["status"]?.stringValue ?? "Unknown"
        reason = json["reason"]?.stringValue
        message = json["message"]?.stringValue
        lastTransitionTime = json["lastTransitionTime"]?.stringValue
    }

    public var isTrue: Bool { status == "True" }

    static func list(_ json: JSONValue?) -> [Condition] { (json?.arrayValue ?? []).compactMap(Condition.init) }
}

extension Array where Element == Condition {
    /// The condition of `type`, if the object reports one.
    public subscript(type: String) -> Condition? { first { $0.type == type } }
}

/// A port given by number or by the name of a container port (`IntOrString`), as `targetPort` is.
public enum PortReference: Sendable, Hashable {
    case number(Int64)
    case name(String)

    init?(_ json: JSONValue?) {
        if let number = json?.integerValue {
            self = .number(number)
        } else if let text = json?.stringValue {
            self = Int64(text).map { .number($0) } ?? .name(text)
        } else {
            return nil
        }
    }
}
