import APIMachinery

/// Removing what an applier stopped applying (structured-merge-diff's `prune`).
extension ApplySchema {
    /// Removes each field, map entry or list item that the applier's previous configuration set (`lastApplied`) and
    /// that no manager owns now (`owned`, which includes the applier's new configuration). A struct field counts as
    /// set or owned when any field under it is (structured-merge-diff's `EnsureNamedFieldsAreMembers`), so dropping a
    /// whole struct from the configuration removes it.
    func prune(_ value: JSONValue, type: ApplyType, lastApplied: FieldSet, owned: FieldSet) throws(TypedValueError) -> JSONValue {
        var path: [FieldPathElement] = []
        return try prune(value, type: type, lastApplied: lastApplied, owned: owned, path: &path)
    }

    private func prune(_ value: JSONValue, type: ApplyType, lastApplied: FieldSet, owned: FieldSet, path: inout [FieldPathElement])
        throws(TypedValueError) -> JSONValue
    {
        guard !lastApplied.isEmpty else { return value }
        switch (type, value) {
        case (.structure, .object(var fields)), (.map, .object(var fields)), (.untyped, .object(var fields)):
            for (name, child) in fields {
                let element = FieldPathElement.field(name)
                let named = isDeclaredField(name, of: type)
                func has(_ set: FieldSet) -> Bool {
                    set.members.contains(element) || (named && set.children[element] != nil)
                }
                if has(lastApplied) && !has(owned) {
                    fields[name] = nil
                } else if let last = lastApplied.children[element] {
                    path.append(element)
                    fields[name] = try prune(
                        child, type: childType(of: type, name), lastApplied: last, owned: owned.child(element), path: &path)
                    path.removeLast()
                }
            }
            return .object(fields)
        case (.associativeList, .array(let items)), (.set, .array(let items)):
            var kept: [JSONValue] = []
            for (index, item) in items.enumerated() {
                let element = try pathElement(of: item, at: index, in: type, path: path)
                if lastApplied.members.contains(element) && !owned.members.contains(element) { continue }
                if let last = lastApplied.children[element] {
                    path.append(element)
                    kept.append(try prune(item, type: elementType(of: type), lastApplied: last, owned: owned.child(element), path: &path))
                    path.removeLast()
                } else {
                    kept.append(item)
                }
            }
            return .array(kept)
        default:
            return value
        }
    }

    private func isDeclaredField(_ name: String, of type: ApplyType) -> Bool {
        if case .structure(let definition) = type { return definition.properties[name] != nil }
        return false
    }

    /// Drops object fields whose value is null, as decoding into Kubernetes' Go types does.
    static func removingNulls(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let fields):
            return .object(fields.filter { !$0.value.isNull }.mapValues(removingNulls))
        case .array(let items):
            return .array(items.map(removingNulls))
        default:
            return value
        }
    }
}
