import APIMachinery

extension APISchema {
    /// Gives every required scalar field the object lacks its Go zero value (0, false, ""), in the object and in
    /// every object nested in it, as Kubernetes writes them: its Go types serialize such fields without `omitempty`,
    /// so a new DaemonSet's status reads `currentNumberScheduled: 0, numberReady: 0, ...`, and typed clients (the
    /// official Python client's models) refuse an object whose required field is missing.
    ///
    /// Required objects, lists and times are left alone: Go writes `null` for those when unset.
    public func fillRequiredScalars(_ object: inout JSONValue) {
        let version = GroupVersion(apiVersion: object["apiVersion"]?.stringValue ?? "")
        guard let kind = object["kind"]?.stringValue,
            let definition = definition(group: version.group, version: version.version, kind: kind),
            let filled = filled(object, definition: definition)
        else { return }
        object = filled
    }

    /// The object with its required scalars filled, or `nil` when nothing was missing.
    private func filled(_ value: JSONValue, definition: SchemaDefinition) -> JSONValue? {
        guard var fields = value.objectValue else { return nil }
        var changed = false
        for name in definition.required where fields[name] == nil {
            guard let zero = definition.properties[name].flatMap({ Self.zeroValue(of: $0.type) }) else { continue }
            fields[name] = zero
            changed = true
        }
        for (name, property) in definition.properties {
            guard let field = fields[name], let nested = filled(field, type: property.type) else { continue }
            fields[name] = nested
            changed = true
        }
        return changed ? .object(fields) : nil
    }

    private func filled(_ value: JSONValue, type: SchemaType) -> JSONValue? {
        switch type {
        case .reference(let name):
            return definition(named: name).flatMap { filled(value, definition: $0) }
        case .array(let element):
            guard var items = value.arrayValue else { return nil }
            var changed = false
            for index in items.indices {
                guard let item = filled(items[index], type: element) else { continue }
                items[index] = item
                changed = true
            }
            return changed ? .array(items) : nil
        case .map(let element):
            guard var entries = value.objectValue else { return nil }
            var changed = false
            for (key, entry) in entries {
                guard let item = filled(entry, type: element) else { continue }
                entries[key] = item
                changed = true
            }
            return changed ? .object(entries) : nil
        default:
            return nil
        }
    }

    private static func zeroValue(of type: SchemaType) -> JSONValue? {
        switch type {
        case .string: .string("")
        case .int32, .int64, .number, .intOrString: .integer(0)
        case .boolean: .bool(false)
        case .quantity: .string("0")
        case .bytes, .time, .microTime, .any, .reference, .array, .map: nil
        }
    }
}
