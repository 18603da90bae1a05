import APIMachinery

/// The set of fields a value sets (structured-merge-diff's `ToFieldSet`), and how list items are named.
extension ApplySchema {
    /// Every field `value` sets: scalars, atomic values, list items, map entries, and struct fields that are null or
    /// empty objects. A struct field with children is implied by them and not a member itself.
    func fieldSet(of value: JSONValue, type: ApplyType, rejectingDuplicates: Bool) throws(TypedValueError) -> FieldSet {
        var set = FieldSet()
        var path: [FieldPathElement] = []
        try collect(value, type: type, path: &path, rejectingDuplicates: rejectingDuplicates, into: &set)
        return set
    }

    private func collect(
        _ value: JSONValue, type: ApplyType, path: inout [FieldPathElement], rejectingDuplicates: Bool, into set: inout FieldSet
    ) throws(TypedValueError) {
        switch (type, value) {
        case (.structure(let definition), .object(let fields)):
            for (name, child) in fields {
                let declared = fieldType(of: definition, name)
                path.append(.field(name))
                try collect(child, type: declared ?? .untyped, path: &path, rejectingDuplicates: rejectingDuplicates, into: &set)
                if declared == nil || child.isNull || child == .emptyObject { set.insert(path) }
                path.removeLast()
            }
        case (.map(let element), .object(let fields)):
            try collectEntries(fields, element: element, path: &path, rejectingDuplicates: rejectingDuplicates, into: &set)
        case (.untyped, .object(let fields)):
            try collectEntries(fields, element: .untyped, path: &path, rejectingDuplicates: rejectingDuplicates, into: &set)
        case (.associativeList(_, _, let element), .array(let items)):
            try collectItems(items, type: type, element: element, path: &path, rejectingDuplicates: rejectingDuplicates, into: &set)
        case (.set, .array(let items)):
            try collectItems(items, type: type, element: .scalar, path: &path, rejectingDuplicates: rejectingDuplicates, into: &set)
        case (.structure, _), (.map, _), (.associativeList, _), (.set, _):
            // null, or a value of the wrong shape: owned only through the parent's rule for null fields.
            if !value.isNull { set.insert(path) }
        case (.scalar, _), (.atomic, _), (.untyped, _):
            set.insert(path)
        }
    }

    private func collectEntries(
        _ fields: [String: JSONValue], element: ApplyType, path: inout [FieldPathElement], rejectingDuplicates: Bool,
        into set: inout FieldSet
    ) throws(TypedValueError) {
        for (name, child) in fields {
            path.append(.field(name))
            try collect(child, type: element, path: &path, rejectingDuplicates: rejectingDuplicates, into: &set)
            set.insert(path)
            path.removeLast()
        }
    }

    private func collectItems(
        _ items: [JSONValue], type: ApplyType, element: ApplyType, path: inout [FieldPathElement], rejectingDuplicates: Bool,
        into set: inout FieldSet
    ) throws(TypedValueError) {
        var seen: Set<FieldPathElement> = []
        for (index, item) in items.enumerated() {
            let itemElement = try pathElement(of: item, at: index, in: type, path: path)
            if !seen.insert(itemElement).inserted, rejectingDuplicates {
                throw TypedValueError(path: path, "duplicate entries for key \(itemElement.description)")
            }
            path.append(itemElement)
            try collect(item, type: element, path: &path, rejectingDuplicates: rejectingDuplicates, into: &set)
            set.insert(path)
            path.removeLast()
        }
    }

    /// How a list item is named in field paths: by its key fields, its value (sets) or its index (atomic lists).
    func pathElement(of item: JSONValue, at index: Int, in listType: ApplyType, path: [FieldPathElement]) throws(TypedValueError)
        -> FieldPathElement
    {
        switch listType {
        case .associativeList(let keys, let defaults, _):
            guard case .object(let fields) = item else {
                throw TypedValueError(path: path, "element \(index): associative list with keys may not have non-map elements")
            }
            var keyFields: [FieldPathElement.KeyField] = []
            for key in keys {
                if let value = fields[key], !value.isNull {
                    keyFields.append(.init(name: key, value: value))
                } else if let value = defaults[key] {
                    keyFields.append(.init(name: key, value: value))
                } else {
                    throw TypedValueError(
                        path: path,
                        "element \(index): associative list with keys has an element that omits key field \"\(key)\""
                            + " (and doesn't have default value)"
                    )
                }
            }
            return .key(keyFields.sorted { $0.name < $1.name })
        case .set:
            return .value(item)
        default:
            return .index(index)
        }
    }

    /// The items of a keyed list or set by path element, first occurrence winning, in list order.
    func indexItems(_ items: [JSONValue], in listType: ApplyType, path: [FieldPathElement]) throws(TypedValueError)
        -> (order: [FieldPathElement], items: [FieldPathElement: JSONValue])
    {
        var order: [FieldPathElement] = []
        var byElement: [FieldPathElement: JSONValue] = [:]
        for (index, item) in items.enumerated() {
            let element = try pathElement(of: item, at: index, in: listType, path: path)
            guard byElement[element] == nil else { continue }
            byElement[element] = item
            order.append(element)
        }
        return (order, byElement)
    }
}
