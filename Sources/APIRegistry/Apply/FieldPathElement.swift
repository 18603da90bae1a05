import APIMachinery

/// One step of a field path, as structured-merge-diff names it: a struct or map field, a keyed list item, a set
/// value or a list index.
enum FieldPathElement: Hashable, Sendable {
    case field(String)
    /// The key fields of a list-map item, sorted by name.
    case key([KeyField])
    case value(JSONValue)
    case index(Int)

    struct KeyField: Hashable, Sendable {
        var name: String
        var value: JSONValue
    }

    /// The element as Kubernetes prints it in conflict messages: `.image`, `[name="nginx"]`, `[=value]`, `[0]`.
    var description: String {
        switch self {
        case .field(let name):
            return "." + name
        case .key(let fields):
            return "[" + fields.map { "\($0.name)=\($0.value.serializedString())" }.joined(separator: ",") + "]"
        case .value(let value):
            return "[=\(value.serializedString())]"
        case .index(let index):
            return "[\(index)]"
        }
    }

    /// The key of this element in a `fieldsV1` object: `f:image`, `k:{"name":"nginx"}`, `v:"value"`, `i:0`.
    var fieldsV1Key: String {
        switch self {
        case .field(let name):
            return "f:" + name
        case .key(let fields):
            let object = JSONValue.object(Dictionary(fields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }))
            return "k:" + object.serializedString()
        case .value(let value):
            return "v:" + value.serializedString()
        case .index(let index):
            return "i:\(index)"
        }
    }

    /// Parses a `fieldsV1` key; nil when it is not one.
    init?(fieldsV1Key key: String) {
        guard key.count >= 2, key.dropFirst().first == ":" else { return nil }
        let body = String(key.dropFirst(2))
        switch key.first {
        case "f":
            self = .field(body)
        case "k":
            guard case .object(let fields)? = try? JSONValue.parse(body), !fields.isEmpty else { return nil }
            self = .key(fields.keys.sorted().compactMap { name in fields[name].map { KeyField(name: name, value: $0) } })
        case "v":
            guard let value = try? JSONValue.parse(body) else { return nil }
            self = .value(value)
        case "i":
            guard let index = Int(body) else { return nil }
            self = .index(index)
        default:
            return nil
        }
    }

    /// A whole path as Kubernetes prints it: `.spec.template.spec.containers[name="nginx"].image`.
    static func describe(_ path: [FieldPathElement]) -> String {
        path.map(\.description).joined()
    }
}

extension FieldPathElement: Comparable {
    /// structured-merge-diff's order: fields, then keys, then values, then indexes; this is the order conflicts are
    /// listed in.
    static func < (lhs: FieldPathElement, rhs: FieldPathElement) -> Bool {
        switch (lhs, rhs) {
        case (.field(let left), .field(let right)):
            return left < right
        case (.key(let left), .key(let right)):
            for (leftField, rightField) in zip(left, right) {
                if leftField.name != rightField.name { return leftField.name < rightField.name }
                let order = Self.compare(leftField.value, rightField.value)
                if order != 0 { return order < 0 }
            }
            return left.count < right.count
        case (.value(let left), .value(let right)):
            return compare(left, right) < 0
        case (.index(let left), .index(let right)):
            return left < right
        default:
            return lhs.rank < rhs.rank
        }
    }

    private var rank: Int {
        switch self {
        case .field: return 0
        case .key: return 1
        case .value: return 2
        case .index: return 3
        }
    }

    /// structured-merge-diff's total order on values: numbers, strings, booleans, lists, maps, null.
    static func compare(_ lhs: JSONValue, _ rhs: JSONValue) -> Int {
        switch (lhs, rhs) {
        case (.integer(let left), .integer(let right)):
            return left == right ? 0 : (left < right ? -1 : 1)
        case (.integer, .double), (.double, .integer), (.double, .double):
            let left = lhs.doubleValue ?? 0
            let right = rhs.doubleValue ?? 0
            return left == right ? 0 : (left < right ? -1 : 1)
        case (.string(let left), .string(let right)):
            return left == right ? 0 : (left < right ? -1 : 1)
        case (.bool(let left), .bool(let right)):
            return left == right ? 0 : (left ? 1 : -1)
        case (.array, .array), (.object, .object):
            let left = lhs.serializedString()
            let right = rhs.serializedString()
            return left == right ? 0 : (left < right ? -1 : 1)
        default:
            return valueRank(lhs) < valueRank(rhs) ? -1 : (valueRank(lhs) == valueRank(rhs) ? 0 : 1)
        }
    }

    private static func valueRank(_ value: JSONValue) -> Int {
        switch value {
        case .integer, .double: return 0
        case .string: return 1
        case .bool: return 2
        case .array: return 3
        case .object: return 4
        case .null: return 5
        }
    }
}
