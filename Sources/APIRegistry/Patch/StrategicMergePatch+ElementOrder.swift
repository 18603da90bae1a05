import APIMachinery

/// The order of merged lists: `$setElementOrder/<list>` and Kubernetes' `normalizeElementOrder`.
///
/// Items named by the patch (or by its `$setElementOrder` list) come in the patch's order; items only the server
/// has keep their relative order and are interleaved by their position in the live list.
extension StrategicMergePatch {
    /// Processes every `$setElementOrder/<list>` of `patch` together with `<list>`, removing both from the patch.
    static func mergeElementOrderLists(
        _ original: inout [String: JSONValue], _ patch: inout [String: JSONValue], _ node: PatchSchemaNode
    ) throws(StrategicMergePatchError) {
        for key in patch.keys.sorted() where key.hasPrefix(setElementOrderPrefix) {
            guard let orderValue = patch.removeValue(forKey: key) else { continue }
            guard case .array(let order) = orderValue else {
                throw .badArgType(expected: StrategicMergePatchError.sliceTypeName, orderValue)
            }
            let field = try extractKey(key, prefix: setElementOrderPrefix)
            let originalList = original[field]
            let patchList = patch[field]
            let originalItems = try listItems(originalList)
            let patchItems = try listItems(patchList)
            let meta = node.field(field)
            try validatePatchOrder(patchItems, order, mergeKey: meta.mergeKey)

            var merged: [JSONValue]
            var serverOrder = originalItems
            switch (originalList != nil, patchList != nil) {
            case (true, false):
                merged = originalItems
            case (false, true):
                merged = removeDirectives(.array(patchItems))?.arrayValue ?? []
            case (true, true):
                (merged, serverOrder) = try mergeSliceField(originalItems, patchItems, meta, isDeleteList: false)
            case (false, false):
                continue
            }
            let (orderedItems, serverOnlyItems) = try partition(merged, by: order, mergeKey: meta.mergeKey)
            let kind = try sliceElementKind(originalItems, patchItems)
            original[field] = .array(
                try normalizeElementOrder(
                    orderedItems, serverOnlyItems, patchOrder: order, serverOrder: serverOrder,
                    mergeKey: meta.mergeKey, kind: kind))
            patch[field] = nil
        }
    }

    private static func listItems(_ value: JSONValue?) throws(StrategicMergePatchError) -> [JSONValue] {
        guard let value else { return [] }
        guard case .array(let items) = value else {
            throw .badArgType(expected: StrategicMergePatchError.sliceTypeName, value)
        }
        return items
    }

    /// The patch list's items (deletions aside) must appear in the `$setElementOrder` list, in the same order.
    private static func validatePatchOrder(
        _ patchItems: [JSONValue], _ order: [JSONValue], mergeKey: String
    ) throws(StrategicMergePatchError) {
        if order.isEmpty || patchItems.isEmpty { return }
        let kept = mergeKey.isEmpty ? patchItems : try splitDeletions(patchItems).kept
        var patchIndex = 0
        var orderIndex = 0
        while patchIndex < kept.count && orderIndex < order.count {
            if kept[patchIndex].objectValue?[directiveMarker] != nil {
                patchIndex += 1
                continue
            }
            if try mergeKeyValuesEqual(kept[patchIndex], order[orderIndex], mergeKey: mergeKey) {
                patchIndex += 1
            }
            orderIndex += 1
        }
        if patchIndex < kept.count && orderIndex >= order.count {
            throw .internalError(
                "the order in patch list:\n\(JSONValue.array(patchItems).goFormatted())\n doesn't match "
                    + "\(setElementOrderPrefix) list:\n\(JSONValue.array(order).goFormatted())")
        }
    }

    private static func mergeKeyValuesEqual(
        _ left: JSONValue, _ right: JSONValue, mergeKey: String
    ) throws(StrategicMergePatchError) -> Bool {
        if mergeKey.isEmpty { return left == right }
        return try mergeKeyValue(left, mergeKey) == mergeKeyValue(right, mergeKey)
    }

    /// The merge key value of a list item, which must be a map that has it.
    static func mergeKeyValue(_ item: JSONValue, _ mergeKey: String) throws(StrategicMergePatchError) -> JSONValue {
        guard case .object(let fields) = item else {
            throw .badArgType(expected: StrategicMergePatchError.mapTypeName, item)
        }
        guard let value = fields[mergeKey] else { throw .noMergeKey(fields, mergeKey) }
        return value
    }

    /// Splits `merged` into the items `list` names (by merge key, or by value for scalars) and the others.
    static func partition(
        _ merged: [JSONValue], by list: [JSONValue], mergeKey: String
    ) throws(StrategicMergePatchError) -> (named: [JSONValue], others: [JSONValue]) {
        var named: [JSONValue] = []
        var others: [JSONValue] = []
        if mergeKey.isEmpty {
            for item in merged {
                if list.contains(item) { named.append(item) } else { others.append(item) }
            }
            return (named, others)
        }
        for item in merged {
            let value = try mergeKeyValue(item, mergeKey)
            var found = false
            for (position, candidate) in list.enumerated() {
                guard case .object(let fields) = candidate else {
                    throw .internalError("value for key \(position) is not a map")
                }
                if fields[mergeKey] == value {
                    found = true
                    break
                }
            }
            if found { named.append(item) } else { others.append(item) }
        }
        return (named, others)
    }

