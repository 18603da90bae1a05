/// What strategic merge patch knows about one level of an object: the fields of a definition, the values of a
/// `map[string]T`, or nothing (free-form JSON such as `RawExtension`, where JSON merge patch rules apply).
struct PatchSchemaNode: Sendable {
    enum Shape: Sendable {
        case definition(SchemaDefinition)
        case map(SchemaType)
        case unknown
    }

    let shape: Shape
    let schema: APISchema
    /// The `reflect.Kind` of the Go type, which Kubernetes' `cannot merge lists without merge key for …` prints.
    let goKindName: String

    init(shape: Shape, schema: APISchema, goKindName: String = "struct") {
        self.shape = shape
        self.schema = schema
        self.goKindName = goKindName
    }

    /// The node describing a value of `type`; for a list, the node of its items.
    init(type: SchemaType?, schema: APISchema) {
        switch type {
        case .array(let element):
            self.init(type: element, schema: schema)
        case .reference(let name):
            self.init(shape: schema.definition(named: name).map(Shape.definition) ?? .unknown, schema: schema)
        case .map(let element):
            self.init(shape: .map(element), schema: schema, goKindName: "map")
        default:
            self.init(shape: .unknown, schema: schema, goKindName: type.map(Self.goKindName) ?? "interface")
        }
    }

    private static func goKindName(_ type: SchemaType) -> String {
        switch type {
        case .string: return "string"
        case .int32: return "int32"
        case .int64: return "int64"
        case .number: return "float64"
        case .boolean: return "bool"
        case .bytes, .array: return "slice"
        case .map: return "map"
        case .quantity, .time, .microTime, .intOrString, .any, .reference: return "struct"
        }
    }

    var isKnown: Bool {
        if case .unknown = shape { return false }
        return true
    }

    /// The patch metadata of the field `name` of a value at this level.
    func field(_ name: String) -> PatchField {
        switch shape {
        case .definition(let definition):
            guard let property = definition.properties[name] else { return PatchField(type: nil, schema: schema) }
            return PatchField(
                type: property.type, schema: schema, strategies: property.patchStrategy,
                mergeKey: property.patchMergeKey ?? "")
        case .map(let element):
            return PatchField(type: element, schema: schema)
        case .unknown:
            return PatchField(type: nil, schema: schema)
        }
    }
}

/// A field's `x-kubernetes-patch-strategy` and `x-kubernetes-patch-merge-key`, and the schema of its value.
struct PatchField: Sendable {
    /// The field's type; `nil` when the schema does not describe it.
    let type: SchemaType?
    /// The strategy other than `retainKeys`: `merge`, `replace` or empty.
    let strategy: String
    /// Whether the strategy includes `retainKeys`.
    let retainsKeys: Bool
    let mergeKey: String
    /// The node of the field's value, or of its items for a list.
    let valueNode: PatchSchemaNode

    init(type: SchemaType?, schema: APISchema, strategies: String? = nil, mergeKey: String = "") {
        self.type = type
        let parts = (strategies ?? "").split(separator: ",").map(String.init)
        retainsKeys = parts.contains(StrategicMergePatch.retainKeysStrategy)
        strategy = parts.first { $0 != StrategicMergePatch.retainKeysStrategy } ?? ""
        self.mergeKey = mergeKey
        valueNode = PatchSchemaNode(type: type, schema: schema)
    }

    var mergesItems: Bool { strategy == StrategicMergePatch.mergeDirective }
    var replaces: Bool { strategy == StrategicMergePatch.replaceDirective }
}
