import APIMachinery

/// A set of field paths stored as a tree, like structured-merge-diff's `fieldpath.Set`: `members` are paths that end
/// here, `children` the sets under each element. A child set is never empty.
struct FieldSet: Hashable, Sendable {
    private(set) var members: Set<FieldPathElement> = []
    private(set) var children: [FieldPathElement: FieldSet] = [:]

    init() {}

    init(_ paths: [[FieldPathElement]]) {
        for path in paths { insert(path[...]) }
    }

    var isEmpty: Bool { members.isEmpty && children.isEmpty }

    mutating func insert(_ path: ArraySlice<FieldPathElement>) {
        guard let first = path.first else { return }
        if path.count == 1 {
            members.insert(first)
        } else {
            children[first, default: FieldSet()].insert(path.dropFirst())
        }
    }

    mutating func insert(_ path: [FieldPathElement]) {
        insert(path[...])
    }

    func contains(_ path: ArraySlice<FieldPathElement>) -> Bool {
        guard let first = path.first else { return false }
        if path.count == 1 { return members.contains(first) }
        return children[first]?.contains(path.dropFirst()) ?? false
    }

    func child(_ element: FieldPathElement) -> FieldSet {
        children[element] ?? FieldSet()
    }

    func union(_ other: FieldSet) -> FieldSet {
        var result = self
        result.members.formUnion(other.members)
        for (element, set) in other.children {
            result.children[element] = result.children[element].map { $0.union(set) } ?? set
        }
        return result
    }

    /// The paths of this set that are not paths of `other` (exact paths: a member of `other` does not remove
    /// the paths under it).
    func subtracting(_ other: FieldSet) -> FieldSet {
        var result = FieldSet()
        result.members = members.subtracting(other.members)
        for (element, set) in children {
            let remaining = other.children[element].map { set.subtracting($0) } ?? set
            if !remaining.isEmpty { result.children[element] = remaining }
        }
        return result
    }

    func intersection(_ other: FieldSet) -> FieldSet {
        var result = FieldSet()
        result.members = members.intersection(other.members)
        for (element, set) in children {
            guard let otherSet = other.children[element] else { continue }
            let common = set.intersection(otherSet)
            if !common.isEmpty { result.children[element] = common }
        }
        return result
    }

    /// The paths of this set that neither are nor lie under a member of `prefixes` (structured-merge-diff's
    /// `RecursiveDifference`, used for fields the server resets).
    func removingPaths(under prefixes: FieldSet) -> FieldSet {
        var result = FieldSet()
        result.members = members.subtracting(prefixes.members)
        for (element, set) in children where !prefixes.members.contains(element) {
            let remaining = prefixes.children[element].map { set.removingPaths(under: $0) } ?? set
            if !remaining.isEmpty { result.children[element] = remaining }
        }
        return result
    }

    /// Every path, in structured-merge-diff's iteration order: this level's members sorted, then each child sorted.
    var paths: [[FieldPathElement]] {
        var result: [[FieldPathElement]] = members.sorted().map { [$0] }
        for element in children.keys.sorted() {
            for path in children[element]?.paths ?? [] {
                result.append([element] + path)
            }
        }
        return result
    }
}

extension FieldSet {
    struct DecodingError: Error, Sendable {
        var message: String
    }

    /// The `fieldsV1` form: `{"f:spec":{"f:replicas":{}}}`; `".":{}` marks a path that is a member and has children.
    var fieldsV1: JSONValue {
        var object: [String: JSONValue] = [:]
        for element in members where children[element] == nil {
            object[element.fieldsV1Key] = .emptyObject
        }
        for (element, set) in children {
            var child = set.fieldsV1
            if members.contains(element) { child["."] = .emptyObject }
            object[element.fieldsV1Key] = child
        }
        return .object(object)
    }

    init(fieldsV1: JSONValue) throws(DecodingError) {
        guard case .object(let object) = fieldsV1 else {
            throw DecodingError(message: "expected an object, got \(fieldsV1.typeName)")
        }
        for (key, value) in object where key != "." {
            guard let element = FieldPathElement(fieldsV1Key: key) else {
                throw DecodingError(message: "unknown path element type in \(key)")
            }
            guard case .object(let nested) = value else {
                throw DecodingError(message: "expected an object for \(key), got \(value.typeName)")
            }
            if nested.isEmpty || nested["."] != nil { members.insert(element) }
            let child = try FieldSet(fieldsV1: value)
            if !child.isEmpty { children[element] = child }
        }
    }
}