    /// Sorts `patchItems` by `patchOrder` and `serverOnlyItems` by `serverOrder`, then interleaves them.
    static func normalizeElementOrder(
        _ patchItems: [JSONValue], _ serverOnlyItems: [JSONValue], patchOrder: [JSONValue], serverOrder: [JSONValue],
        mergeKey: String, kind: GoValueKind
    ) throws(StrategicMergePatchError) -> [JSONValue] {
        let sortedPatch = try normalizeSliceOrder(patchItems, by: patchOrder, mergeKey: mergeKey, kind: kind)
        let sortedServer = try normalizeSliceOrder(serverOnlyItems, by: serverOrder, mergeKey: mergeKey, kind: kind)
        return mergeSortedSlices(sortedServer, sortedPatch, serverOrder: serverOrder, mergeKey: mergeKey, kind: kind)
    }

    /// Sorts `items` by their position in `order`, with `$patch: delete` items moved to the end. The comparator
    /// calls an item missing from `order` smaller than anything, exactly as Kubernetes' does.
    static func normalizeSliceOrder(
        _ items: [JSONValue], by order: [JSONValue], mergeKey: String, kind: GoValueKind
    ) throws(StrategicMergePatchError) -> [JSONValue] {
        var items = items
        var deletions: [JSONValue] = []
        if kind == .map {
            for item in items + order { _ = try mergeKeyValue(item, mergeKey) }
            (items, deletions) = try splitDeletions(items)
        }
        let orderKeys = order.map { orderKey($0, mergeKey: mergeKey, kind: kind) }
        GoStableSort.sort(&items) { left, right in
            guard let leftIndex = orderKeys.firstIndex(of: orderKey(left, mergeKey: mergeKey, kind: kind)),
                let rightIndex = orderKeys.firstIndex(of: orderKey(right, mergeKey: mergeKey, kind: kind))
            else { return true }
            return leftIndex < rightIndex
        }
        return items + deletions
    }

    /// Merges two lists sorted on their own, taking a server-only item first only when the live list has it
    /// before the next patch item.
    private static func mergeSortedSlices(
        _ left: [JSONValue], _ right: [JSONValue], serverOrder: [JSONValue], mergeKey: String, kind: GoValueKind
    ) -> [JSONValue] {
        let orderKeys = serverOrder.map { orderKey($0, mergeKey: mergeKey, kind: kind) }
        var result: [JSONValue] = []
        var leftIndex = 0
        var rightIndex = 0
        while leftIndex < left.count && rightIndex < right.count {
            let leftPosition = orderKeys.firstIndex(of: orderKey(left[leftIndex], mergeKey: mergeKey, kind: kind))
            let rightPosition = orderKeys.firstIndex(of: orderKey(right[rightIndex], mergeKey: mergeKey, kind: kind))
            if let leftPosition, let rightPosition, leftPosition < rightPosition {
                result.append(left[leftIndex])
                leftIndex += 1
            } else {
                result.append(right[rightIndex])
                rightIndex += 1
            }
        }
        return result + left[leftIndex...] + right[rightIndex...]
    }

    /// What identifies an item when ordering: its merge key value for maps (null when absent), itself otherwise.
    private static func orderKey(_ item: JSONValue, mergeKey: String, kind: GoValueKind) -> JSONValue {
        guard kind == .map else { return item }
        return item.objectValue?[mergeKey] ?? .null
    }

    /// Separates the `$patch: delete` items of a list of maps.
    static func splitDeletions(
        _ items: [JSONValue]
    ) throws(StrategicMergePatchError) -> (kept: [JSONValue], deletions: [JSONValue]) {
        var kept: [JSONValue] = []
        var deletions: [JSONValue] = []
        for item in items {
            guard case .object(let fields) = item else {
                throw .badArgType(expected: StrategicMergePatchError.mapTypeName, item)
            }
            if fields[directiveMarker] == .string(deleteDirective) {
                deletions.append(item)
            } else {
                kept.append(item)
            }
        }
        return (kept, deletions)
    }

    /// The one Go type shared by the items of all `lists`; lists of lists and mixed lists are errors.
    static func sliceElementKind(_ lists: [JSONValue]...) throws(StrategicMergePatchError) -> GoValueKind {
        var kind: GoValueKind?
        for item in lists.joined() {
            guard let previous = kind else {
                if item.goKind == .slice { throw .noListOfLists }
                kind = item.goKind
                continue
            }
            if previous != item.goKind {
                let printed = JSONValue.array(lists.map(JSONValue.array)).goFormatted()
                throw .internalError("list element types are not identical: \(printed)")
            }
        }
        guard let kind else { throw .internalError("no elements in any of the given slices") }
        return kind
    }

    /// Removes repeated scalars the way Kubernetes does (a repeat is overwritten by the last item), which
    /// reorders the list; the order is normalized afterwards.
    static func deduplicateScalars(_ items: [JSONValue]) -> [JSONValue] {
        var items = items
        var last = items.count - 1
        var outer = 0
        while outer < last {
            var inner = outer + 1
            while inner <= last {
                if items[outer] == items[inner] {
                    items[inner] = items[last]
                    items.removeLast()
                    last -= 1
                } else {
                    inner += 1
                }
            }
            outer += 1
        }
        return items
    }
}
