import APIMachinery

/// The schema lookups server-side apply needs, over the built-in API's compact schema.
struct ApplySchema: Sendable {
    let schema: APISchema

    /// Definitions whose OpenAPI schema says `x-kubernetes-map-type: atomic` at the definition level, which the compact
    /// schema does not carry (from the 1.32 spec).
    static let atomicDefinitions: Set<String> = [
        "io.k8s.api.admissionregistration.v1.MatchResources",
        "io.k8s.api.admissionregistration.v1.NamedRuleWithOperations",
        "io.k8s.api.admissionregistration.v1.ParamKind",
        "io.k8s.api.admissionregistration.v1.ParamRef",
        "io.k8s.api.admissionregistration.v1.Variable",
        "io.k8s.api.admissionregistration.v1alpha1.MatchResources",
        "io.k8s.api.admissionregistration.v1alpha1.NamedRuleWithOperations",
        "io.k8s.api.admissionregistration.v1alpha1.ParamKind",
        "io.k8s.api.admissionregistration.v1alpha1.ParamRef",
        "io.k8s.api.admissionregistration.v1beta1.MatchResources",
        "io.k8s.api.admissionregistration.v1beta1.NamedRuleWithOperations",
        "io.k8s.api.admissionregistration.v1beta1.ParamKind",
        "io.k8s.api.admissionregistration.v1beta1.ParamRef",
        "io.k8s.api.admissionregistration.v1beta1.Variable",
        "io.k8s.api.autoscaling.v1.CrossVersionObjectReference",
        "io.k8s.api.core.v1.ConfigMapKeySelector",
        "io.k8s.api.core.v1.EndpointAddress",
        "io.k8s.api.core.v1.EndpointPort",
        "io.k8s.api.core.v1.FileKeySelector",
        "io.k8s.api.core.v1.LocalObjectReference",
        "io.k8s.api.core.v1.NodeSelector",
        "io.k8s.api.core.v1.NodeSelectorTerm",
        "io.k8s.api.core.v1.ObjectFieldSelector",
        "io.k8s.api.core.v1.ObjectReference",
        "io.k8s.api.core.v1.ResourceFieldSelector",
        "io.k8s.api.core.v1.ScopeSelector",
        "io.k8s.api.core.v1.SecretKeySelector",
        "io.k8s.api.core.v1.SecretReference",
        "io.k8s.api.core.v1.TopologySelectorTerm",
        "io.k8s.api.core.v1.TypedLocalObjectReference",
        "io.k8s.api.discovery.v1.EndpointPort",
        "io.k8s.api.networking.v1.ServiceBackendPort",
        "io.k8s.api.rbac.v1.RoleRef",
        "io.k8s.api.rbac.v1.Subject",
        "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
        "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
    ]

    /// Defaults of list-map key fields (OpenAPI v3 `default`), which let an item that omits the key still match:
    /// `ports: [{containerPort: 80}]` is the item `k:{"containerPort":80,"protocol":"TCP"}`.
    static let keyDefaults: [String: [String: JSONValue]] = [
        "io.k8s.api.core.v1.ContainerPort": ["protocol": "TCP"],
        "io.k8s.api.core.v1.ServicePort": ["protocol": "TCP"],
    ]

    /// Struct fields Go serializes even when empty (non-pointer structs), so an object created from Go's zero value
    /// already has them; the OpenAPI spec does not tell pointers from values, so the common ones are named here.
    static let valueStructFields: Set<String> = ["metadata", "spec", "status", "template", "strategy", "updateStrategy", "jobTemplate"]

    /// The type of a whole object of a kind; free-form when the kind is not built in.
    func rootType(group: String, version: String, kind: String) -> ApplyType {
        schema.definition(group: group, version: version, kind: kind).map(ApplyType.structure) ?? .untyped
    }

    /// The type of a declared field of a struct, or nil when the struct does not declare it.
    func fieldType(of definition: SchemaDefinition, _ name: String) -> ApplyType? {
        definition.properties[name].map(type(of:))
    }

    func type(of property: SchemaProperty) -> ApplyType {
        switch property.type {
        case .array(let element):
            return listType(property: property, element: element)
        case .map(let element):
            return property.mapType == "atomic" ? .atomic : .map(type(of: element))
        default:
            return type(of: property.type)
        }
    }

    func type(of schemaType: SchemaType) -> ApplyType {
        switch schemaType {
        case .string, .bytes, .int32, .int64, .number, .boolean, .quantity, .time, .microTime, .intOrString:
            return .scalar
        case .any:
            return .untyped
        case .reference(let name):
            guard !Self.atomicDefinitions.contains(name), let definition = schema.definition(named: name) else {
                return schema.definition(named: name) == nil ? .untyped : .atomic
            }
            return .structure(definition)
        case .array:
            return .atomic
        case .map(let element):
            return .map(type(of: element))
        }
    }

    /// Lists follow `x-kubernetes-list-type`; a list with only a patch merge key is keyed by it, as structured-merge-diff
    /// reads the built-in types; anything else is atomic.
    private func listType(property: SchemaProperty, element: SchemaType) -> ApplyType {
        let elementType = type(of: element)
        switch property.listType {
        case "map" where !property.listMapKeys.isEmpty:
            return associativeList(keys: property.listMapKeys, element: element, elementType: elementType)
        case "set":
            return .set
        case "atomic":
            return .atomic
        default:
            if let key = property.patchMergeKey {
                return associativeList(keys: [key], element: element, elementType: elementType)
            }
            if property.mergesListItems, case .scalar = elementType { return .set }
            return .atomic
        }
    }

    private func associativeList(keys: [String], element: SchemaType, elementType: ApplyType) -> ApplyType {
        var defaults: [String: JSONValue] = [:]
        if case .reference(let name) = element { defaults = Self.keyDefaults[name] ?? [:] }
        return .associativeList(keys: keys, keyDefaults: defaults, element: elementType)
    }

    /// The object Go's zero value of a kind serializes to; Kubernetes compares a created object against it, which
    /// decides whether containers present in it (`spec`, `spec.template`) are recorded as added.
    func zeroObject(group: String, version: String, kind: String) -> JSONValue {
        guard let definition = schema.definition(group: group, version: version, kind: kind) else { return .emptyObject }
        return zeroObject(definition, depth: 0)
    }

    private func zeroObject(_ definition: SchemaDefinition, depth: Int) -> JSONValue {
        var fields: [String: JSONValue] = [:]
        guard depth < 8 else { return .emptyObject }
        for (name, property) in definition.properties {
            if Self.valueStructFields.contains(name), case .reference(let reference) = property.type,
                !Self.atomicDefinitions.contains(reference), let child = schema.definition(named: reference)
            {
                fields[name] = zeroObject(child, depth: depth + 1)
            } else if definition.required.contains(name) {
                fields[name] = .null
            }
        }
        return .object(fields)
    }
}
