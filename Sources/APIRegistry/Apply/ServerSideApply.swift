import APIMachinery

/// Kubernetes server-side apply and `metadata.managedFields` tracking, as pure functions over JSON objects.
///
/// Follows sigs.k8s.io/structured-merge-diff and the API server's field manager: each manager owns a set of fields
/// (`fieldsV1`); an apply merges the configuration into the live object, removes what the applier stopped applying
/// and no one else owns, and refuses to change fields other managers own unless forced; any other write moves the
/// fields it changed to its manager.
public enum ServerSideApply {
    static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

    /// Fields never recorded in managedFields (Kubernetes' `stripMetaManager`).
    static let serverOwnedFields = FieldSet(
        [[.field("apiVersion")], [.field("kind")], [.field("metadata")]]
            + ["name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation", "managedFields", "resourceVersion"]
            .map { [.field("metadata"), .field($0)] }
    )

    /// Applies `config` (the apply body) as `manager` to `live` (nil when the object does not exist yet: create).
    ///
    /// Returns the merged object with `metadata.managedFields` updated: the manager's `Apply` entry holds exactly the
    /// fields in `config` (less server-owned metadata and, on the main resource, `status`). Fields the manager applied
    /// before, left out of `config`, and no other manager owns are removed. A field in `config` whose value differs
    /// from live and that another manager owns is a conflict unless `force` (then it moves to `manager`). As in
    /// Kubernetes, the manager `kubectl` may take over fields whose live value still matches the object's
    /// `last-applied-configuration` annotation without a conflict, and keeps that annotation in step.
    ///
    /// The caller still runs defaulting, the update strategy (which restores `status` and server-owned metadata) and
    /// validation on the result, as for any other write.
    public static func apply(
        config: JSONValue, to live: JSONValue?, manager: String, force: Bool, group: String, version: String, kind: String,
        schema: APISchema, now: String, subresource: String = ""
    ) throws(ServerSideApplyError) -> JSONValue {
        let apiVersion = group.isEmpty ? version : "\(group)/\(version)"
        try checkConfig(config, group: group, version: version, kind: kind)
        let applySchema = ApplySchema(schema: schema)
        let rootType = applySchema.rootType(group: group, version: version, kind: kind)
        var managed: ManagedFields
        do {
            managed = try ManagedFields(decoding: live?[path: "metadata", "managedFields"])
        } catch {
            throw ServerSideApplyError(reason: .internalError, message: "failed to decode managed fields: \(error.message)")
        }
        let liveObject = withoutManagedFields(live ?? .emptyObject)
        let ignored = ignoredFields(schema.definition(group: group, version: version, kind: kind), subresource: subresource)
        let applier = ManagedFields.Identity(
            manager: manager, operation: ManagedFields.apply, apiVersion: apiVersion, subresource: subresource)

        let gvk = gvkString(group, version, kind)
        let configSet: FieldSet
        do {
            configSet = try applySchema.fieldSet(of: config, type: rootType, rejectingDuplicates: true).removingPaths(under: ignored)
        } catch {
            throw ServerSideApplyError(
                reason: .internalError,
                message: "failed to create typed patch object (\(objectName(config)); \(gvk)): \(error.message)")
        }
        let lastSet = managed.entries[applier]?.fields
        managed.entries[applier] = ManagedFields.Entry(apiVersion: apiVersion, time: managed.entries[applier]?.time, fields: configSet)

        var merged: JSONValue
        let comparison: FieldComparison
        do {
            merged = try applySchema.merge(liveObject, config, type: rootType) ?? config
            if let lastSet, !lastSet.isEmpty {
                merged = try applySchema.prune(merged, type: rootType, lastApplied: lastSet, owned: managed.allFields)
            }
            comparison = try applySchema.compare(liveObject, merged, type: rootType).excluding(ignored)
        } catch {
            throw ServerSideApplyError(
                reason: .internalError,
                message: "failed to create typed live object (\(objectName(liveObject)); \(gvk)): \(error.message)")
        }

        let conflicts = conflictingFields(managed, comparison, except: applier)
        if !conflicts.isEmpty && !force {
            let allowed =
                manager == "kubectl"
                ? allowedConflicts(live: liveObject, apiVersion: apiVersion, type: rootType, schema: applySchema) : nil
            let refused = conflicts.compactMapValues { set -> FieldSet? in
                let remaining = allowed.map { set.subtracting($0) } ?? set
                return remaining.isEmpty ? nil : remaining
            }
            if !refused.isEmpty { throw conflictError(refused) }
        }
        for (identity, set) in conflicts {
            managed.remove(set, from: identity)
        }
        release(comparison.removed, in: &managed, except: applier)

        managed.entries[applier]?.fields = configSet.subtracting(serverOwnedFields)
        if managed.entries[applier]?.fields.isEmpty ?? true { managed.entries[applier] = nil }
        if !ApplySchema.jsonEqual(liveObject, merged) { managed.entries[applier]?.time = now }
        if manager == "kubectl" { syncLastApplied(&merged, config: config) }

        merged = ApplySchema.removingNulls(merged)
        setManagedFields(&merged, managed)
        return merged
    }

