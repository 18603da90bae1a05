import APIMachinery

extension ApplySchema {
    /// Leaves (scalars, atomic values, empty containers) are added, removed or modified; a map, struct or list item is
    /// itself added or removed only when it is absent on one side (a `null` counts as present, as in Kubernetes).
    func compare(_ old: JSONValue, _ new: JSONValue, type: ApplyType) throws(TypedValueError) -> FieldComparison {
        var comparison = FieldComparison()
        var path: [FieldPathElement] = []
        try compare(old, new, type: type, path: &path, into: &comparison)
        return comparison
    }

    private func compare(
        _ old: JSONValue?, _ new: JSONValue?, type: ApplyType, path: inout [FieldPathElement], into comparison: inout FieldComparison
    ) throws(TypedValueError) {
        switch type {
        case .structure, .map, .untyped:
            guard let oldFields = granularObject(old), let newFields = granularObject(new),
                !(oldFields.isEmpty && newFields.isEmpty)
            else { return compareLeaf(old, new, path: path, into: &comparison) }
            for name in Set(oldFields.keys).union(newFields.keys) {
                path.append(.field(name))
                try compare(oldFields[name], newFields[name], type: childType(of: type, name), path: &path, into: &comparison)
                path.removeLast()
            }
        case .associativeList, .set:
            guard let oldItems = granularArray(old), let newItems = granularArray(new), !(oldItems.isEmpty && newItems.isEmpty)
            else { return compareLeaf(old, new, path: path, into: &comparison) }
            let oldIndex = try indexItems(oldItems, in: type, path: path)
            let newIndex = try indexItems(newItems, in: type, path: path)
            let element = elementType(of: type)
            for itemElement in oldIndex.order + newIndex.order.filter({ oldIndex.items[$0] == nil }) {
                path.append(itemElement)
                try compare(oldIndex.items[itemElement], newIndex.items[itemElement], type: element, path: &path, into: &comparison)
                path.removeLast()
            }
        case .scalar, .atomic:
            return compareLeaf(old, new, path: path, into: &comparison)
        }
        if old == nil {
            comparison.added.insert(path)
        } else if new == nil {
            comparison.removed.insert(path)
        }
    }

    private func compareLeaf(_ old: JSONValue?, _ new: JSONValue?, path: [FieldPathElement], into comparison: inout FieldComparison) {
        guard let old else { return comparison.added.insert(path) }
        guard let new else { return comparison.removed.insert(path) }
        if !Self.jsonEqual(old, new) { comparison.modified.insert(path) }
    }

    /// The fields of an object side for a granular walk: absent and `null` give no fields; another JSON type makes
    /// the value a leaf (nil).
    private func granularObject(_ value: JSONValue?) -> [String: JSONValue]? {
        switch value {
        case nil, .null?: return [:]
        case .object(let fields)?: return fields
        default: return nil
        }
    }

    private func granularArray(_ value: JSONValue?) -> [JSONValue]? {
        switch value {
        case nil, .null?: return []
        case .array(let items)?: return items
        default: return nil
        }
    }

    /// The type of a field of a struct, map or free-form object.
    func childType(of type: ApplyType, _ name: String) -> ApplyType {
        switch type {
        case .structure(let definition): return fieldType(of: definition, name) ?? .untyped
        case .map(let element): return element
        default: return .untyped
        }
    }

    func elementType(of listType: ApplyType) -> ApplyType {
        if case .associativeList(_, _, let element) = listType { return element }
        return .scalar
    }

    /// JSON equality with numbers compared by value, as structured-merge-diff does (`1` equals `1.0`).
    static func jsonEqual(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.integer, .double), (.double, .integer):
            return lhs.doubleValue == rhs.doubleValue
        case (.array(let left), .array(let right)):
            return left.count == right.count && zip(left, right).allSatisfy { jsonEqual($0, $1) }
        case (.object(let left), .object(let right)):
            return left.count == right.count && left.allSatisfy { key, value in right[key].map { jsonEqual(value, $0) } ?? false }
        default:
            return lhs == rhs
        }
    }
}
