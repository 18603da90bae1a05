import APIMachinery

/// Merging an applied configuration into the live object (structured-merge-diff's `Merge`): structs and granular
/// maps merge by field, keyed lists and sets by item, everything else is replaced by the configuration.
extension ApplySchema {
    func merge(_ live: JSONValue?, _ config: JSONValue?, type: ApplyType) throws(TypedValueError) -> JSONValue? {
        var path: [FieldPathElement] = []
        return try merge(live, config, type: type, path: &path)
    }

    private func merge(_ live: JSONValue?, _ config: JSONValue?, type: ApplyType, path: inout [FieldPathElement]) throws(TypedValueError)
        -> JSONValue?
    {
        guard let config else { return live }
        guard let live else { return config }
        switch (type, live, config) {
        case (.structure, .object(var fields), .object(let configFields)),
            (.map, .object(var fields), .object(let configFields)),
            (.untyped, .object(var fields), .object(let configFields)):
            for (name, value) in configFields {
                path.append(.field(name))
                fields[name] = try merge(fields[name], value, type: childType(of: type, name), path: &path)
                path.removeLast()
            }
            return .object(fields)
        case (.associativeList, .array(let liveItems), .array(let configItems)), (.set, .array(let liveItems), .array(let configItems)):
            return .array(try mergeItems(liveItems, configItems, type: type, path: &path))
        default:
            return config
        }
    }

    /// Items keep their relative order: configured items in the configuration's order, live-only items where they
    /// were, as structured-merge-diff interleaves them.
    private func mergeItems(_ live: [JSONValue], _ config: [JSONValue], type: ApplyType, path: inout [FieldPathElement])
        throws(TypedValueError) -> [JSONValue]
    {
        let element = elementType(of: type)
        var liveOrder: [FieldPathElement] = []
        var liveItems: [FieldPathElement: JSONValue] = [:]
        for (index, item) in live.enumerated() {
            let itemElement = try pathElement(of: item, at: index, in: type, path: path)
            liveOrder.append(itemElement)
            if liveItems[itemElement] == nil { liveItems[itemElement] = item }
        }
        let configIndex = try indexItems(config, in: type, path: path)
        var shared = configIndex.order.filter { liveItems[$0] != nil }[...]
        var nextShared = shared.popFirst()
        var mergedConfig: Set<FieldPathElement> = []
        var result: [JSONValue] = []

        func mergeItem(_ itemElement: FieldPathElement, path: inout [FieldPathElement]) throws(TypedValueError) {
            path.append(itemElement)
            if let merged = try merge(liveItems[itemElement], configIndex.items[itemElement], type: element, path: &path) {
                result.append(merged)
            }
            path.removeLast()
        }

        var liveCursor = 0
        var configCursor = 0
        while liveCursor < liveOrder.count || configCursor < configIndex.order.count {
            if liveCursor < liveOrder.count, configCursor < configIndex.order.count {
                let itemElement = liveOrder[liveCursor]
                if itemElement == configIndex.order[configCursor] {
                    mergedConfig.insert(itemElement)
                    try mergeItem(itemElement, path: &path)
                    liveCursor += 1
                    configCursor += 1
                    nextShared = shared.popFirst()
                    continue
                }
                if configIndex.items[itemElement] != nil, let expected = nextShared, expected != itemElement {
                    liveCursor += 1
                    continue
                }
            }
            if liveCursor < liveOrder.count {
                let itemElement = liveOrder[liveCursor]
                if configIndex.items[itemElement] == nil {
                    result.append(live[liveCursor])
                    liveCursor += 1
                    continue
                }
                if mergedConfig.contains(itemElement) {
                    liveCursor += 1
                    continue
                }
            }
            if configCursor < configIndex.order.count {
                let itemElement = configIndex.order[configCursor]
                mergedConfig.insert(itemElement)
                try mergeItem(itemElement, path: &path)
                configCursor += 1
                if nextShared == itemElement { nextShared = shared.popFirst() }
            }
        }
        return result
    }
}
