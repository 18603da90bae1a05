import APIMachinery

/// Recording the fields a non-apply write changed.
extension ServerSideApply {
    /// Records a non-apply write (create, update, any other patch) by `manager` (operation `Update`): on create every
    /// set field, on update the fields whose values changed, move to this manager and leave the others. Managers left
    /// with empty sets are dropped; at most 10 update entries are kept (older ones merge into `ancient-changes`).
    ///
    /// As in Kubernetes, `managedFields` sent in `new` replace the recorded ones when they are valid and non-empty
    /// (kubectl rewrites them when it moves an object from client-side to server-side apply), `[]` or `[{}]` clears
    /// them, and otherwise those of `old` are kept. A write to a subresource never sets them. If the objects do not
    /// fit their schema, `new` gets the managedFields of `old` unchanged.
    public static func recordUpdate(
        old: JSONValue?, new: JSONValue, manager: String, group: String, version: String, kind: String, schema: APISchema,
        now: String, subresource: String = ""
    ) -> JSONValue {
        let apiVersion = group.isEmpty ? version : "\(group)/\(version)"
        let applySchema = ApplySchema(schema: schema)
        let rootType = applySchema.rootType(group: group, version: version, kind: kind)
        var managed = recordedManagedFields(old: old, new: new, ignoringNew: !subresource.isEmpty)
        let liveObject = withoutManagedFields(old ?? applySchema.zeroObject(group: group, version: version, kind: kind))
        var result = withoutManagedFields(new)
        let ignored = ignoredFields(schema.definition(group: group, version: version, kind: kind), subresource: subresource)

        guard let comparison = try? applySchema.compare(liveObject, result, type: rootType).excluding(ignored) else {
            var unchanged = new
            unchanged[path: "metadata", "managedFields"] = old?[path: "metadata", "managedFields"]
            return old?[path: "metadata", "managedFields"] == nil ? withoutManagedFields(unchanged) : unchanged
        }
        let changed = comparison.modified.union(comparison.added)
        for identity in Array(managed.entries.keys) {
            managed.remove(changed, from: identity)
        }
        release(comparison.removed, in: &managed, except: nil)

        let taken = changed.subtracting(comparison.removed).removingPaths(under: ignored).subtracting(serverOwnedFields)
        if !taken.isEmpty {
            let updater = ManagedFields.Identity(
                manager: manager, operation: ManagedFields.update, apiVersion: apiVersion, subresource: subresource)
            let previous = managed.entries[updater]?.fields ?? FieldSet()
            managed.entries[updater] = ManagedFields.Entry(apiVersion: apiVersion, time: now, fields: taken.union(previous))
        }
        managed.capUpdaters()
        setManagedFields(&result, managed)
        return result
    }

    /// Kubernetes' `decodeLiveOrNew`: which managedFields a write starts from.
    private static func recordedManagedFields(old: JSONValue?, new: JSONValue, ignoringNew: Bool) -> ManagedFields {
        let live = (try? ManagedFields(decoding: old?[path: "metadata", "managedFields"])) ?? ManagedFields()
        guard !ignoringNew else { return live }
        let sent = new[path: "metadata", "managedFields"]
        if ManagedFields.isReset(sent) { return ManagedFields() }
        guard let decoded = try? ManagedFields(decoding: sent), !decoded.entries.isEmpty else { return live }
        return decoded
    }
}
