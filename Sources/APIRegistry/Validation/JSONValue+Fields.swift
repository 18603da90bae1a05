import APIMachinery

/// Go-zero-value reads used by defaulting and validation: a missing or null field reads as "", 0, [] or nil,
/// exactly as Kubernetes sees it after decoding into typed structs.
extension JSONValue {
    func text(_ key: String) -> String { self[key]?.stringValue ?? "" }

    func number(_ key: String) -> Int64? { self[key]?.integerValue }

    func items(_ key: String) -> [JSONValue] { self[key]?.arrayValue ?? [] }

    func fields(_ key: String) -> [String: JSONValue]? { self[key]?.objectValue }

    /// A `map[string]string` field; nil when absent, as Go distinguishes nil from empty maps in `%#v`.
    func stringMap(_ key: String) -> [String: String]? {
        self[key]?.objectValue.map { fields in fields.compactMapValues(\.stringValue) }
    }

    /// True when the field is present and not null, i.e. a Go pointer or slice that is non-nil.
    func isSet(_ key: String) -> Bool {
        guard let value = self[key] else { return false }
        return !value.isNull
    }

    func flag(_ key: String) -> Bool { self[key]?.boolValue ?? false }
}
