import APIMachinery

/// Turns the OpenAPI v2 spec into the per-group-version OpenAPI v3 documents Kubernetes serves at
/// `/openapi/v3/<path>`: paths of one group-version, `requestBody`/`content` instead of body parameters and
/// `produces`/`consumes`, refs under `#/components/schemas/`, and every `x-kubernetes-*` extension kept.
struct OpenAPIV3Converter {
    private let paths: [String: JSONValue]
    private let definitions: [String: JSONValue]
    private let sharedParameters: [String: JSONValue]

    private static let v2Prefix = "#/definitions/"
    private static let v3Prefix = "#/components/schemas/"
    /// Skiff does not speak CBOR; advertising it would invite clients to ask for it.
    private static func isServedMediaType(_ type: String) -> Bool { !type.contains("cbor") }

    init(spec: JSONValue) {
        paths = spec["paths"]?.objectValue ?? [:]
        definitions = spec["definitions"]?.objectValue ?? [:]
        sharedParameters = spec["parameters"]?.objectValue ?? [:]
    }

    /// The document for `api/v1` or `apis/<group>/<version>`.
    func document(for groupVersion: GroupVersion) -> JSONValue {
        let prefix = Self.pathPrefix(groupVersion)
        var convertedPaths: [String: JSONValue] = [:]
        var referenced: [String] = []
        for (path, item) in paths where path.hasPrefix(prefix) {
            convertedPaths[path] = convertPathItem(item, references: &referenced)
        }
        return [
            "openapi": "3.0.0",
            "info": ["title": "Kubernetes", "version": "unversioned"],
            "paths": .object(convertedPaths),
            "components": [
                "schemas": .object(schemas(reachableFrom: referenced)),
                "securitySchemes": [
                    "BearerToken": [
                        "type": "apiKey", "name": "authorization", "in": "header",
                        "description": "Bearer Token authentication",
                    ]
                ],
            ],
        ]
    }

    /// The `/openapi/v3` index key of a group-version: `api/v1`, `apis/apps/v1`.
    static func indexPath(_ groupVersion: GroupVersion) -> String {
        groupVersion.group.isEmpty ? "api/\(groupVersion.version)" : "apis/\(groupVersion.group)/\(groupVersion.version)"
    }

    func hasPaths(for groupVersion: GroupVersion) -> Bool {
        let prefix = Self.pathPrefix(groupVersion)
        return paths.keys.contains { $0.hasPrefix(prefix) }
    }

    private static func pathPrefix(_ groupVersion: GroupVersion) -> String {
        "/\(indexPath(groupVersion))/"
    }

    private func convertPathItem(_ item: JSONValue, references: inout [String]) -> JSONValue {
        guard let fields = item.objectValue else { return item }
        var converted: [String: JSONValue] = [:]
        for (key, value) in fields {
            if key == "parameters" {
                let parameters = (value.arrayValue ?? []).map { convertParameter(resolve($0), references: &references) }
                converted[key] = .array(parameters)
            } else if let operation = value.objectValue {
                converted[key] = convertOperation(operation, references: &references)
            } else {
                converted[key] = value
            }
        }
        return .object(converted)
    }

    private func convertOperation(_ operation: [String: JSONValue], references: inout [String]) -> JSONValue {
        let consumes = (operation["consumes"]?.arrayValue ?? []).compactMap(\.stringValue).filter(Self.isServedMediaType)
        let produces = (operation["produces"]?.arrayValue ?? []).compactMap(\.stringValue).filter(Self.isServedMediaType)
        var converted: [String: JSONValue] = [:]
        for (key, value) in operation {
            switch key {
            case "consumes", "produces", "schemes":
                continue
            case "parameters":
                var parameters: [JSONValue] = []
                for parameter in (value.arrayValue ?? []).map(resolve) {
                    if parameter["in"]?.stringValue == "body" {
                        let schema = convertSchema(parameter["schema"] ?? .emptyObject, references: &references)
                        var body: [String: JSONValue] = [
                            "content": .object(Dictionary(uniqueKeysWithValues: consumes.map { ($0, ["schema": schema]) }))
                        ]
                        if parameter["required"]?.boolValue == true { body["required"] = true }
                        converted["requestBody"] = .object(body)
                    } else {
                        parameters.append(convertParameter(parameter, references: &references))
                    }
                }
                if !parameters.isEmpty { converted["parameters"] = .array(parameters) }
            case "responses":
                var responses: [String: JSONValue] = [:]
                for (code, response) in value.objectValue ?? [:] {
                    var convertedResponse = response.objectValue ?? [:]
                    if let schema = convertedResponse.removeValue(forKey: "schema") {
                        let converted = convertSchema(schema, references: &references)
                        let types = produces.isEmpty ? ["*/*"] : produces
                        convertedResponse["content"] = .object(
                            Dictionary(uniqueKeysWithValues: types.map { ($0, ["schema": converted]) })
                        )
                    }
                    responses[code] = .object(convertedResponse)
                }
                converted["responses"] = .object(responses)
            default:
                converted[key] = value
            }
        }
        return .object(converted)
    }

