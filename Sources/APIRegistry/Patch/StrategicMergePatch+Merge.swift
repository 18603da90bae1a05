import APIMachinery

/// Applying a patch: `mergeMap`, `mergeSlice` and the directives of k8s.io/apimachinery's strategicpatch.
extension StrategicMergePatch {
    static func mergeMap(
        _ original: [String: JSONValue], _ patch: [String: JSONValue], _ node: PatchSchemaNode
    ) throws(StrategicMergePatchError) -> [String: JSONValue] {
        if let directive = patch[directiveMarker] {
            return try mapDirectiveResult(directive, patch)
        }
        var original = original
        var patch = patch
        try applyRetainKeys(&original, &patch)
        try mergeElementOrderLists(&original, &patch, node)

        // Go walks the patch in map order; only a list and its own deletion list touch the same field, and with
        // patches kubectl produces their order does not matter. Sorting keeps the result deterministic.
        for key in patch.keys.sorted() {
            guard let patchValue = patch[key] else { continue }
            var field = key
            let isDeleteList = key.hasPrefix(deleteFromPrimitiveListPrefix)
            if isDeleteList {
                field = try extractKey(key, prefix: deleteFromPrimitiveListPrefix)
            }
            if patchValue == .null {
                original[field] = nil
                continue
            }
            guard let originalValue = original[field], originalValue.goKind == patchValue.goKind else {
                // A deletion list for a list the object lacks has nothing to delete.
                if !isDeleteList {
                    original[field] = removeDirectives(discardingNulls(patchValue))
                }
                continue
            }
            let meta = node.field(field)
            switch (originalValue, patchValue) {
            case (.object(let originalFields), .object(let patchFields)):
                original[field] = .object(try mergeMapField(originalFields, patchFields, meta))
            case (.array(let originalItems), .array(let patchItems)):
                let (merged, _) = try mergeSliceField(originalItems, patchItems, meta, isDeleteList: isDeleteList)
                original[field] = .array(merged)
            default:
                original[field] = patchValue
            }
        }
        return original
    }

    /// `$patch` on a map: `replace` takes the patch as it is, `delete` leaves an empty map.
    private static func mapDirectiveResult(
        _ directive: JSONValue, _ patch: [String: JSONValue]
    ) throws(StrategicMergePatchError) -> [String: JSONValue] {
        switch directive {
        case .string(replaceDirective):
            var replacement = patch
            replacement[directiveMarker] = nil
            return replacement
        case .string(deleteDirective):
            return [:]
        default:
            throw .badPatchType(directive, patch)
        }
    }

    private static func mergeMapField(
        _ original: [String: JSONValue], _ patch: [String: JSONValue], _ meta: PatchField
    ) throws(StrategicMergePatchError) -> [String: JSONValue] {
        if meta.replaces { return patch }
        guard meta.valueNode.isKnown else {
            return MergePatch.apply(.object(patch), to: .object(original)).objectValue ?? [:]
        }
        return try mergeMap(original, patch, meta.valueNode)
    }

    /// Merges a list field. Besides the merged list it returns the original list as Kubernetes leaves it in
    /// memory: Go deletes and appends merge-list items in place, and `$setElementOrder` then orders the items
    /// only the server has by what the original list holds afterwards, which changes results.
    static func mergeSliceField(
        _ original: [JSONValue], _ patch: [JSONValue], _ meta: PatchField, isDeleteList: Bool
    ) throws(StrategicMergePatchError) -> (merged: [JSONValue], originalAfterwards: [JSONValue]) {
        // Deletion lists delete whatever the field's strategy is.
        guard meta.mergesItems || isDeleteList else { return (patch, original) }
        return try mergeSlice(original, patch, meta.valueNode, mergeKey: meta.mergeKey, isDeleteList: isDeleteList)
    }

    private static func mergeSlice(
        _ original: [JSONValue], _ patch: [JSONValue], _ itemNode: PatchSchemaNode, mergeKey: String, isDeleteList: Bool
    ) throws(StrategicMergePatchError) -> (merged: [JSONValue], originalAfterwards: [JSONValue]) {
        if original.isEmpty && patch.isEmpty { return (original, original) }
        let kind = try sliceElementKind(original, patch)
        if kind != .map {
            if isDeleteList {
                return (original.filter { !patch.contains($0) }, original)
            }
            let merged = deduplicateScalars(original + patch)
            let (patchItems, serverOnlyItems) = try partition(merged, by: patch, mergeKey: mergeKey)
            let ordered = try normalizeElementOrder(
                patchItems, serverOnlyItems, patchOrder: patch, serverOrder: original, mergeKey: mergeKey, kind: kind)
            return (ordered, original)
        }
        guard !mergeKey.isEmpty else {
            throw .internalError("cannot merge lists without merge key for \(itemNode.goKindName)")
        }
        var inPlace = InPlaceList(original)
        let special = try applySpecialElements(patch, to: &inPlace, mergeKey: mergeKey)
        let remaining = special.replace ? special.plainItems : inPlace.items
        let patchItems = special.replace ? [] : special.plainItems
        let merged = try mergeSliceItems(
            remaining, patchItems, mergeKey: mergeKey, itemNode, appendingTo: &inPlace)
        let (namedItems, serverOnlyItems) = try partition(merged, by: patchItems, mergeKey: mergeKey)
        let ordered = try normalizeElementOrder(
            namedItems, serverOnlyItems, patchOrder: patchItems, serverOrder: remaining, mergeKey: mergeKey,
            kind: kind)
        return (ordered, inPlace.storage)
    }

