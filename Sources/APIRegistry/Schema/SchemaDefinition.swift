/// One object type of the built-in API (an OpenAPI definition), reduced to what decoding and patching need.
public struct SchemaDefinition: Sendable, Hashable {
    /// The OpenAPI definition name: `io.k8s.api.apps.v1.DeploymentSpec`.
    public var name: String
    /// The kinds this definition is the top-level schema of (usually none or one).
    public var kinds: [SchemaKind]
    public var properties: [String: SchemaProperty]
    public var required: [String]

    public init(name: String, kinds: [SchemaKind], properties: [String: SchemaProperty], required: [String]) {
        self.name = name
        self.kinds = kinds
        self.properties = properties
        self.required = required
    }

    /// The Go type as Kubernetes' decoding errors print it: `v1.DeploymentSpec`.
    public var goTypeName: String {
        let components = name.split(separator: ".")
        guard components.count >= 2 else { return name }
        return "\(components[components.count - 2]).\(components[components.count - 1])"
    }

    /// The bare Go struct name, as in `Go struct field DeploymentSpec.spec.replicas`.
    public var goStructName: String {
        name.split(separator: ".").last.map(String.init) ?? name
    }
}

/// A group, version and kind that a definition describes.
public struct SchemaKind: Sendable, Hashable {
    public var group: String
    public var version: String
    public var kind: String

    public init(group: String, version: String, kind: String) {
        self.group = group
        self.version = version
        self.kind = kind
    }
}

/// A field of a definition with the patch metadata of the spec's `x-kubernetes-*` extensions.
public struct SchemaProperty: Sendable, Hashable {
    public var type: SchemaType
    /// `x-kubernetes-patch-merge-key`: the field that identifies list items in a strategic merge patch.
    public var patchMergeKey: String?
    /// `x-kubernetes-patch-strategy`: `merge`, `retainKeys` or `merge,retainKeys`.
    public var patchStrategy: String?
    /// `x-kubernetes-list-type`: `atomic`, `set` or `map`.
    public var listType: String?
    /// `x-kubernetes-list-map-keys`, for `listType == "map"`.
    public var listMapKeys: [String]
    /// `x-kubernetes-map-type`: `atomic` or `granular`.
    public var mapType: String?

    public init(
        type: SchemaType, patchMergeKey: String? = nil, patchStrategy: String? = nil, listType: String? = nil,
        listMapKeys: [String] = [], mapType: String? = nil
    ) {
        self.type = type
        self.patchMergeKey = patchMergeKey
        self.patchStrategy = patchStrategy
        self.listType = listType
        self.listMapKeys = listMapKeys
        self.mapType = mapType
    }

    /// Whether a strategic merge patch merges this list by item rather than replacing it.
    public var mergesListItems: Bool {
        patchStrategy?.split(separator: ",").contains("merge") ?? false
    }
}

/// The type of a field, with the Kubernetes types that decode specially kept apart.
public indirect enum SchemaType: Sendable, Hashable {
    case string
    /// A base64 string decoded into bytes (`Secret.data`).
    case bytes
    case int32
    case int64
    case number
    case boolean
    /// `resource.Quantity`: a string such as `500m` or `1Gi`, or a JSON number.
    case quantity
    /// `metav1.Time`: an RFC 3339 string.
    case time
    /// `metav1.MicroTime`: an RFC 3339 string with microseconds.
    case microTime
    /// `intstr.IntOrString`: a JSON string or an int32.
    case intOrString
    /// Any JSON (`RawExtension`, `FieldsV1`, free-form objects).
    case any
    /// An object of the named definition.
    case reference(String)
    case array(SchemaType)
    /// A JSON object whose values all have the element type (`map[string]T`).
    case map(SchemaType)
}
