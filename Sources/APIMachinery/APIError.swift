/// One field-level problem inside an Invalid or BadRequest answer (`Status.details.causes[]`).
public struct StatusCause: Sendable, Hashable {
    public var type: String
    public var message: String
    public var field: String

    public init(type: String, message: String, field: String) {
        self.type = type
        self.message = message
        self.field = field
    }

    /// A Kubernetes field error: `spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
    public static func required(_ field: String, _ detail: String = "") -> StatusCause {
        StatusCause(type: "FieldValueRequired", message: detail.isEmpty ? "Required value" : "Required value: \(detail)", field: field)
    }

    public static func invalid(_ field: String, value: JSONValue, _ detail: String) -> StatusCause {
        StatusCause(type: "FieldValueInvalid", message: "Invalid value: \(StatusCause.render(value)): \(detail)", field: field)
    }

    public static func forbidden(_ field: String, _ detail: String) -> StatusCause {
        StatusCause(type: "FieldValueForbidden", message: "Forbidden: \(detail)", field: field)
    }

    public static func notSupported(_ field: String, value: JSONValue, supported: [String]) -> StatusCause {
        let list = supported.map { "\"\($0)\"" }.joined(separator: ", ")
        return StatusCause(
            type: "FieldValueNotSupported", message: "Unsupported value: \(StatusCause.render(value)): supported values: \(list)", field: field)
    }

    public static func duplicate(_ field: String, value: JSONValue) -> StatusCause {
        StatusCause(type: "FieldValueDuplicate", message: "Duplicate value: \(StatusCause.render(value))", field: field)
    }

    public static func tooLong(_ field: String, value: JSONValue, maximum: Int) -> StatusCause {
        StatusCause(type: "FieldValueTooLong", message: "Too long: may not be more than \(maximum) bytes", field: field)
    }

    /// How Kubernetes quotes a value inside a field error: strings quoted, numbers bare.
    static func render(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return "\"\(text)\""
        case .integer(let number): return String(number)
        case .double(let number): return String(number)
        case .bool(let flag): return String(flag)
        case .null: return "null"
        default: return value.serializedString()
        }
    }

    /// The line Kubernetes prints for this cause: `field: message`.
    public var line: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// The one error type of the API layer; the HTTP edge turns it into a `meta.k8s.io/v1` `Status`.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var code: Int
    public var reason: String
    public var message: String
    public var name: String?
    public var group: String?
    public var kind: String?
    public var causes: [StatusCause]
    public var retryAfterSeconds: Int?

    public init(
        code: Int, reason: String, message: String, name: String? = nil, group: String? = nil, kind: String? = nil,
        causes: [StatusCause] = [], retryAfterSeconds: Int? = nil
    ) {
        self.code = code
        self.reason = reason
        self.message = message
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { message }

    public static func notFound(_ resource: GroupResource, name: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "\(resource) \"\(name)\" not found", name: name,
            group: resource.group, kind: resource.resource)
    }

    public static func alreadyExists(_ resource: GroupResource, name: String) -> APIError {
        APIError(
            code: 409, reason: "AlreadyExists", message: "\(resource) \"\(name)\" already exists", name: name,
            group: resource.group, kind: resource.resource)
    }

    public static func conflict(_ resource: GroupResource, name: String, detail: String) -> APIError {
        APIError(
            code: 409, reason: "Conflict", message: "Operation cannot be fulfilled on \(resource) \"\(name)\": \(detail)",
            name: name, group: resource.group, kind: resource.resource)
    }

    /// The optimistic-concurrency failure clients retry on.
    public static func modified(_ resource: GroupResource, name: String) -> APIError {
        conflict(
            resource, name: name,
            detail: "the object has been modified; please apply your changes to the latest version and try again")
    }

    /// 422: `The Deployment "web" is invalid: spec.template.spec.containers[0].image: Required value`.
    public static func invalid(kind: String, group: String, name: String, causes: [StatusCause]) -> APIError {
        let summary: String
        if causes.count == 1, let only = causes.first {
            summary = only.line
        } else {
            summary = "[" + causes.map(\.line).joined(separator: ", ") + "]"
        }
        let qualifiedKind = group.isEmpty ? kind : "\(kind).\(group)"
        return APIError(
            code: 422, reason: "Invalid", message: "\(qualifiedKind) \"\(name)\" is invalid: \(summary)",
            name: name, group: group, kind: kind, causes: causes)
    }

    public static func badRequest(_ message: String, causes: [StatusCause] = []) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message, causes: causes)
    }

    public static func methodNotAllowed(_ message: String) -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: message)
    }

    public static func notAcceptable(_ message: String) -> APIError {
        APIError(code: 406, reason: "NotAcceptable", message: message)
    }

    public static func unsupportedMediaType(_ contentType: String) -> APIError {
        APIError(code: 415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf")
    }

    public static func requestEntityTooLarge(limit: Int) -> APIError {
        APIError(code: 413, reason: "RequestEntityTooLarge", message: "Request entity too large: limit is \(limit)")
    }

    /// 410: the requested resourceVersion has been compacted away; clients relist.
    public static func expired(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    public static func gone(_ message: String) -> APIError {
        APIError(code: 410, reason: "Gone", message: message)
    }

    public static func forbidden(_ resource: GroupResource, name: String, message: String) -> APIError {
        let subject = name.isEmpty ? "\(resource)" : "\(resource) \"\(name)\""
        return APIError(
            code: 403, reason: "Forbidden", message: "\(subject) is forbidden: \(message)", name: name,
            group: resource.group, kind: resource.resource)
    }

    public static func unauthorized() -> APIError {
        APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")
    }

    public static func internalError(_ message: String) -> APIError {
        APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)")
    }

    public static func serviceUnavailable(_ message: String) -> APIError {
        APIError(code: 503, reason: "ServiceUnavailable", message: message)
    }

    /// The `meta.k8s.io/v1` `Status` object for this error.
    public var status: JSONValue {
        var details: [String: JSONValue] = [:]
        if let name, !name.isEmpty { details["name"] = .string(name) }
        if let group, !group.isEmpty { details["group"] = .string(group) }
        if let kind { details["kind"] = .string(kind) }
        if !causes.isEmpty {
            details["causes"] = .array(
                causes.map { cause in
                    var fields: [String: JSONValue] = ["reason": .string(cause.type), "message": .string(cause.message)]
                    if !cause.field.isEmpty { fields["field"] = .string(cause.field) }
                    return .object(fields)
                })
        }
        if let retryAfterSeconds { details["retryAfterSeconds"] = .integer(Int64(retryAfterSeconds)) }
        var status: [String: JSONValue] = [
            "kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .integer(Int64(code)),
        ]
        if !details.isEmpty { status["details"] = .object(details) }
        return .object(status)
    }
}