    /// Handles the items carrying `$patch`: `delete` removes the original items with that merge key, `replace`
    /// makes the remaining patch items the whole list.
    private static func applySpecialElements(
        _ patch: [JSONValue], to original: inout InPlaceList, mergeKey: String
    ) throws(StrategicMergePatchError) -> (plainItems: [JSONValue], replace: Bool) {
        var plainItems: [JSONValue] = []
        var replace = false
        for item in patch {
            let fields = item.objectValue ?? [:]
            guard let directive = fields[directiveMarker] else {
                plainItems.append(item)
                continue
            }
            switch directive {
            case .string(deleteDirective):
                guard let value = fields[mergeKey] else { throw .noMergeKey(fields, mergeKey) }
                original.removeAll { $0.objectValue?[mergeKey] == value }
            case .string(replaceDirective):
                replace = true
            case .string(mergeDirective):
                throw .internalError("merging lists cannot yet be specified in the patch")
            default:
                throw .badPatchType(directive, fields)
            }
        }
        return (plainItems, replace)
    }

    /// Merges each patch item into the original item with the same merge key, appending the rest.
    private static func mergeSliceItems(
        _ original: [JSONValue], _ patch: [JSONValue], mergeKey: String, _ itemNode: PatchSchemaNode,
        appendingTo inPlace: inout InPlaceList
    ) throws(StrategicMergePatchError) -> [JSONValue] {
        var result = original
        for item in patch {
            let fields = item.objectValue ?? [:]
            guard let value = fields[mergeKey] else { throw .noMergeKey(fields, mergeKey) }
            if let index = result.firstIndex(where: { $0.objectValue?[mergeKey] == value }),
                case .object(let originalFields) = result[index]
            {
                result[index] = .object(try mergeMap(originalFields, fields, itemNode))
            } else {
                inPlace.append(item)
                result.append(item)
            }
        }
        return result
    }

    /// `$retainKeys`: drops the original's fields that are not listed; every non-null patch field must be listed.
    private static func applyRetainKeys(
        _ original: inout [String: JSONValue], _ patch: inout [String: JSONValue]
    ) throws(StrategicMergePatchError) {
        guard let directive = patch.removeValue(forKey: retainKeysDirective) else { return }
        guard case .array(let retained) = directive else { throw .badRetainKeysFormat }
        for (key, value) in patch where value != .null {
            if key.hasPrefix(deleteFromPrimitiveListPrefix) || key.hasPrefix(setElementOrderPrefix) { continue }
            if !retained.contains(.string(key)) { throw .badRetainKeysFormat }
        }
        original = original.filter { retained.contains(.string($0.key)) }
    }

    /// The field name after a directive prefix: `$setElementOrder/containers` → `containers`.
    static func extractKey(_ key: String, prefix: String) throws(StrategicMergePatchError) -> String {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == prefix else {
            throw prefix == setElementOrderPrefix ? .badSetElementOrderFormat : .badPrimitiveListFormat
        }
        return String(parts[1])
    }

    /// Drops every map carrying `$patch` from a value the original lacks (Go's `removeDirectives`); `nil` when the
    /// value itself is such a map.
    static func removeDirectives(_ value: JSONValue) -> JSONValue? {
        switch value {
        case .object(let fields):
            if fields[directiveMarker] != nil { return nil }
            return .object(fields.compactMapValues(removeDirectives))
        case .array(let items):
            return .array(items.compactMap(removeDirectives))
        default:
            return value
        }
    }

    /// Removes `null` map values at every depth (Go's `discardNullValuesFromPatch`), so that a value added by a
    /// patch matches what a create with the same content stores.
    static func discardingNulls(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let fields):
            return .object(fields.filter { $0.value != .null }.mapValues(discardingNulls))
        case .array(let items):
            return .array(items.map(discardingNulls))
        default:
            return value
        }
    }
}
