import APIMachinery

/// How server-side apply treats a value: structured-merge-diff's reading of the OpenAPI schema.
indirect enum ApplyType: Sendable {
    /// A string, number or boolean: replaced and owned as one field.
    case scalar
    /// An atomic list or map (or a struct marked `x-kubernetes-map-type: atomic`): replaced and owned whole.
    case atomic
    /// A struct with declared fields; each field is owned on its own.
    case structure(SchemaDefinition)
    /// `map[string]T`: each key is owned on its own.
    case map(ApplyType)
    /// A list of objects identified by key fields (`x-kubernetes-list-type: map`, or a patch merge key).
    case associativeList(keys: [String], keyDefaults: [String: JSONValue], element: ApplyType)
    /// A list of scalars where each value is owned on its own (`x-kubernetes-list-type: set`).
    case set
    /// Free-form JSON (`RawExtension`, unknown fields): objects are granular, lists atomic.
    case untyped
}
