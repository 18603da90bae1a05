import APIMachinery

/// Go's defaulting idioms on the JSON form: pointers are nil when absent or null; value fields are also empty at "" or 0.
extension JSONValue {
    /// Sets `key` when it is absent or null: the defaulting rule for Go pointer fields.
    mutating func setDefault(_ key: String, _ value: JSONValue) {
        guard objectValue != nil else { return }
        if self[key] == nil || self[key]?.isNull == true { self[key] = value }
    }

    /// Sets `key` when it is absent, null, "" or 0: the defaulting rule for Go value fields.
    mutating func setDefaultIfEmpty(_ key: String, _ value: JSONValue) {
        guard objectValue != nil else { return }
        switch self[key] {
        case nil, .null?, .string("")?, .integer(0)?: self[key] = value
        default: break
        }
    }

    /// Runs `body` on the object at `key`, if there is one.
    mutating func updateObject(_ key: String, _ body: (inout JSONValue) -> Void) {
        guard var child = self[key], child.objectValue != nil else { return }
        body(&child)
        self[key] = child
    }

    /// Runs `body` on the object at `key`, creating it first when absent or null (a Go struct value field).
    mutating func updateStruct(_ key: String, _ body: (inout JSONValue) -> Void) {
        guard objectValue != nil else { return }
        var child = self[key] ?? .emptyObject
        if child.isNull { child = .emptyObject }
        guard child.objectValue != nil else { return }
        body(&child)
        self[key] = child
    }

    /// Runs `body` on every object element of the array at `key`.
    mutating func updateEach(_ key: String, _ body: (inout JSONValue) -> Void) {
        guard var items = self[key]?.arrayValue else { return }
        for index in items.indices where items[index].objectValue != nil {
            body(&items[index])
        }
        self[key] = .array(items)
    }

    /// Runs `body` on every object element of the array at `key`, with its position.
    mutating func updateEachIndexed(_ key: String, _ body: (Int, inout JSONValue) -> Void) {
        guard var items = self[key]?.arrayValue else { return }
        for index in items.indices where items[index].objectValue != nil {
            body(index, &items[index])
        }
        self[key] = .array(items)
    }
}