    /// A v2 parameter keeps its name, location, description and `required`; its type moves into `schema`.
    private func convertParameter(_ parameter: JSONValue, references: inout [String]) -> JSONValue {
        guard let fields = parameter.objectValue else { return parameter }
        var converted: [String: JSONValue] = [:]
        var schema: [String: JSONValue] = [:]
        for (key, value) in fields {
            switch key {
            case "type", "format", "items", "uniqueItems", "enum", "default", "maximum", "minimum", "collectionFormat":
                if key != "collectionFormat" { schema[key] = value }
            case "schema":
                converted["schema"] = convertSchema(value, references: &references)
            default:
                converted[key] = value
            }
        }
        if !schema.isEmpty { converted["schema"] = .object(schema) }
        return .object(converted)
    }

    private func resolve(_ parameter: JSONValue) -> JSONValue {
        guard let reference = parameter["$ref"]?.stringValue, let name = reference.split(separator: "/").last else {
            return parameter
        }
        return sharedParameters[String(name)] ?? parameter
    }

    /// Rewrites refs and, as Kubernetes' v3 builder does, wraps a ref that has siblings (a description) in `allOf`.
    private func convertSchema(_ schema: JSONValue, references: inout [String]) -> JSONValue {
        switch schema {
        case .object(let fields):
            var converted: [String: JSONValue] = [:]
            var reference: JSONValue?
            for (key, value) in fields {
                switch key {
                case "$ref":
                    guard let text = value.stringValue, text.hasPrefix(Self.v2Prefix) else {
                        converted[key] = value
                        continue
                    }
                    let name = String(text.dropFirst(Self.v2Prefix.count))
                    references.append(name)
                    reference = .string(Self.v3Prefix + name)
                case "properties":
                    var properties: [String: JSONValue] = [:]
                    for (name, property) in value.objectValue ?? [:] {
                        properties[name] = convertSchema(property, references: &references)
                    }
                    converted[key] = .object(properties)
                case "items", "additionalProperties":
                    converted[key] = convertSchema(value, references: &references)
                default:
                    converted[key] = value
                }
            }
            guard let reference else { return .object(converted) }
            if converted.isEmpty { return ["$ref": reference] }
            converted["allOf"] = [["$ref": reference]]
            return .object(converted)
        default:
            return schema
        }
    }

    private func schemas(reachableFrom roots: [String]) -> [String: JSONValue] {
        var pending = roots
        var result: [String: JSONValue] = [:]
        while let name = pending.popLast() {
            guard result[name] == nil, let definition = definitions[name] else { continue }
            result[name] = convertDefinition(name: name, definition, references: &pending)
        }
        return result
    }

    private func convertDefinition(name: String, _ definition: JSONValue, references: inout [String]) -> JSONValue {
        var converted = convertSchema(definition, references: &references)
        // OpenAPI v3 can say what v2 could not: these two accept a number as well as a string.
        switch name {
        case "io.k8s.apimachinery.pkg.util.intstr.IntOrString":
            converted["type"] = nil
            converted["oneOf"] = [["type": "integer"], ["type": "string"]]
        case "io.k8s.apimachinery.pkg.api.resource.Quantity":
            converted["type"] = nil
            converted["oneOf"] = [["type": "string"], ["type": "number"]]
        default:
            break
        }
        return converted
    }
}
