/// A value that does not fit its schema the way structured-merge-diff needs (a list item without its key, a duplicate
/// key in an applied configuration), worded like structured-merge-diff: `.spec.ports: element 0: ...`.
struct TypedValueError: Error, Sendable {
    var message: String

    init(path: [FieldPathElement], _ detail: String) {
        message = path.isEmpty ? detail : "\(FieldPathElement.describe(path)): \(detail)"
    }
}
