import APIMachinery

/// Kubernetes' strategic merge patch (`application/strategic-merge-patch+json`), as pure functions over JSON.
///
/// Follows k8s.io/apimachinery/pkg/util/strategicpatch: maps merge recursively and `null` deletes a field; lists
/// whose field has `x-kubernetes-patch-strategy: merge` merge their items by `x-kubernetes-patch-merge-key` (or as
/// sets, for lists of scalars); other lists are replaced. The directives `$patch`, `$retainKeys`,
/// `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>` work as in Kubernetes. The patch metadata comes
/// from the OpenAPI schema; where the schema says nothing (a kind it lacks, `RawExtension` and other free-form
/// fields) JSON merge patch (RFC 7386) applies instead.
public enum StrategicMergePatch {
    static let directiveMarker = "$patch"
    static let deleteDirective = "delete"
    static let replaceDirective = "replace"
    static let mergeDirective = "merge"
    static let retainKeysStrategy = "retainKeys"
    static let retainKeysDirective = "$retainKeys"
    static let deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList"
    static let setElementOrderPrefix = "$setElementOrder"

    /// Applies an `application/strategic-merge-patch+json` patch to `original`, an object of the given kind, as
    /// the API server does (`StrategicMergeMapPatch` with `MergeParallelList` and `IgnoreUnmatchedNulls`).
    ///
    /// A `null` patch changes nothing; a patch that is not an object is a bad request, worded like Go's decoder.
    public static func apply(
        _ patch: JSONValue, to original: JSONValue, group: String, version: String, kind: String, schema: APISchema
    ) throws(StrategicMergePatchError) -> JSONValue {
        let patchFields: [String: JSONValue]
        switch patch {
        case .object(let fields): patchFields = fields
        case .null: return original
        default:
            throw StrategicMergePatchError(
                .badRequest, "json: cannot unmarshal \(patch.typeName) into Go value of type map[string]interface {}")
        }
        guard let definition = schema.definition(group: group, version: version, kind: kind) else {
            return MergePatch.apply(patch, to: original)
        }
        let node = PatchSchemaNode(shape: .definition(definition), schema: schema)
        return .object(try mergeMap(original.objectValue ?? [:], patchFields, node))
    }

    /// The two-way patch kubectl computes (`CreateTwoWayMergePatch`) from `original` to `modified`:
    /// `apply(createTwoWay(original: a, modified: b, …), to: a, …) == b` for objects whose merged lists have
    /// unique merge keys.
    public static func createTwoWay(
        original: JSONValue, modified: JSONValue, group: String, version: String, kind: String, schema: APISchema
    ) throws(StrategicMergePatchError) -> JSONValue {
        guard let originalFields = documentFields(original), let modifiedFields = documentFields(modified) else {
            throw .badJSONDocument
        }
        let node = PatchSchemaNode(
            shape: schema.definition(group: group, version: version, kind: kind).map(PatchSchemaNode.Shape.definition)
                ?? .unknown,
            schema: schema)
        return .object(try diffMaps(originalFields, modifiedFields, node, buildRetainKeys: false))
    }

    private static func documentFields(_ document: JSONValue) -> [String: JSONValue]? {
        switch document {
        case .object(let fields): return fields
        case .null: return [:]
        default: return nil
        }
    }
}