    /// Checks what Kubernetes checks of an apply body before merging it.
    private static func checkConfig(_ config: JSONValue, group: String, version: String, kind: String) throws(ServerSideApplyError) {
        guard case .object = config else {
            throw ServerSideApplyError(reason: .badRequest, message: "the apply configuration must be an object")
        }
        let configAPIVersion = config["apiVersion"]?.stringValue ?? ""
        let parts = configAPIVersion.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let (configGroup, configVersion) = parts.count == 2 ? (parts[0], parts[1]) : ("", configAPIVersion)
        let configKind = config["kind"]?.stringValue ?? ""
        if configGroup != group || configVersion != version || configKind != kind {
            throw ServerSideApplyError(
                reason: .badRequest, message: "invalid object type: \(gvkString(configGroup, configVersion, configKind))")
        }
        if case .array? = config[path: "metadata", "managedFields"] {
            throw ServerSideApplyError(reason: .badRequest, message: "metadata.managedFields must be nil")
        }
    }

    /// Fields a write to this endpoint does not own: `status` on the main resource, everything but `status` on the
    /// status subresource (the strategies' reset fields).
    static func ignoredFields(_ definition: SchemaDefinition?, subresource: String) -> FieldSet {
        guard let definition, definition.properties["status"] != nil else { return FieldSet() }
        switch subresource {
        case "": return FieldSet([[.field("status")]])
        case "status": return FieldSet(definition.properties.keys.filter { $0 != "status" }.map { [.field($0)] })
        default: return FieldSet()
        }
    }

    /// Removes fields that are gone from the object from every manager but `keeping`, then drops managers left
    /// with nothing.
    static func release(_ removed: FieldSet, in managed: inout ManagedFields, except keeping: ManagedFields.Identity?) {
        for identity in Array(managed.entries.keys) where identity != keeping {
            managed.remove(removed, from: identity)
        }
        managed.entries = managed.entries.filter { !$0.value.fields.isEmpty }
    }

    static func withoutManagedFields(_ object: JSONValue) -> JSONValue {
        guard case .object(var metadata)? = object["metadata"], metadata["managedFields"] != nil else { return object }
        metadata["managedFields"] = nil
        var result = object
        result["metadata"] = .object(metadata)
        return result
    }

    static func setManagedFields(_ object: inout JSONValue, _ managed: ManagedFields) {
        guard let encoded = managed.encoded else {
            object = withoutManagedFields(object)
            return
        }
        object[path: "metadata", "managedFields"] = encoded
    }

    /// `namespace/name` as Kubernetes' `objectGVKNN` prints it.
    static func objectName(_ object: JSONValue) -> String {
        "\(object[path: "metadata", "namespace"]?.stringValue ?? "")/\(object[path: "metadata", "name"]?.stringValue ?? "")"
    }

    /// Go's `GroupVersionKind.String()`: `apps/v1, Kind=Deployment`, `/v1, Kind=ConfigMap`.
    static func gvkString(_ group: String, _ version: String, _ kind: String) -> String {
        "\(group)/\(version), Kind=\(kind)"
    }
}
