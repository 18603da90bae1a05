import APIMachinery

/// A Go slice over the original list's backing array, to reproduce what Kubernetes' in-place list edits leave
/// behind: deleting an item shifts the later ones left (the last stays duplicated past the new length), and an
/// append writes after the current length while that is still inside the original list.
struct InPlaceList {
    /// The original list's backing array, as long as the original list.
    private(set) var storage: [JSONValue]
    private var count: Int

    init(_ items: [JSONValue]) {
        storage = items
        count = items.count
    }

    /// The slice's current items, before any append past the original length.
    var items: [JSONValue] {
        Array(storage[..<min(count, storage.count)])
    }

    mutating func removeAll(where matches: (JSONValue) -> Bool) {
        var end = min(count, storage.count)
        while let index = storage[..<end].firstIndex(where: matches) {
            let tail = Array(storage[(index + 1)..<end])
            storage.replaceSubrange(index..<(end - 1), with: tail)
            end -= 1
        }
        count = end
    }

    mutating func append(_ item: JSONValue) {
        if count < storage.count {
            storage[count] = item
        }
        count += 1
    }
}
