import APIMachinery

/// Computing a patch: `diffMaps` and `diffLists` of k8s.io/apimachinery's strategicpatch, with the options of
/// `CreateTwoWayMergePatch` (additions, changes and deletions, with `$setElementOrder` lists).
extension StrategicMergePatch {
    static func diffMaps(
        _ original: [String: JSONValue], _ modified: [String: JSONValue], _ node: PatchSchemaNode,
        buildRetainKeys: Bool
    ) throws(StrategicMergePatchError) -> [String: JSONValue] {
        var patch: [String: JSONValue] = [:]
        var retainedKeys: [JSONValue] = []
        for (key, modifiedValue) in modified {
            if buildRetainKeys && modifiedValue != .null {
                retainedKeys.append(.string(key))
            }
            guard let originalValue = original[key] else {
                patch[key] = modifiedValue
                continue
            }
            if key == directiveMarker {
                guard case .string(let originalDirective) = originalValue,
                    case .string(let modifiedDirective) = modifiedValue
                else { throw .internalError("invalid value for special key: \(directiveMarker)") }
                if originalDirective != modifiedDirective { patch[key] = modifiedValue }
                continue
            }
            if originalValue.goKind != modifiedValue.goKind {
                patch[key] = modifiedValue
                continue
            }
            switch (originalValue, modifiedValue) {
            case (.object(let originalFields), .object(let modifiedFields)):
                let meta = node.field(key)
                if meta.replaces {
                    patch[key] = modifiedValue
                    continue
                }
                let fieldPatch = try diffMaps(
                    originalFields, modifiedFields, meta.valueNode, buildRetainKeys: meta.retainsKeys)
                if !fieldPatch.isEmpty { patch[key] = .object(fieldPatch) }
            case (.array(let originalItems), .array(let modifiedItems)):
                try diffSliceField(key, originalItems, modifiedItems, node.field(key), into: &patch)
            default:
                if originalValue != modifiedValue { patch[key] = modifiedValue }
            }
        }
        for key in original.keys where modified[key] == nil {
            patch[key] = .null
        }
        if !retainedKeys.isEmpty && (!patch.isEmpty || hasAdditionalField(original, modified)) {
            patch[retainKeysDirective] = .array(sortScalars(retainedKeys))
        }
        return patch
    }

    /// Whether `original` has a non-null field that `modified` lacks.
    private static func hasAdditionalField(_ original: [String: JSONValue], _ modified: [String: JSONValue]) -> Bool {
        original.contains { key, value in value != .null && modified[key] == nil }
    }

    private static func diffSliceField(
        _ key: String, _ original: [JSONValue], _ modified: [JSONValue], _ meta: PatchField,
        into patch: inout [String: JSONValue]
    ) throws(StrategicMergePatchError) {
        guard meta.mergesItems else {
            if original != modified { patch[key] = .array(modified) }
            return
        }
        let (additions, deletions, order) = try diffLists(
            original, modified, meta.valueNode, mergeKey: meta.mergeKey, buildRetainKeys: meta.retainsKeys)
        if !additions.isEmpty { patch[key] = .array(additions) }
        if !deletions.isEmpty { patch["\(deleteFromPrimitiveListPrefix)/\(key)"] = .array(deletions) }
        if !order.isEmpty { patch["\(setElementOrderPrefix)/\(key)"] = .array(order) }
    }

    /// The patch list, the parallel deletion list (lists of scalars only) and the `$setElementOrder` list.
    private static func diffLists(
        _ original: [JSONValue], _ modified: [JSONValue], _ itemNode: PatchSchemaNode, mergeKey: String,
        buildRetainKeys: Bool
    ) throws(StrategicMergePatchError) -> (patch: [JSONValue], deletions: [JSONValue], order: [JSONValue]) {
        if original.isEmpty {
            return (modified, [], [])
        }
        let kind = try sliceElementKind(original, modified)
        switch kind {
        case .map:
            let (changes, deletions) = try diffListsOfMaps(
                original, modified, itemNode, mergeKey: mergeKey, buildRetainKeys: buildRetainKeys)
            let patchList = try normalizeSliceOrder(changes, by: modified, mergeKey: mergeKey, kind: kind) + deletions
            let orderSame = try isOrderSame(original, modified, mergeKey: mergeKey)
            guard !patchList.isEmpty || !orderSame else { return ([], [], []) }
            let order = modified.map { JSONValue.object([mergeKey: $0.objectValue?[mergeKey] ?? .null]) }
            return (patchList, [], order)
        case .slice:
            throw .noListOfLists
        default:
            let (additions, deletions) = diffListsOfScalars(original, modified)
            let patchList = try normalizeSliceOrder(additions, by: modified, mergeKey: mergeKey, kind: kind)
            // Kubernetes sorts the original in place before this comparison, so a reordering alone is no change.
            let changed = !deletions.isEmpty || sortScalars(original) != modified
            return (patchList, deletions, changed ? modified : [])
        }
    }

