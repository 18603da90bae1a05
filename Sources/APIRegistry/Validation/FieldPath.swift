/// A field path rendered as Kubernetes renders `field.Path`: `spec.containers[0].ports[1].name`, `data[key]`.
struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    private(set) var description: String

    init(_ root: String) { description = root }

    func child(_ names: String...) -> FieldPath {
        var path = self
        for name in names { path.description += path.description.isEmpty ? name : ".\(name)" }
        return path
    }

    func index(_ position: Int) -> FieldPath {
        var path = self
        path.description += "[\(position)]"
        return path
    }

    func key(_ key: String) -> FieldPath {
        var path = self
        path.description += "[\(key)]"
        return path
    }
}
