import APIMachinery

/// Conflicts between an applier and the other managers, and kubectl's upgrade path from client-side apply.
extension ServerSideApply {
    /// For each other manager, the fields it owns that the apply adds or changes.
    static func conflictingFields(_ managed: ManagedFields, _ comparison: FieldComparison, except applier: ManagedFields.Identity)
        -> [ManagedFields.Identity: FieldSet]
    {
        let changed = comparison.modified.union(comparison.added)
        var conflicts: [ManagedFields.Identity: FieldSet] = [:]
        for (identity, entry) in managed.entries where identity != applier {
            let set = entry.fields.intersection(changed)
            if !set.isEmpty { conflicts[identity] = set }
        }
        return conflicts
    }

    /// The 409 Kubernetes returns, worded as its `getConflictMessage`: managers sorted by identifier, fields in
    /// field-set order.
    static func conflictError(_ conflicts: [ManagedFields.Identity: FieldSet]) -> ServerSideApplyError {
        let ordered = conflicts.sorted { $0.key.identifier < $1.key.identifier }
        var list: [ServerSideApplyError.Conflict] = []
        var lines: [String] = []
        for (identity, set) in ordered {
            lines.append("conflicts with \(identity.printed):")
            for path in set.paths {
                let field = FieldPathElement.describe(path)
                list.append(.init(manager: identity.manager, field: field, causeMessage: "conflict with \(identity.printed)"))
                lines.append("- \(field)")
            }
        }
        let message =
            list.count == 1
            ? "Apply failed with 1 conflict: \(list[0].causeMessage): \(list[0].field)"
            : "Apply failed with \(list.count) conflicts: \(lines.joined(separator: "\n"))"
        return ServerSideApplyError(reason: .conflict, conflicts: list, message: message)
    }

    /// The fields `kubectl` may take over without a conflict when moving from client-side to server-side apply
    /// (Kubernetes' `lastAppliedManager`): those in the `last-applied-configuration` annotation whose live value
    /// still matches it. Nil when the object has no usable annotation.
    static func allowedConflicts(live: JSONValue, apiVersion: String, type: ApplyType, schema: ApplySchema) -> FieldSet? {
        guard let text = live[path: "metadata", "annotations", lastAppliedAnnotation]?.stringValue, !text.isEmpty,
            let lastApplied = try? JSONValue.parse(text), lastApplied["apiVersion"]?.stringValue == apiVersion,
            let lastSet = try? schema.fieldSet(of: lastApplied, type: type, rejectingDuplicates: true),
            let comparison = try? schema.compare(lastApplied, live, type: type)
        else { return nil }
        return lastSet.subtracting(comparison.modified).subtracting(comparison.added).subtracting(comparison.removed)
    }

    /// Keeps an existing `last-applied-configuration` annotation equal to what `kubectl` applied (Kubernetes'
    /// `lastAppliedUpdater`), so a later client-side apply computes its patch from the right base.
    static func syncLastApplied(_ object: inout JSONValue, config: JSONValue) {
        guard let current = object[path: "metadata", "annotations", lastAppliedAnnotation]?.stringValue, !current.isEmpty else { return }
        var applied = config
        if case .object(var annotations)? = applied[path: "metadata", "annotations"] {
            annotations[lastAppliedAnnotation] = nil
            applied[path: "metadata", "annotations"] = annotations.isEmpty ? nil : .object(annotations)
        }
        // Go's json.Encoder, which Kubernetes encodes the annotation with, ends the document with a newline.
        object[path: "metadata", "annotations", lastAppliedAnnotation] = .string(applied.serializedString() + "\n")
    }
}