    private static func isOrderSame(
        _ original: [JSONValue], _ modified: [JSONValue], mergeKey: String
    ) throws(StrategicMergePatchError) -> Bool {
        guard original.count == modified.count else { return false }
        for (originalItem, modifiedItem) in zip(original, modified) {
            guard try mergeKeyValue(originalItem, mergeKey) == mergeKeyValue(modifiedItem, mergeKey) else {
                return false
            }
        }
        return true
    }

    /// Walks both lists sorted by the printed value: the additions and the deletions.
    private static func diffListsOfScalars(
        _ original: [JSONValue], _ modified: [JSONValue]
    ) -> (additions: [JSONValue], deletions: [JSONValue]) {
        let originalSorted = sortScalars(original)
        let modifiedSorted = sortScalars(modified)
        var additions: [JSONValue] = []
        var deletions: [JSONValue] = []
        var originalIndex = 0
        var modifiedIndex = 0
        while originalIndex < originalSorted.count || modifiedIndex < modifiedSorted.count {
            let originalText = originalSorted[safe: originalIndex]?.goFormatted()
            let modifiedText = modifiedSorted[safe: modifiedIndex]?.goFormatted()
            if let originalText, let modifiedText, originalText == modifiedText {
                originalIndex += 1
                modifiedIndex += 1
            } else if let modifiedText, originalText.map({ $0 > modifiedText }) ?? true {
                additions.append(modifiedSorted[modifiedIndex])
                modifiedIndex += 1
            } else {
                deletions.append(originalSorted[originalIndex])
                originalIndex += 1
            }
        }
        return (additions, deduplicateScalars(deletions))
    }

    /// Walks both lists sorted by the printed merge key: changed items (with their merge key), added items, and
    /// `$patch: delete` items for removed ones.
    private static func diffListsOfMaps(
        _ original: [JSONValue], _ modified: [JSONValue], _ itemNode: PatchSchemaNode, mergeKey: String,
        buildRetainKeys: Bool
    ) throws(StrategicMergePatchError) -> (changes: [JSONValue], deletions: [JSONValue]) {
        let originalSorted = sortByMergeKey(original, mergeKey)
        let modifiedSorted = sortByMergeKey(modified, mergeKey)
        var changes: [JSONValue] = []
        var deletions: [JSONValue] = []
        var originalIndex = 0
        var modifiedIndex = 0
        while originalIndex < originalSorted.count || modifiedIndex < modifiedSorted.count {
            let originalItem = try originalSorted[safe: originalIndex].map { item throws(StrategicMergePatchError) in
                (fields: item.objectValue ?? [:], key: try mergeKeyValue(item, mergeKey))
            }
            let modifiedItem = try modifiedSorted[safe: modifiedIndex].map { item throws(StrategicMergePatchError) in
                (fields: item.objectValue ?? [:], key: try mergeKeyValue(item, mergeKey))
            }
            let originalText = originalItem?.key.goFormatted()
            let modifiedText = modifiedItem?.key.goFormatted()
            if let originalItem, let modifiedItem, originalText == modifiedText {
                var itemPatch = try diffMaps(
                    originalItem.fields, modifiedItem.fields, itemNode, buildRetainKeys: buildRetainKeys)
                if !itemPatch.isEmpty {
                    itemPatch[mergeKey] = modifiedItem.key
                    changes.append(.object(itemPatch))
                }
                originalIndex += 1
                modifiedIndex += 1
            } else if let modifiedItem, originalText.map({ $0 > (modifiedText ?? "") }) ?? true {
                changes.append(.object(modifiedItem.fields))
                modifiedIndex += 1
            } else if let originalItem {
                deletions.append(.object([mergeKey: originalItem.key, directiveMarker: .string(deleteDirective)]))
                originalIndex += 1
            }
        }
        return (changes, deletions)
    }

    /// Sorts scalars by their printed form, as Kubernetes does before comparing lists.
    static func sortScalars(_ items: [JSONValue]) -> [JSONValue] {
        items.map { ($0.goFormatted(), $0) }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    private static func sortByMergeKey(_ items: [JSONValue], _ mergeKey: String) -> [JSONValue] {
        items.map { (($0.objectValue?[mergeKey]).map { $0.goFormatted() } ?? "<nil>", $0) }
            .sorted { $0.0 < $1.0 }.map(\.1)
    }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }
}
