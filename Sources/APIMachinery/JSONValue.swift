/// A JSON document kept whole: every field a client sends survives a round trip,
/// whether or not Skiff's code models it ("lossless objects").
///
/// Integers and fractions are kept apart so that `replicas: 3` never comes back as `3.0`.
/// Object keys are serialized sorted, as Go's `encoding/json` does for unstructured objects.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue {
    public static var emptyObject: JSONValue { .object([:]) }

    public var objectValue: [String: JSONValue]? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// The value as a whole number; a fraction with no fractional part counts, as JSON does not distinguish them.
    public var integerValue: Int64? {
        switch self {
        case .integer(let number): return number
        case .double(let number) where number.rounded() == number && abs(number) < 9.2e18: return Int64(number)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .integer(let number): return Double(number)
        case .double(let number): return number
        default: return nil
        }
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The JSON type name used in Kubernetes' decoding error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .integer, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Reads a field of an object; `nil` for a missing field or when this is not an object.
    public subscript(key: String) -> JSONValue? {
        get {
            guard case .object(let fields) = self else { return nil }
            return fields[key]
        }
        set {
            guard case .object(var fields) = self else {
                if let newValue { self = .object([key: newValue]) }
                return
            }
            fields[key] = newValue
            self = .object(fields)
        }
    }

    /// Reads a nested field, e.g. `object[path: "metadata", "name"]`.
    public subscript(path path: String...) -> JSONValue? {
        get { value(at: path[...]) }
        set { setValue(newValue, at: path[...]) }
    }

    public func value(at path: ArraySlice<String>) -> JSONValue? {
        guard let first = path.first else { return self }
        return self[first]?.value(at: path.dropFirst())
    }

    /// Sets a nested field, creating intermediate objects; `nil` removes the field.
    public mutating func setValue(_ newValue: JSONValue?, at path: ArraySlice<String>) {
        guard let first = path.first else {
            self = newValue ?? .null
            return
        }
        if path.count == 1 {
            self[first] = newValue
            return
        }
        var child = self[first] ?? .emptyObject
        if child.objectValue == nil { child = .emptyObject }
        child.setValue(newValue, at: path.dropFirst())
        self[first] = child
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
