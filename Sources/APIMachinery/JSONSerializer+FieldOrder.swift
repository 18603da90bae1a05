extension JSONValue {
    /// The encoding kube-apiserver writes: Go's encoder writes a struct's fields in declaration order, so an object
    /// starts `kind`, `apiVersion`, `metadata`, `spec`, `status` and a `Status` reads `kind`, `apiVersion`, `metadata`,
    /// `status`, `message`, `reason`, `details`, `code`. Clients that print or compare a raw body see Kubernetes'
    /// bytes. Fields the order below does not name follow in sorted order (as Go writes a map's keys).
    public func serializedForClients() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        FieldOrder.top(of: self).write(self, to: &output)
        return output
    }
}

/// The Go declaration order of the fields of the API's envelopes: objects, lists, `Status` and watch events.
enum FieldOrder {
    case object, list, objectMeta, listMeta, status, statusDetails, statusCause, watchEvent, ownerReference, managedFields

    /// The order of a response body, told by its shape.
    static func top(of value: JSONValue) -> FieldOrder {
        guard case .object(let fields) = value else { return .object }
        if fields.count == 2, fields["type"] != nil, fields["object"] != nil { return .watchEvent }
        if fields["kind"] == "Status" { return .status }
        if case .array = fields["items"], fields["kind"]?.stringValue?.hasSuffix("List") == true { return .list }
        return .object
    }

    var leading: [String] {
        switch self {
        case .object: ["kind", "apiVersion", "metadata", "spec", "status"]
        case .list: ["kind", "apiVersion", "metadata", "items"]
        case .objectMeta:
            [
                "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
                "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
                "managedFields",
            ]
        case .listMeta: ["selfLink", "resourceVersion", "continue", "remainingItemCount"]
        case .status: ["kind", "apiVersion", "metadata", "status", "message", "reason", "details", "code"]
        case .statusDetails: ["name", "group", "kind", "uid", "causes", "retryAfterSeconds"]
        case .statusCause: ["reason", "message", "field"]
        case .watchEvent: ["type", "object"]
        case .ownerReference: ["apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion"]
        case .managedFields: ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1", "subresource"]
        }
    }

    /// The order of a field's value (of each of its items, for a list), when it is one of the envelopes.
    func child(_ key: String, _ value: JSONValue) -> FieldOrder? {
        switch (self, key) {
        case (.object, "metadata"): .objectMeta
        case (.list, "metadata"), (.status, "metadata"): .listMeta
        case (.list, "items"): .object
        case (.status, "details"): .statusDetails
        case (.statusDetails, "causes"): .statusCause
        case (.watchEvent, "object"): Self.top(of: value)
        case (.objectMeta, "ownerReferences"): .ownerReference
        case (.objectMeta, "managedFields"): .managedFields
        default: nil
        }
    }

    func write(_ value: JSONValue, to output: inout [UInt8]) {
        switch value {
        case .object(let fields):
            output.append(UInt8(ascii: "{"))
            var first = true
            func writeField(_ key: String, _ field: JSONValue) {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                JSONValue.writeString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                if let order = child(key, field) { order.write(field, to: &output) } else { field.write(to: &output) }
            }
            let leading = self.leading
            for key in leading { if let field = fields[key] { writeField(key, field) } }
            for (key, field) in fields.sorted(by: { $0.key < $1.key }) where !leading.contains(key) { writeField(key, field) }
            output.append(UInt8(ascii: "}"))
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (position, item) in items.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                write(item, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        default:
            value.write(to: &output)
        }
    }
}
