/// What changed between two versions of an object, as structured-merge-diff's `Compare` reports it.
struct FieldComparison: Sendable {
    var added = FieldSet()
    var modified = FieldSet()
    var removed = FieldSet()

    /// Drops the paths under `ignored` (fields the server resets, such as `status` on the main resource).
    func excluding(_ ignored: FieldSet) -> FieldComparison {
        FieldComparison(
            added: added.removingPaths(under: ignored), modified: modified.removingPaths(under: ignored),
            removed: removed.removingPaths(under: ignored))
    }
}
