// Encodes a Swagger 2.0 (OpenAPI v2) JSON document as the protobuf `openapi.v2.Document` message of
// gnostic-models (github.com/google/gnostic-models, openapiv2/OpenAPIv2.proto): the body kube-apiserver serves at
// `/openapi/v2` for `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, and what client-go's
// discovery `OpenAPISchema()` unmarshals for kubectl.
//
// kube-apiserver builds those bytes with kube-openapi's `ToProtoBinary`, which is
// `proto.Marshal(openapi_v2.ParseDocument(json))`: go-yaml v3 decodes the JSON into a node tree, gnostic's generated
// `New*` functions turn the tree into messages, and protobuf-go marshals them. This file reproduces that pipeline:
//
// * the message layouts below mirror OpenAPIv2.proto, and the decoding rules mirror gnostic's generated parser
//   (OpenAPIv2.go): which JSON key feeds which field, which scalars a field accepts, and the checks (required keys,
//   unknown keys, enumerated values) whose failures decide which branch of a `oneof` is taken — gnostic tries every
//   branch and keeps the last one that parsed without error;
// * `Any` values (`default`, `example`, `enum` items and every `x-*` vendor extension) carry the value as YAML text,
//   produced as gnostic does (`yaml.Marshal` of the node with its styles cleared) by a port of the parts of go-yaml
//   v3's emitter that a JSON-shaped tree reaches: block style with 4-space indentation, `{}`/`[]` for empty
//   collections, and its choice of plain, quoted or literal scalars;
// * strings are first adjusted the way go-yaml reads them back from the JSON that Go's encoding/json wrote (a raw
//   U+0085 is a line break to YAML; see `GoYAMLStrings`);
// * fields are written in field-number order with proto3 rules (zero scalars left out, present sub-messages written
//   even when empty), as protobuf-go does, so the bytes can be compared with the Go pipeline's.
//
// Verified byte for byte against that Go pipeline (gnostic-models + go-yaml v3 + protobuf-go) on Kubernetes' spec
// and on a few thousand generated documents, valid and invalid.
//
// The one known difference from kube-apiserver: a `JSONValue` object does not keep its keys' order, so map-like
// members (definitions, properties, paths, responses, vendor extensions, and the keys inside YAML texts) come out in
// byte order of their keys, which is also the order Go's `encoding/json` gives the maps kube-openapi marshals.

import APIMachinery

/// Encoder from a Swagger 2.0 document to the protobuf bytes of gnostic's `openapi.v2.Document`.
public enum OpenAPIv2Protobuf {
    /// The protobuf encoding of `document` as an `openapi.v2.Document`.
    ///
    /// Never fails: parts of the document that gnostic would reject are encoded the way gnostic leaves them (see
    /// `encodeReportingProblems` to learn about them).
    public static func encode(_ document: JSONValue) -> [UInt8] {
        encodeReportingProblems(document).bytes
    }

    /// The protobuf encoding of `document`, with the problems gnostic's `ParseDocument` would report for it.
    ///
    /// kube-apiserver fails the protobuf request when gnostic reports a problem, so a non-empty `problems` means the
    /// document is not valid Swagger 2.0 as gnostic reads it. Each problem is a JSON pointer and a message.
    public static func encodeReportingProblems(_ document: JSONValue) -> (bytes: [UInt8], problems: [String]) {
        let (readable, readingProblems) = GoYAMLStrings.normalized(document)
        let encoded = Message.document.encode(readable ?? document)
        // Reading problems are found in dictionary order; sort them so that the report is stable.
        return (encoded.bytes, readingProblems.map(\.description).sorted() + encoded.problems.map(\.description))
    }
}

// MARK: - Message layouts

extension OpenAPIv2Protobuf {
    /// The messages of OpenAPIv2.proto that a document can contain.
    fileprivate enum Message: Sendable {
        case document, info, contact, license, externalDocs, tag, xml
        case schema, fileSchema, schemaItem, properties, definitions, additionalPropertiesItem, typeItem, itemsItem
        case paths, pathItem, operation, parametersItem, parameter, bodyParameter, nonBodyParameter
        case headerParameterSubSchema, formDataParameterSubSchema, queryParameterSubSchema, pathParameterSubSchema
        case primitivesItems, jsonReference, responses, responseValue, response, headers, header, examples
        case parameterDefinitions, responseDefinitions
        case securityRequirement, stringArray, securityDefinitions, securityDefinitionsItem
        case basicAuthenticationSecurity, apiKeySecurity, oauth2ImplicitSecurity, oauth2PasswordSecurity
        case oauth2ApplicationSecurity, oauth2AccessCodeSecurity, oauth2Scopes
    }

    /// How a message is read from JSON.
    fileprivate enum Layout: Sendable {
        /// A JSON object whose keys feed fields.
        case object(ObjectSpec)
        /// A `oneof` whose branches are all messages read from the same JSON value.
        case oneOf(name: String, branches: [Branch])
        /// `AdditionalPropertiesItem`: a schema, or a boolean.
        case additionalPropertiesItem
        /// `TypeItem`: a type name, or a list of them.
        case typeItem
        /// `ItemsItem`: one schema (gnostic does not read the array form of `items`).
        case itemsItem
        /// `StringArray`: the values of a security requirement.
        case stringArray
    }

    /// A branch of a `oneof`.
    fileprivate struct Branch: Sendable {
        let number: Int
        let message: Message
    }

    /// The fields of a message read from a JSON object, and the checks gnostic makes on that object.
    fileprivate struct ObjectSpec: Sendable {
        /// Keys gnostic requires (`requiredKeys`).
        let required: [String]
        /// Whether gnostic rejects keys that feed no field (`allowedKeys` / `allowedPatterns`).
        let rejectsUnknownKeys: Bool
        /// The fields, in field-number order.
        let fields: [Field]
        /// Keys that feed a single field.
        let knownKeys: Set<String>
        /// Whether a field collects keys by pattern (so gnostic walks the value's content in key/value pairs).
        let readsEntries: Bool

        init(required: [String] = [], rejectsUnknownKeys: Bool = true, _ fields: [Field]) {
            self.required = required
            self.rejectsUnknownKeys = rejectsUnknownKeys
            self.fields = fields.sorted { $0.number < $1.number }
            var keys = Set<String>()
            var readsEntries = false
            for field in fields {
                switch field.source {
                case .key(let key): keys.insert(key)
                case .entries: readsEntries = true
                }
            }
            self.knownKeys = keys
            self.readsEntries = readsEntries
        }

        /// Whether gnostic accepts `key` in this object.
        func allows(_ key: String) -> Bool {
            if knownKeys.contains(key) { return true }
            return fields.contains { field in
                if case .entries(let filter) = field.source { return filter.matches(key) }
                return false
            }
        }
    }

    /// One field of a message read from a JSON object.
    fileprivate struct Field: Sendable {
        /// Where the field's value comes from.
        enum Source: Sendable {
            /// The value of one key.
            case key(String)
            /// Every key that passes the filter, as a repeated `Named*` message (`name` = 1, `value` = 2).
            case entries(KeyFilter)
        }

        /// The field's type, and how gnostic converts JSON to it.
        enum Kind: Sendable {
            /// `string`, from a string, an integer (its digits) or null (""); optionally one of a set of values.
            case string(oneOf: [String]? = nil)
            /// `bool`, from a boolean.
            case bool
            /// `int64`, from an integer.
            case int64
            /// `double`, from any number.
            case double
            /// `repeated string`, from an array (elements that are not string-like are skipped).
            case strings(oneOf: [String]? = nil)
            /// `Any`, holding the value as YAML.
            case any
            /// `repeated Any`, from an array.
            case anys
            /// A sub-message.
            case message(Message)
            /// A repeated sub-message, from an array.
            case messages(Message)
        }

        let number: Int
        let source: Source
        let kind: Kind

        init(_ number: Int, _ key: String, _ kind: Kind) {
            self.number = number
            self.source = .key(key)
            self.kind = kind
        }

        init(_ number: Int, entries filter: KeyFilter, _ kind: Kind) {
            self.number = number
            self.source = .entries(filter)
            self.kind = kind
        }

        /// The `vendor_extension` field: every `x-*` key, as `NamedAny`.
        static func vendorExtensions(_ number: Int) -> Field {
            Field(number, entries: .prefix("x-"), .any)
        }
    }

    /// Which keys of an object feed a map-like field.
    fileprivate enum KeyFilter: Sendable {
        case all
        case prefix(String)
        /// gnostic's `^([0-9]{3})$|^(default)$`.
        case responseCode

        func matches(_ key: String) -> Bool {
            switch self {
            case .all:
                return true
            case .prefix(let prefix):
                return key.hasPrefix(prefix)
            case .responseCode:
                return key == "default" || (key.utf8.count == 3 && key.utf8.allSatisfy { (0x30...0x39).contains($0) })
            }
        }
    }
}

extension OpenAPIv2Protobuf.Message {
    fileprivate typealias Layout = OpenAPIv2Protobuf.Layout
    fileprivate typealias Specs = OpenAPIv2Protobuf.Specs

    fileprivate var layout: Layout {
        switch self {
        case .document: return .object(Specs.document)
        case .info: return .object(Specs.info)
        case .contact: return .object(Specs.contact)
        case .license: return .object(Specs.license)
        case .externalDocs: return .object(Specs.externalDocs)
        case .tag: return .object(Specs.tag)
        case .xml: return .object(Specs.xml)
        case .schema: return .object(Specs.schema)
        case .fileSchema: return .object(Specs.fileSchema)
        case .schemaItem:
            return .oneOf(name: "SchemaItem", branches: Specs.schemaItemBranches)
        case .properties, .definitions: return .object(Specs.schemaMap)
        case .additionalPropertiesItem: return .additionalPropertiesItem
        case .typeItem: return .typeItem
        case .itemsItem: return .itemsItem
        case .paths: return .object(Specs.paths)
        case .pathItem: return .object(Specs.pathItem)
        case .operation: return .object(Specs.operation)
        case .parametersItem:
            return .oneOf(name: "ParametersItem", branches: Specs.parametersItemBranches)
        case .parameter:
            return .oneOf(name: "Parameter", branches: Specs.parameterBranches)
        case .bodyParameter: return .object(Specs.bodyParameter)
        case .nonBodyParameter:
            return .oneOf(name: "NonBodyParameter", branches: Specs.nonBodyParameterBranches)
        case .headerParameterSubSchema: return .object(Specs.headerParameter)
        case .formDataParameterSubSchema: return .object(Specs.formDataParameter)
        case .queryParameterSubSchema: return .object(Specs.queryParameter)
        case .pathParameterSubSchema: return .object(Specs.pathParameter)
        case .primitivesItems: return .object(Specs.primitivesItems)
        case .jsonReference: return .object(Specs.jsonReference)
        case .responses: return .object(Specs.responses)
        case .responseValue:
            return .oneOf(name: "ResponseValue", branches: Specs.responseValueBranches)
        case .response: return .object(Specs.response)
        case .headers: return .object(Specs.headers)
        case .header: return .object(Specs.header)
        case .examples: return .object(Specs.anyMap)
        case .parameterDefinitions: return .object(Specs.parameterDefinitions)
        case .responseDefinitions: return .object(Specs.responseDefinitions)
        case .securityRequirement: return .object(Specs.securityRequirement)
        case .stringArray: return .stringArray
        case .securityDefinitions: return .object(Specs.securityDefinitions)
        case .securityDefinitionsItem:
            return .oneOf(name: "SecurityDefinitionsItem", branches: Specs.securityDefinitionsItemBranches)
        case .basicAuthenticationSecurity: return .object(Specs.basicAuthentication)
        case .apiKeySecurity: return .object(Specs.apiKey)
        case .oauth2ImplicitSecurity: return .object(Specs.oauth2Implicit)
        case .oauth2PasswordSecurity: return .object(Specs.oauth2Password)
        case .oauth2ApplicationSecurity: return .object(Specs.oauth2Application)
        case .oauth2AccessCodeSecurity: return .object(Specs.oauth2AccessCode)
        case .oauth2Scopes: return .object(Specs.oauth2Scopes)
        }
    }
}

extension OpenAPIv2Protobuf {
    /// The object layouts, transcribed from OpenAPIv2.proto (field numbers) and OpenAPIv2.go (keys and checks).
    fileprivate enum Specs {
        private static let schemes = ["http", "https", "ws", "wss"]
        private static let primitiveTypes = ["string", "number", "boolean", "integer", "array"]
        private static let collectionFormats = ["csv", "ssv", "tsv", "pipes"]
        private static let collectionFormatsWithMulti = ["csv", "ssv", "tsv", "pipes", "multi"]

        static let document = ObjectSpec(required: ["info", "paths", "swagger"], [
            Field(1, "swagger", .string(oneOf: ["2.0"])),
            Field(2, "info", .message(.info)),
            Field(3, "host", .string()),
            Field(4, "basePath", .string()),
            Field(5, "schemes", .strings(oneOf: schemes)),
            Field(6, "consumes", .strings()),
            Field(7, "produces", .strings()),
            Field(8, "paths", .message(.paths)),
            Field(9, "definitions", .message(.definitions)),
            Field(10, "parameters", .message(.parameterDefinitions)),
            Field(11, "responses", .message(.responseDefinitions)),
            Field(12, "security", .messages(.securityRequirement)),
            Field(13, "securityDefinitions", .message(.securityDefinitions)),
            Field(14, "tags", .messages(.tag)),
            Field(15, "externalDocs", .message(.externalDocs)),
            .vendorExtensions(16),
        ])

        static let info = ObjectSpec(required: ["title", "version"], [
            Field(1, "title", .string()),
            Field(2, "version", .string()),
            Field(3, "description", .string()),
            Field(4, "termsOfService", .string()),
            Field(5, "contact", .message(.contact)),
            Field(6, "license", .message(.license)),
            .vendorExtensions(7),
        ])

        static let contact = ObjectSpec([
            Field(1, "name", .string()),
            Field(2, "url", .string()),
            Field(3, "email", .string()),
            .vendorExtensions(4),
        ])

        static let license = ObjectSpec(required: ["name"], [
            Field(1, "name", .string()),
            Field(2, "url", .string()),
            .vendorExtensions(3),
        ])

        static let externalDocs = ObjectSpec(required: ["url"], [
            Field(1, "description", .string()),
            Field(2, "url", .string()),
            .vendorExtensions(3),
        ])

        static let tag = ObjectSpec(required: ["name"], [
            Field(1, "name", .string()),
            Field(2, "description", .string()),
            Field(3, "externalDocs", .message(.externalDocs)),
            .vendorExtensions(4),
        ])

        static let xml = ObjectSpec([
            Field(1, "name", .string()),
            Field(2, "namespace", .string()),
            Field(3, "prefix", .string()),
            Field(4, "attribute", .bool),
            Field(5, "wrapped", .bool),
            .vendorExtensions(6),
        ])

        static let schema = ObjectSpec([
            Field(1, "$ref", .string()),
            Field(2, "format", .string()),
            Field(3, "title", .string()),
            Field(4, "description", .string()),
            Field(5, "default", .any),
            Field(6, "multipleOf", .double),
            Field(7, "maximum", .double),
            Field(8, "exclusiveMaximum", .bool),
            Field(9, "minimum", .double),
            Field(10, "exclusiveMinimum", .bool),
            Field(11, "maxLength", .int64),
            Field(12, "minLength", .int64),
            Field(13, "pattern", .string()),
            Field(14, "maxItems", .int64),
            Field(15, "minItems", .int64),
            Field(16, "uniqueItems", .bool),
            Field(17, "maxProperties", .int64),
            Field(18, "minProperties", .int64),
            Field(19, "required", .strings()),
            Field(20, "enum", .anys),
            Field(21, "additionalProperties", .message(.additionalPropertiesItem)),
            Field(22, "type", .message(.typeItem)),
            Field(23, "items", .message(.itemsItem)),
            Field(24, "allOf", .messages(.schema)),
            Field(25, "properties", .message(.properties)),
            Field(26, "discriminator", .string()),
            Field(27, "readOnly", .bool),
            Field(28, "xml", .message(.xml)),
            Field(29, "externalDocs", .message(.externalDocs)),
            Field(30, "example", .any),
            .vendorExtensions(31),
        ])

        static let fileSchema = ObjectSpec(required: ["type"], [
            Field(1, "format", .string()),
            Field(2, "title", .string()),
            Field(3, "description", .string()),
            Field(4, "default", .any),
            Field(5, "required", .strings()),
            Field(6, "type", .string(oneOf: ["file"])),
            Field(7, "readOnly", .bool),
            Field(8, "externalDocs", .message(.externalDocs)),
            Field(9, "example", .any),
            .vendorExtensions(10),
        ])

        /// `Properties` and `Definitions`: every key, as `NamedSchema`.
        static let schemaMap = ObjectSpec(rejectsUnknownKeys: false, [Field(1, entries: .all, .message(.schema))])

        /// `Examples`: every key, as `NamedAny`.
        static let anyMap = ObjectSpec(rejectsUnknownKeys: false, [Field(1, entries: .all, .any)])

        static let paths = ObjectSpec([
            .vendorExtensions(1),
            Field(2, entries: .prefix("/"), .message(.pathItem)),
        ])

        static let pathItem = ObjectSpec([
            Field(1, "$ref", .string()),
            Field(2, "get", .message(.operation)),
            Field(3, "put", .message(.operation)),
            Field(4, "post", .message(.operation)),
            Field(5, "delete", .message(.operation)),
            Field(6, "options", .message(.operation)),
            Field(7, "head", .message(.operation)),
            Field(8, "patch", .message(.operation)),
            Field(9, "parameters", .messages(.parametersItem)),
            .vendorExtensions(10),
        ])

        static let operation = ObjectSpec(required: ["responses"], [
            Field(1, "tags", .strings()),
            Field(2, "summary", .string()),
            Field(3, "description", .string()),
            Field(4, "externalDocs", .message(.externalDocs)),
            Field(5, "operationId", .string()),
            Field(6, "produces", .strings()),
            Field(7, "consumes", .strings()),
            Field(8, "parameters", .messages(.parametersItem)),
            Field(9, "responses", .message(.responses)),
            Field(10, "schemes", .strings(oneOf: schemes)),
            Field(11, "deprecated", .bool),
            Field(12, "security", .messages(.securityRequirement)),
            .vendorExtensions(13),
        ])

        static let bodyParameter = ObjectSpec(required: ["in", "name", "schema"], [
            Field(1, "description", .string()),
            Field(2, "name", .string()),
            Field(3, "in", .string(oneOf: ["body"])),
            Field(4, "required", .bool),
            Field(5, "schema", .message(.schema)),
            .vendorExtensions(6),
        ])

        /// `HeaderParameterSubSchema` and `PathParameterSubSchema` share a layout; they differ in `in` and `required`.
        private static func headerOrPathParameter(location: String, required: [String]) -> ObjectSpec {
            ObjectSpec(required: required, [
                Field(1, "required", .bool),
                Field(2, "in", .string(oneOf: [location])),
                Field(3, "description", .string()),
                Field(4, "name", .string()),
                Field(5, "type", .string(oneOf: primitiveTypes)),
                Field(6, "format", .string()),
                Field(7, "items", .message(.primitivesItems)),
                Field(8, "collectionFormat", .string(oneOf: collectionFormats)),
                Field(9, "default", .any),
                Field(10, "maximum", .double),
                Field(11, "exclusiveMaximum", .bool),
                Field(12, "minimum", .double),
                Field(13, "exclusiveMinimum", .bool),
                Field(14, "maxLength", .int64),
                Field(15, "minLength", .int64),
                Field(16, "pattern", .string()),
                Field(17, "maxItems", .int64),
                Field(18, "minItems", .int64),
                Field(19, "uniqueItems", .bool),
                Field(20, "enum", .anys),
                Field(21, "multipleOf", .double),
                .vendorExtensions(22),
            ])
        }

        /// `FormDataParameterSubSchema` and `QueryParameterSubSchema` share a layout (with `allowEmptyValue`).
        private static func formDataOrQueryParameter(location: String, types: [String]) -> ObjectSpec {
            ObjectSpec([
                Field(1, "required", .bool),
                Field(2, "in", .string(oneOf: [location])),
                Field(3, "description", .string()),
                Field(4, "name", .string()),
                Field(5, "allowEmptyValue", .bool),
                Field(6, "type", .string(oneOf: types)),
                Field(7, "format", .string()),
                Field(8, "items", .message(.primitivesItems)),
                Field(9, "collectionFormat", .string(oneOf: collectionFormatsWithMulti)),
                Field(10, "default", .any),
                Field(11, "maximum", .double),
                Field(12, "exclusiveMaximum", .bool),
                Field(13, "minimum", .double),
                Field(14, "exclusiveMinimum", .bool),
                Field(15, "maxLength", .int64),
                Field(16, "minLength", .int64),
                Field(17, "pattern", .string()),
                Field(18, "maxItems", .int64),
                Field(19, "minItems", .int64),
                Field(20, "uniqueItems", .bool),
                Field(21, "enum", .anys),
                Field(22, "multipleOf", .double),
                .vendorExtensions(23),
            ])
        }

        static let headerParameter = headerOrPathParameter(location: "header", required: [])
        static let pathParameter = headerOrPathParameter(location: "path", required: ["required"])
        static let formDataParameter = formDataOrQueryParameter(location: "formData", types: primitiveTypes + ["file"])
        static let queryParameter = formDataOrQueryParameter(location: "query", types: primitiveTypes)

        /// `PrimitivesItems` and `Header` share fields 1-17; `Header` adds `description` and requires `type`.
        private static func primitiveFields() -> [Field] {
            [
                Field(1, "type", .string(oneOf: ["string", "number", "integer", "boolean", "array"])),
                Field(2, "format", .string()),
                Field(3, "items", .message(.primitivesItems)),
                Field(4, "collectionFormat", .string(oneOf: collectionFormats)),
                Field(5, "default", .any),
                Field(6, "maximum", .double),
                Field(7, "exclusiveMaximum", .bool),
                Field(8, "minimum", .double),
                Field(9, "exclusiveMinimum", .bool),
                Field(10, "maxLength", .int64),
                Field(11, "minLength", .int64),
                Field(12, "pattern", .string()),
                Field(13, "maxItems", .int64),
                Field(14, "minItems", .int64),
                Field(15, "uniqueItems", .bool),
                Field(16, "enum", .anys),
                Field(17, "multipleOf", .double),
            ]
        }

        static let primitivesItems = ObjectSpec(primitiveFields() + [.vendorExtensions(18)])

        static let header = ObjectSpec(
            required: ["type"], primitiveFields() + [Field(18, "description", .string()), .vendorExtensions(19)])

        static let headers = ObjectSpec(rejectsUnknownKeys: false, [Field(1, entries: .all, .message(.header))])

        /// `JsonReference`: gnostic requires `$ref` but does not reject other keys.
        static let jsonReference = ObjectSpec(required: ["$ref"], rejectsUnknownKeys: false, [
            Field(1, "$ref", .string()),
            Field(2, "description", .string()),
        ])

        static let responses = ObjectSpec([
            Field(1, entries: .responseCode, .message(.responseValue)),
            .vendorExtensions(2),
        ])

        static let response = ObjectSpec(required: ["description"], [
            Field(1, "description", .string()),
            Field(2, "schema", .message(.schemaItem)),
            Field(3, "headers", .message(.headers)),
            Field(4, "examples", .message(.examples)),
            .vendorExtensions(5),
        ])

        static let parameterDefinitions = ObjectSpec(
            rejectsUnknownKeys: false, [Field(1, entries: .all, .message(.parameter))])

        static let responseDefinitions = ObjectSpec(
            rejectsUnknownKeys: false, [Field(1, entries: .all, .message(.response))])

        static let securityRequirement = ObjectSpec(
            rejectsUnknownKeys: false, [Field(1, entries: .all, .message(.stringArray))])

        static let securityDefinitions = ObjectSpec(
            rejectsUnknownKeys: false, [Field(1, entries: .all, .message(.securityDefinitionsItem))])

        static let basicAuthentication = ObjectSpec(required: ["type"], [
            Field(1, "type", .string(oneOf: ["basic"])),
            Field(2, "description", .string()),
            .vendorExtensions(3),
        ])

        static let apiKey = ObjectSpec(required: ["in", "name", "type"], [
            Field(1, "type", .string(oneOf: ["apiKey"])),
            Field(2, "name", .string()),
            Field(3, "in", .string(oneOf: ["header", "query"])),
            Field(4, "description", .string()),
            .vendorExtensions(5),
        ])

        static let oauth2Implicit = ObjectSpec(required: ["authorizationUrl", "flow", "type"], [
            Field(1, "type", .string(oneOf: ["oauth2"])),
            Field(2, "flow", .string(oneOf: ["implicit"])),
            Field(3, "scopes", .message(.oauth2Scopes)),
            Field(4, "authorizationUrl", .string()),
            Field(5, "description", .string()),
            .vendorExtensions(6),
        ])

        static let oauth2Password = ObjectSpec(required: ["flow", "tokenUrl", "type"], [
            Field(1, "type", .string(oneOf: ["oauth2"])),
            Field(2, "flow", .string(oneOf: ["password"])),
            Field(3, "scopes", .message(.oauth2Scopes)),
            Field(4, "tokenUrl", .string()),
            Field(5, "description", .string()),
            .vendorExtensions(6),
        ])

        static let oauth2Application = ObjectSpec(required: ["flow", "tokenUrl", "type"], [
            Field(1, "type", .string(oneOf: ["oauth2"])),
            Field(2, "flow", .string(oneOf: ["application"])),
            Field(3, "scopes", .message(.oauth2Scopes)),
            Field(4, "tokenUrl", .string()),
            Field(5, "description", .string()),
            .vendorExtensions(6),
        ])

        static let oauth2AccessCode = ObjectSpec(required: ["authorizationUrl", "flow", "tokenUrl", "type"], [
            Field(1, "type", .string(oneOf: ["oauth2"])),
            Field(2, "flow", .string(oneOf: ["accessCode"])),
            Field(3, "scopes", .message(.oauth2Scopes)),
            Field(4, "authorizationUrl", .string()),
            Field(5, "tokenUrl", .string()),
            Field(6, "description", .string()),
            .vendorExtensions(7),
        ])

        // The branches of each `oneof`, in field order (gnostic keeps the last branch that parses).
        static let schemaItemBranches = [Branch(number: 1, message: .schema), Branch(number: 2, message: .fileSchema)]
        static let parametersItemBranches = [
            Branch(number: 1, message: .parameter), Branch(number: 2, message: .jsonReference),
        ]
        static let parameterBranches = [
            Branch(number: 1, message: .bodyParameter), Branch(number: 2, message: .nonBodyParameter),
        ]
        static let nonBodyParameterBranches = [
            Branch(number: 1, message: .headerParameterSubSchema),
            Branch(number: 2, message: .formDataParameterSubSchema),
            Branch(number: 3, message: .queryParameterSubSchema),
            Branch(number: 4, message: .pathParameterSubSchema),
        ]
        static let responseValueBranches = [
            Branch(number: 1, message: .response), Branch(number: 2, message: .jsonReference),
        ]
        static let securityDefinitionsItemBranches = [
            Branch(number: 1, message: .basicAuthenticationSecurity),
            Branch(number: 2, message: .apiKeySecurity),
            Branch(number: 3, message: .oauth2ImplicitSecurity),
            Branch(number: 4, message: .oauth2PasswordSecurity),
            Branch(number: 5, message: .oauth2ApplicationSecurity),
            Branch(number: 6, message: .oauth2AccessCodeSecurity),
        ]

        /// `Oauth2Scopes`: every key, as `NamedString` (gnostic turns values that are not string-like into "").
        static let oauth2Scopes = ObjectSpec(rejectsUnknownKeys: false, [Field(1, entries: .all, .string())])
    }
}

// MARK: - Reading JSON the way gnostic reads go-yaml nodes

extension OpenAPIv2Protobuf {
    /// A message's bytes, with the problems gnostic would report while reading it.
    fileprivate struct Encoded {
        var bytes: [UInt8]
        var problems: [Problem] = []
        /// False when gnostic leaves the field unset (an `ItemsItem` whose schema did not parse).
        var isPresent = true

        var isValid: Bool { problems.isEmpty }
    }

    /// A problem gnostic would report, located by a JSON pointer.
    fileprivate struct Problem: CustomStringConvertible {
        /// Path components from the problem's value up to the document, innermost first.
        var reversedPath: [String] = []
        var message: String

        init(_ message: String) {
            self.message = message
        }

        var description: String {
            let pointer = reversedPath.reversed().map { "/" + Self.escapedForJSONPointer($0) }
            return "#" + pointer.joined() + ": " + message
        }

        /// A path component with `~` and `/` escaped as RFC 6901 requires.
        private static func escapedForJSONPointer(_ component: String) -> String {
            var escaped = ""
            for character in component {
                switch character {
                case "~": escaped += "~0"
                case "/": escaped += "~1"
                default: escaped.append(character)
                }
            }
            return escaped
        }
    }
}

extension Array where Element == OpenAPIv2Protobuf.Problem {
    /// The problems of a child value, located under `component` of its parent.
    fileprivate func under(_ component: String) -> [OpenAPIv2Protobuf.Problem] {
        map { problem in
            var problem = problem
            problem.reversedPath.append(component)
            return problem
        }
    }
}

extension JSONValue {
    /// gnostic's `StringForScalarNode`: strings, integers (their digits) and null (""); nil for anything else.
    fileprivate var gnosticString: String? {
        switch self {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .null: return ""
        default: return nil
        }
    }

    /// The text go-yaml keeps for a scalar node (`Node.Value`); nil for arrays and objects.
    ///
    /// A `.double` has lost its source text; Swift's shortest round-trip form (`1.5`, `2.0`, `1e-07`) is used, which
    /// YAML resolves to a float again, as the source text did.
    fileprivate var scalarText: String? {
        switch self {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let number): return String(number)
        case .double(let number): return String(number)
        case .string(let text): return text
        case .array, .object: return nil
        }
    }

    /// The name of the value's JSON type, for problem messages.
    fileprivate var jsonTypeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .integer, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The (key, value) pairs gnostic's map loops see: an object's members in byte order of their keys.
    ///
    /// gnostic walks a node's content two by two without checking that it is a mapping, so an array yields its
    /// elements in pairs (a string-like element as the key, the next element as the value); scalars yield nothing.
    fileprivate var gnosticEntries: [(key: String, value: JSONValue)] {
        switch self {
        case .object(let members):
            return members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { ($0.key, $0.value) }
        case .array(let elements):
            return stride(from: 0, to: elements.count - 1, by: 2).compactMap { index in
                elements[index].gnosticString.map { ($0, elements[index + 1]) }
            }
        default:
            return []
        }
    }
}

extension OpenAPIv2Protobuf.Message {
    fileprivate typealias Encoded = OpenAPIv2Protobuf.Encoded
    fileprivate typealias Problem = OpenAPIv2Protobuf.Problem
    fileprivate typealias ObjectSpec = OpenAPIv2Protobuf.ObjectSpec
    fileprivate typealias Field = OpenAPIv2Protobuf.Field

    /// Reads `value` as this message, as gnostic's `New<Message>` does, and encodes the result.
    fileprivate func encode(_ value: JSONValue) -> Encoded {
        switch layout {
        case .object(let spec):
            return Self.encodeObject(value, spec)
        case .oneOf(let name, let branches):
            return Self.encodeOneOf(value, name: name, branches: branches)
        case .additionalPropertiesItem:
            return Self.encodeAdditionalPropertiesItem(value)
        case .typeItem:
            return Self.encodeTypeItem(value)
        case .itemsItem:
            return Self.encodeItemsItem(value)
        case .stringArray:
            return Self.encodeStringArray(value)
        }
    }

    /// A message read from an object's keys. Like gnostic, a value that is not an object is read as one without
    /// keys (so it only fails on required keys).
    private static func encodeObject(_ value: JSONValue, _ spec: ObjectSpec) -> Encoded {
        var writer = ProtoWriter()
        var problems: [Problem] = []
        let members: [String: JSONValue]?
        if case .object(let object) = value { members = object } else { members = nil }

        let missing = spec.required.filter { members?[$0] == nil }
        if !missing.isEmpty {
            problems.append(Problem("is missing required \(properties(missing.count)): \(missing.joined(separator: ", "))"))
        }
        if spec.rejectsUnknownKeys, let members {
            let invalid = members.keys.filter { !spec.allows($0) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            if !invalid.isEmpty {
                problems.append(Problem("has invalid \(properties(invalid.count)): \(invalid.joined(separator: ", "))"))
            }
        }

        if spec.readsEntries, case .array(let elements) = value, elements.count % 2 == 1,
            elements.last?.gnosticString != nil
        {
            // gnostic reads the last element as a key and indexes past the end for its value.
            problems.append(Problem("is an array of odd length whose last element gnostic reads as a key (gnostic panics)"))
        }

        var entries: [(key: String, value: JSONValue)]?
        for field in spec.fields {
            switch field.source {
            case .key(let key):
                guard let member = members?[key] else { continue }
                encodeField(field, key: key, member, into: &writer, problems: &problems)
            case .entries(let filter):
                let all = entries ?? value.gnosticEntries
                entries = all
                for (name, member) in all where filter.matches(name) {
                    var pair = ProtoWriter()
                    pair.writeString(1, name)
                    switch field.kind {
                    case .any:
                        pair.writeMessage(2, anyMessage(member))
                    case .message(let message):
                        let encoded = message.encode(member)
                        problems += encoded.problems.under(name)
                        pair.writeMessage(2, encoded.bytes)
                    default:
                        // Only `Oauth2Scopes` maps to strings; gnostic ignores values that are not string-like.
                        pair.writeString(2, member.gnosticString ?? "")
                    }
                    writer.writeMessage(field.number, pair.bytes)
                }
            }
        }
        return Encoded(bytes: writer.bytes, problems: problems)
    }

    /// Converts one member of an object into its field, as the matching block of a gnostic `New*` function does.
    private static func encodeField(
        _ field: Field, key: String, _ value: JSONValue, into writer: inout ProtoWriter, problems: inout [Problem]
    ) {
        let unexpected = Problem("has unexpected value for \(key): \(value.jsonTypeName)")
        switch field.kind {
        case .string(let allowed):
            guard let text = value.gnosticString else {
                problems.append(unexpected)
                return
            }
            writer.writeString(field.number, text)
            if let allowed, !allowed.contains(text) { problems.append(unexpected) }
        case .bool:
            guard case .bool(let flag) = value else {
                problems.append(unexpected)
                return
            }
            writer.writeBool(field.number, flag)
        case .int64:
            // gnostic's IntForScalarNode takes only nodes tagged !!int: a fraction such as 1.0 does not qualify.
            guard case .integer(let number) = value else {
                problems.append(unexpected)
                return
            }
            writer.writeInt64(field.number, number)
        case .double:
            switch value {
            case .integer(let number): writer.writeDouble(field.number, Double(number))
            case .double(let number): writer.writeDouble(field.number, number)
            default: problems.append(unexpected)
            }
        case .strings(let allowed):
            guard case .array(let elements) = value else {
                problems.append(unexpected)
                return
            }
            let texts = elements.compactMap(\.gnosticString)
            for text in texts { writer.writeRepeatedString(field.number, text) }
            if let allowed, !texts.allSatisfy(allowed.contains) { problems.append(unexpected) }
        case .any:
            writer.writeMessage(field.number, anyMessage(value))
        case .anys:
            // gnostic silently ignores a value that is not an array here.
            guard case .array(let elements) = value else { return }
            for element in elements { writer.writeMessage(field.number, anyMessage(element)) }
        case .message(let message):
            let encoded = message.encode(value)
            problems += encoded.problems.under(key)
            if encoded.isPresent { writer.writeMessage(field.number, encoded.bytes) }
        case .messages(let message):
            // gnostic silently ignores a value that is not an array here.
            guard case .array(let elements) = value else { return }
            for (index, element) in elements.enumerated() {
                let encoded = message.encode(element)
                problems += encoded.problems.under(String(index)).under(key)
                writer.writeMessage(field.number, encoded.bytes)
            }
        }
    }

    /// A `oneof` of messages: gnostic reads the value as every branch in turn and keeps the last branch that parsed
    /// without problems; when none does, the message is left empty.
    private static func encodeOneOf(_ value: JSONValue, name: String, branches: [OpenAPIv2Protobuf.Branch]) -> Encoded {
        for branch in branches.reversed() {
            let encoded = branch.message.encode(value)
            if encoded.isValid {
                var writer = ProtoWriter()
                writer.writeMessage(branch.number, encoded.bytes)
                return Encoded(bytes: writer.bytes)
            }
        }
        return Encoded(bytes: [], problems: [Problem("contains an invalid \(name)")])
    }

    /// `AdditionalPropertiesItem`: a boolean wins over the schema reading (which any scalar passes, as an empty schema).
    private static func encodeAdditionalPropertiesItem(_ value: JSONValue) -> Encoded {
        var writer = ProtoWriter()
        if case .bool(let flag) = value {
            writer.writeOneofBool(2, flag)
            return Encoded(bytes: writer.bytes)
        }
        let schema = OpenAPIv2Protobuf.Message.schema.encode(value)
        guard schema.isValid else {
            return Encoded(bytes: [], problems: [Problem("contains an invalid AdditionalPropertiesItem")])
        }
        writer.writeMessage(1, schema.bytes)
        return Encoded(bytes: writer.bytes)
    }

    /// `TypeItem`: the text of a scalar, or of each scalar element of an array.
    private static func encodeTypeItem(_ value: JSONValue) -> Encoded {
        var writer = ProtoWriter()
        var problems: [Problem] = []
        switch value {
        case .array(let elements):
            for element in elements {
                if let text = element.scalarText {
                    writer.writeRepeatedString(1, text)
                } else {
                    problems.append(Problem("has unexpected value for string array element: \(element.jsonTypeName)"))
                }
            }
        case .object:
            problems.append(Problem("has unexpected value for string array: object"))
        default:
            if let text = value.scalarText { writer.writeRepeatedString(1, text) }
        }
        return Encoded(bytes: writer.bytes, problems: problems)
    }

    /// `ItemsItem`: the value read as one schema; gnostic drops the whole field when that schema has problems.
    private static func encodeItemsItem(_ value: JSONValue) -> Encoded {
        let schema = OpenAPIv2Protobuf.Message.schema.encode(value)
        guard schema.isValid else {
            return Encoded(bytes: [], problems: schema.problems, isPresent: false)
        }
        var writer = ProtoWriter()
        writer.writeMessage(1, schema.bytes)
        return Encoded(bytes: writer.bytes)
    }

    /// `StringArray`: the string form of every element of the value's node (for an object, keys and values in turn).
    private static func encodeStringArray(_ value: JSONValue) -> Encoded {
        let elements: [JSONValue]
        switch value {
        case .array(let items):
            elements = items
        case .object:
            elements = value.gnosticEntries.flatMap { [JSONValue.string($0.key), $0.value] }
        default:
            elements = []
        }
        var writer = ProtoWriter()
        for element in elements { writer.writeRepeatedString(1, element.gnosticString ?? "") }
        return Encoded(bytes: writer.bytes)
    }

    /// An `Any` message holding `value` as YAML text (`Any.yaml`, field 2), as gnostic's `NewAny` makes it.
    private static func anyMessage(_ value: JSONValue) -> [UInt8] {
        var writer = ProtoWriter()
        writer.writeString(2, YAMLEmitter.marshal(value))
        return writer.bytes
    }

    private static func properties(_ count: Int) -> String {
        count == 1 ? "property" : "properties"
    }
}

// MARK: - Strings as go-yaml reads them back

extension OpenAPIv2Protobuf {
    /// kube-apiserver gives gnostic the JSON text that Go's encoding/json wrote, and go-yaml reads that text as YAML.
    /// Strings come back unchanged, except for characters that encoding/json leaves raw but YAML treats specially:
    ///
    /// * U+0085 (NEL) is a line break to YAML, so a double-quoted scalar folds it: a NEL and the spaces around it
    ///   become one space, and each further NEL in the same run of spaces and NELs becomes a line feed. A NEL followed
    ///   by `---` or `...` and a space or NEL reads as a document marker, which go-yaml rejects.
    /// * U+007F, the C1 controls other than NEL, U+FFFE and U+FFFF may not appear in YAML at all.
    ///
    /// Object keys are read as implicit YAML keys, which must fit on one line and within 1024 characters: a key
    /// holding a NEL, or written by encoding/json in 1023 characters or more, makes go-yaml reject the text.
    ///
    /// When go-yaml rejects the text, kube-apiserver fails the request; that is reported as a problem here.
    /// (encoding/json escapes every other character YAML minds: the C0 controls, U+2028 and U+2029.)
    fileprivate enum GoYAMLStrings {
        private static let nextLine: Unicode.Scalar = "\u{85}"

        /// The longest key go-yaml accepts, counted in characters of the JSON text between the quotes.
        private static let longestKey = 1022

        /// The value with every string (object keys included) read back as go-yaml reads it, or nil when that
        /// changes nothing, with the problems go-yaml would have reading it.
        static func normalized(_ value: JSONValue) -> (value: JSONValue?, problems: [Problem]) {
            var problems: [Problem] = []
            let normalizedValue = normalized(value, problems: &problems)
            return (normalizedValue, problems)
        }

        private static func normalized(_ value: JSONValue, problems: inout [Problem]) -> JSONValue? {
            switch value {
            case .string(let text):
                return normalized(text, problems: &problems).map(JSONValue.string)
            case .array(let elements):
                var result: [JSONValue]?
                for (index, element) in elements.enumerated() {
                    let firstProblem = problems.count
                    if let normalizedElement = normalized(element, problems: &problems) {
                        if result == nil { result = elements }
                        result?[index] = normalizedElement
                    }
                    if problems.count > firstProblem { locate(&problems, from: firstProblem, under: String(index)) }
                }
                return result.map(JSONValue.array)
            case .object(let members):
                var result: [String: JSONValue]?
                for (key, member) in members {
                    let firstProblem = problems.count
                    // A key that changes holds a NEL, which `keyProblems` reports: no two keys can end up equal
                    // without a problem being reported.
                    let normalizedKey = normalized(key, problems: &problems)
                    keyProblems(key, problems: &problems)
                    let normalizedMember = normalized(member, problems: &problems)
                    if normalizedKey != nil || normalizedMember != nil {
                        if result == nil { result = members }
                        if normalizedKey != nil { result?.removeValue(forKey: key) }
                        result?[normalizedKey ?? key] = normalizedMember ?? member
                    }
                    if problems.count > firstProblem { locate(&problems, from: firstProblem, under: key) }
                }
                return result.map(JSONValue.object)
            case .null, .bool, .integer, .double:
                return nil
            }
        }

        /// Fast check: every character concerned is encoded with a leading 0x7F, 0xC2 or 0xEF byte.
        private static func mayNeedAttention(_ text: String) -> Bool {
            func scan<Bytes: Sequence>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
                for byte in bytes where byte == 0x7F || byte == 0xC2 || byte == 0xEF { return true }
                return false
            }
            return text.utf8.withContiguousStorageIfAvailable(scan) ?? scan(text.utf8)
        }

        /// Places the problems found since `first` under a path component.
        private static func locate(_ problems: inout [Problem], from first: Int, under component: String) {
            for index in first..<problems.count {
                problems[index].reversedPath.append(component)
            }
        }

        /// Reports why go-yaml cannot read `key` as a mapping key, if it cannot.
        private static func keyProblems(_ key: String, problems: inout [Problem]) {
            if mayNeedAttention(key), key.unicodeScalars.contains(nextLine) {
                problems.append(Problem("has a key holding U+0085, a line break to YAML, which ends the key too soon, "
                    + "so gnostic cannot read the document"))
            }
            // Escapes take at most six characters, so only keys longer than a sixth of the limit need counting.
            if key.utf8.count > longestKey / 6, jsonTextLength(key) > longestKey {
                problems.append(Problem("has a key longer than YAML allows (1024 characters with its quotes, as "
                    + "encoding/json writes it), so gnostic cannot read the document"))
            }
        }

        /// The number of characters encoding/json writes for `text` between the quotes (escaping HTML characters,
        /// U+2028 and U+2029 as json.Marshal does).
        private static func jsonTextLength(_ text: String) -> Int {
            text.unicodeScalars.reduce(0) { length, scalar in
                switch scalar {
                case "\"", "\\", "\u{8}", "\u{C}", "\n", "\r", "\t": return length + 2
                case "<", ">", "&", "\u{2028}", "\u{2029}": return length + 6
                default: return length + (scalar.value < 0x20 ? 6 : 1)
                }
            }
        }

        /// The string as go-yaml reads it from a double-quoted JSON string; nil when unchanged.
        private static func normalized(_ text: String, problems: inout [Problem]) -> String? {
            guard mayNeedAttention(text) else { return nil }
            for scalar in text.unicodeScalars {
                let value = scalar.value
                if value == 0x7F || (0x80...0x9F).contains(value) && value != 0x85 || value == 0xFFFE || value == 0xFFFF {
                    let code = String(value, radix: 16, uppercase: true)
                    problems.append(Problem("contains U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code), "
                        + "which YAML does not allow, so gnostic cannot read the document"))
                }
            }
            guard text.unicodeScalars.contains(nextLine) else { return nil }
            return folded(Array(text.unicodeScalars), problems: &problems)
        }

        /// go-yaml's `yaml_parser_scan_flow_scalar` over the raw characters of the JSON string, where the only blank
        /// is the space and the only line break is NEL (encoding/json escapes tabs and the other breaks).
        private static func folded(_ scalars: [Unicode.Scalar], problems: inout [Problem]) -> String {
            func isBlankOrBreak(_ index: Int) -> Bool {
                index < scalars.count && (scalars[index] == " " || scalars[index] == nextLine)
            }
            var result = String.UnicodeScalarView()
            var index = 0
            var atLineStart = false
            while true {
                if atLineStart, index + 3 < scalars.count, isBlankOrBreak(index + 3) {
                    let marker = String(String.UnicodeScalarView(scalars[index..<(index + 3)]))
                    if marker == "---" || marker == "..." {
                        problems.append(Problem("contains a line break followed by \"\(marker)\", which YAML reads as a "
                            + "document marker, so gnostic cannot read the document"))
                    }
                }
                while index < scalars.count && !isBlankOrBreak(index) {
                    result.append(scalars[index])
                    index += 1
                }
                if index == scalars.count { break }
                var leadingBlanks = false
                var whitespaces = 0
                var trailingBreaks = 0
                while isBlankOrBreak(index) {
                    if scalars[index] == " " {
                        if !leadingBlanks { whitespaces += 1 }
                        atLineStart = false
                    } else if !leadingBlanks {
                        whitespaces = 0
                        leadingBlanks = true
                        atLineStart = true
                    } else {
                        trailingBreaks += 1
                        atLineStart = true
                    }
                    index += 1
                }
                let join: String
                if leadingBlanks {
                    join = trailingBreaks == 0 ? " " : String(repeating: "\n", count: trailingBreaks)
                } else {
                    join = String(repeating: " ", count: whitespaces)
                }
                result.append(contentsOf: join.unicodeScalars)
            }
            return String(result)
        }
    }
}

// MARK: - Protobuf wire format

/// Appends protobuf fields, following proto3 rules as protobuf-go's `proto.Marshal` does.
private struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    private enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
    }

    private mutating func writeVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    private mutating func writeKey(_ number: Int, _ wireType: WireType) {
        writeVarint(UInt64(number) << 3 | wireType.rawValue)
    }

    /// A singular `string`; the empty string is the default and is not written.
    mutating func writeString(_ number: Int, _ value: String) {
        guard !value.isEmpty else { return }
        writeRepeatedString(number, value)
    }

    /// One element of a `repeated string`, written even when empty.
    mutating func writeRepeatedString(_ number: Int, _ value: String) {
        writeKey(number, .lengthDelimited)
        writeVarint(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    /// A singular `bool`; false is the default and is not written.
    mutating func writeBool(_ number: Int, _ value: Bool) {
        guard value else { return }
        writeOneofBool(number, value)
    }

    /// A `bool` member of a `oneof`, which is written whatever its value.
    mutating func writeOneofBool(_ number: Int, _ value: Bool) {
        writeKey(number, .varint)
        bytes.append(value ? 1 : 0)
    }

    /// A singular `int64`; zero is not written, negative numbers take ten bytes.
    mutating func writeInt64(_ number: Int, _ value: Int64) {
        guard value != 0 else { return }
        writeKey(number, .varint)
        writeVarint(UInt64(bitPattern: value))
    }

    /// A singular `double`; +0.0 is not written (but -0.0 is, as in protobuf-go).
    mutating func writeDouble(_ number: Int, _ value: Double) {
        guard value != 0 || value.sign == .minus else { return }
        writeKey(number, .fixed64)
        var bits = value.bitPattern
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bits >>= 8
        }
    }

    /// A sub-message (present, so written even when empty).
    mutating func writeMessage(_ number: Int, _ body: [UInt8]) {
        writeKey(number, .lengthDelimited)
        writeVarint(UInt64(body.count))
        bytes.append(contentsOf: body)
    }
}

// MARK: - YAML text of Any values (go-yaml v3's emitter)

/// Writes a JSON value as YAML exactly as go-yaml v3's `yaml.Marshal` writes the node that go-yaml decoded from that
/// JSON after gnostic cleared its styles (`compiler.Marshal`).
///
/// This is a port of the paths of go-yaml v3's `encode.go` (`encoder.node`) and `emitterc.go` that such a tree
/// reaches: implicit document, block mappings and sequences indented by 4 (an item's content by 2 past its `- `),
/// empty collections in flow style, no line folding (go-yaml v3's line width is unlimited), and scalar styles chosen
/// as go-yaml chooses them: strings holding a line feed as literal blocks; strings that YAML would read as another
/// type (`"true"`, `"1"`, `""`, `"2024-01-01"`...) double-quoted; others plain when the emitter's analysis allows,
/// else single-quoted, else double-quoted.
private struct YAMLEmitter {
    private static let bestIndent = 4

    private var output: [UInt8] = []
    private var column = 0
    private var indent = -1
    private var indents: [Int] = []
    private var whitespace = true
    private var indention = true

    /// The YAML document for `value`, ending with a line break.
    static func marshal(_ value: JSONValue) -> String {
        var emitter = YAMLEmitter()
        emitter.emitNode(value, inSequenceItem: false)
        emitter.writeIndent()  // DOCUMENT-END ends the last line.
        return String(decoding: emitter.output, as: UTF8.self)
    }

    private enum Style {
        case plain, singleQuoted, doubleQuoted, literal
    }

    /// A scalar about to be written: its bytes, the style go-yaml's encoder asks for, and the emitter's analysis.
    private struct Scalar {
        let bytes: [UInt8]
        let requestedStyle: Style
        let analysis: ScalarAnalysis

        init(_ value: JSONValue) {
            if case .string(let text) = value {
                bytes = Array(text.utf8)
                if bytes.contains(0x0A) {
                    requestedStyle = .literal
                } else if YAMLResolver.resolvesToNonString(bytes) {
                    requestedStyle = .doubleQuoted
                } else {
                    requestedStyle = .plain
                }
            } else {
                // Numbers, booleans and null: their text resolves back to their own tag, so no tag and no quotes.
                bytes = Array((value.scalarText ?? "").utf8)
                requestedStyle = .plain
            }
            analysis = ScalarAnalysis(bytes)
        }

        /// `yaml_emitter_check_simple_key` for a scalar key.
        var canBeSimpleKey: Bool {
            !analysis.multiline && bytes.count <= 128
        }
    }

    // MARK: Nodes

    /// Emits a node; `inSequenceItem` says whether the emitter's state stack has a sequence item on top, which is
    /// what `yaml_emitter_increase_indent` looks at.
    private mutating func emitNode(_ value: JSONValue, inSequenceItem: Bool) {
        switch value {
        case .array(let elements) where elements.isEmpty:
            writeIndicator("[", needWhitespace: true, isWhitespace: true, isIndention: false)
            writeIndicator("]", needWhitespace: false, isWhitespace: false, isIndention: false)
        case .object(let members) where members.isEmpty:
            writeIndicator("{", needWhitespace: true, isWhitespace: true, isIndention: false)
            writeIndicator("}", needWhitespace: false, isWhitespace: false, isIndention: false)
        case .array(let elements):
            increaseIndent(flow: false, inSequenceItem: inSequenceItem)
            for element in elements {
                writeIndent()
                writeIndicator("-", needWhitespace: true, isWhitespace: false, isIndention: true)
                emitNode(element, inSequenceItem: true)
            }
            popIndent()
        case .object:
            increaseIndent(flow: false, inSequenceItem: inSequenceItem)
            for (key, member) in value.gnosticEntries {
                writeIndent()
                let keyScalar = Scalar(.string(key))
                if keyScalar.canBeSimpleKey {
                    emitScalar(keyScalar, inSequenceItem: false, simpleKey: true)
                    writeIndicator(":", needWhitespace: false, isWhitespace: false, isIndention: false)
                } else {
                    writeIndicator("?", needWhitespace: true, isWhitespace: false, isIndention: true)
                    emitScalar(keyScalar, inSequenceItem: false, simpleKey: false)
                    writeIndent()
                    writeIndicator(":", needWhitespace: true, isWhitespace: false, isIndention: true)
                }
                emitNode(member, inSequenceItem: false)
            }
            popIndent()
        case .null, .bool, .integer, .double, .string:
            emitScalar(Scalar(value), inSequenceItem: inSequenceItem, simpleKey: false)
        }
    }

    /// `yaml_emitter_emit_scalar`: chooses the style (`yaml_emitter_select_scalar_style`) and writes the scalar.
    private mutating func emitScalar(_ scalar: Scalar, inSequenceItem: Bool, simpleKey: Bool) {
        let analysis = scalar.analysis
        var style = scalar.requestedStyle
        if simpleKey && analysis.multiline {
            style = .doubleQuoted
        }
        if style == .plain {
            if !analysis.blockPlainAllowed || (scalar.bytes.isEmpty && simpleKey) {
                style = .singleQuoted
            }
        }
        if style == .singleQuoted && !analysis.singleQuotedAllowed {
            style = .doubleQuoted
        }
        if style == .literal && (!analysis.blockAllowed || simpleKey) {
            style = .doubleQuoted
        }

        increaseIndent(flow: true, inSequenceItem: inSequenceItem)
        switch style {
        case .plain: writePlain(scalar.bytes)
        case .singleQuoted: writeSingleQuoted(scalar.bytes)
        case .doubleQuoted: writeDoubleQuoted(scalar.bytes)
        case .literal: writeLiteral(scalar.bytes)
        }
        popIndent()
    }

    // MARK: Low-level writing

    private mutating func increaseIndent(flow: Bool, inSequenceItem: Bool) {
        indents.append(indent)
        if indent < 0 {
            indent = flow ? Self.bestIndent : 0
        } else if inSequenceItem {
            indent += 2
        } else {
            indent = Self.bestIndent * ((indent + Self.bestIndent) / Self.bestIndent)
        }
    }

    private mutating func popIndent() {
        indent = indents.popLast() ?? -1
    }

    private mutating func put(_ byte: UInt8) {
        output.append(byte)
        column += 1
    }

    private mutating func putBreak() {
        output.append(0x0A)
        column = 0
        indention = true
    }

    /// Copies the character at `index` and advances past it.
    private mutating func write(_ value: [UInt8], _ index: inout Int) {
        let end = min(index + max(utf8Width(value[index]), 1), value.count)
        output.append(contentsOf: value[index..<end])
        column += 1
        index = end
    }

    /// Copies the line break at `index` and advances past it.
    private mutating func writeBreak(_ value: [UInt8], _ index: inout Int) {
        if value[index] == 0x0A {
            putBreak()
            index += 1
        } else {
            write(value, &index)
            column = 0
            indention = true
        }
    }

    private mutating func writeIndicator(_ indicator: String, needWhitespace: Bool, isWhitespace: Bool, isIndention: Bool) {
        if needWhitespace && !whitespace { put(0x20) }
        for byte in indicator.utf8 { put(byte) }
        whitespace = isWhitespace
        indention = indention && isIndention
    }

    private mutating func writeIndent() {
        let target = max(indent, 0)
        if !indention || column > target || (column == target && !whitespace) {
            putBreak()
        }
        while column < target { put(0x20) }
        whitespace = true
    }

    /// Plain scalars never contain line breaks (the analysis forbids it), and lines are never folded.
    private mutating func writePlain(_ value: [UInt8]) {
        if !value.isEmpty && !whitespace { put(0x20) }
        var index = 0
        while index < value.count { write(value, &index) }
        if !value.isEmpty { whitespace = false }
        indention = false
    }

    private mutating func writeSingleQuoted(_ value: [UInt8]) {
        writeIndicator("'", needWhitespace: true, isWhitespace: false, isIndention: false)
        var breaks = false
        var index = 0
        while index < value.count {
            if value[index] == 0x20 {
                write(value, &index)
            } else if YAMLBytes.isBreak(value, index) {
                if !breaks && value[index] == 0x0A { putBreak() }
                writeBreak(value, &index)
                breaks = true
            } else {
                if breaks { writeIndent() }
                if value[index] == 0x27 { put(0x27) }
                write(value, &index)
                indention = false
                breaks = false
            }
        }
        writeIndicator("'", needWhitespace: false, isWhitespace: false, isIndention: false)
        whitespace = false
        indention = false
    }

    private mutating func writeDoubleQuoted(_ value: [UInt8]) {
        writeIndicator("\"", needWhitespace: true, isWhitespace: false, isIndention: false)
        // go-yaml's is_bom looks at the start of the value whatever the index, so a value that starts with a byte
        // order mark has every character escaped.
        let startsWithBOM = value.count >= 3 && value[0] == 0xEF && value[1] == 0xBB && value[2] == 0xBF
        var index = 0
        while index < value.count {
            let byte = value[index]
            guard !YAMLBytes.isPrintable(value, index) || startsWithBOM || YAMLBytes.isBreak(value, index)
                || byte == 0x22 || byte == 0x5C
            else {
                write(value, &index)
                continue
            }
            let width = max(utf8Width(byte), 1)
            var scalar: UInt32 = width == 1 ? UInt32(byte & 0x7F) : width == 2 ? UInt32(byte & 0x1F)
                : width == 3 ? UInt32(byte & 0x0F) : UInt32(byte & 0x07)
            for offset in 1..<width where index + offset < value.count {
                scalar = scalar << 6 | UInt32(value[index + offset] & 0x3F)
            }
            index += width
            put(0x5C)
            switch scalar {
            case 0x00: put(UInt8(ascii: "0"))
            case 0x07: put(UInt8(ascii: "a"))
            case 0x08: put(UInt8(ascii: "b"))
            case 0x09: put(UInt8(ascii: "t"))
            case 0x0A: put(UInt8(ascii: "n"))
            case 0x0B: put(UInt8(ascii: "v"))
            case 0x0C: put(UInt8(ascii: "f"))
            case 0x0D: put(UInt8(ascii: "r"))
            case 0x1B: put(UInt8(ascii: "e"))
            case 0x22: put(0x22)
            case 0x5C: put(0x5C)
            case 0x85: put(UInt8(ascii: "N"))
            case 0xA0: put(UInt8(ascii: "_"))
            case 0x2028: put(UInt8(ascii: "L"))
            case 0x2029: put(UInt8(ascii: "P"))
            default:
                let digits: Int
                if scalar <= 0xFF {
                    put(UInt8(ascii: "x"))
                    digits = 2
                } else if scalar <= 0xFFFF {
                    put(UInt8(ascii: "u"))
                    digits = 4
                } else {
                    put(UInt8(ascii: "U"))
                    digits = 8
                }
                for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
                    let digit = UInt8((scalar >> UInt32(shift)) & 0x0F)
                    put(digit < 10 ? digit + 0x30 : digit - 10 + 0x41)
                }
            }
        }
        writeIndicator("\"", needWhitespace: false, isWhitespace: false, isIndention: false)
        whitespace = false
        indention = false
    }

    private mutating func writeLiteral(_ value: [UInt8]) {
        writeIndicator("|", needWhitespace: true, isWhitespace: false, isIndention: false)
        writeBlockScalarHints(value)
        whitespace = true
        var breaks = true
        var index = 0
        while index < value.count {
            if YAMLBytes.isBreak(value, index) {
                writeBreak(value, &index)
                breaks = true
            } else {
                if breaks { writeIndent() }
                write(value, &index)
                indention = false
                breaks = false
            }
        }
    }

    /// The indentation indicator (when the text starts with a space or a break) and the chomping indicator.
    private mutating func writeBlockScalarHints(_ value: [UInt8]) {
        guard !value.isEmpty else {
            writeIndicator("-", needWhitespace: false, isWhitespace: false, isIndention: false)
            return
        }
        if value[0] == 0x20 || YAMLBytes.isBreak(value, 0) {
            writeIndicator(String(Self.bestIndent), needWhitespace: false, isWhitespace: false, isIndention: false)
        }
        var last = value.count - 1
        while last > 0 && value[last] & 0xC0 == 0x80 { last -= 1 }
        var chomp: String?
        if !YAMLBytes.isBreak(value, last) {
            chomp = "-"
        } else if last == 0 {
            chomp = "+"
        } else {
            var previous = last - 1
            while previous > 0 && value[previous] & 0xC0 == 0x80 { previous -= 1 }
            if YAMLBytes.isBreak(value, previous) { chomp = "+" }
        }
        if let chomp {
            writeIndicator(chomp, needWhitespace: false, isWhitespace: false, isIndention: false)
        }
    }
}

/// The length of the UTF-8 sequence that starts with `byte` (0 for a continuation byte).
private func utf8Width(_ byte: UInt8) -> Int {
    if byte & 0x80 == 0x00 { return 1 }
    if byte & 0xE0 == 0xC0 { return 2 }
    if byte & 0xF0 == 0xE0 { return 3 }
    if byte & 0xF8 == 0xF0 { return 4 }
    return 0
}

/// go-yaml's byte-class predicates (yamlprivateh.go), reading past the end as NUL.
private enum YAMLBytes {
    static func at(_ value: [UInt8], _ index: Int) -> UInt8 {
        index < value.count ? value[index] : 0
    }

    static func isBlank(_ value: [UInt8], _ index: Int) -> Bool {
        let byte = at(value, index)
        return byte == 0x20 || byte == 0x09
    }

    static func isBreak(_ value: [UInt8], _ index: Int) -> Bool {
        let byte = at(value, index)
        return byte == 0x0D || byte == 0x0A
            || (byte == 0xC2 && at(value, index + 1) == 0x85)
            || (byte == 0xE2 && at(value, index + 1) == 0x80
                && (at(value, index + 2) == 0xA8 || at(value, index + 2) == 0xA9))
    }

    static func isBlankOrBreakOrNUL(_ value: [UInt8], _ index: Int) -> Bool {
        isBlank(value, index) || isBreak(value, index) || at(value, index) == 0
    }

    /// Characters YAML can print unescaped (note: go-yaml counts no 4-byte UTF-8 sequence as printable).
    static func isPrintable(_ value: [UInt8], _ index: Int) -> Bool {
        let byte = at(value, index)
        let next = at(value, index + 1)
        switch byte {
        case 0x0A, 0x20...0x7E: return true
        case 0xC2: return next >= 0xA0
        case 0xC3..<0xED, 0xEE: return true
        case 0xED: return next < 0xA0
        case 0xEF:
            let third = at(value, index + 2)
            return !(next == 0xBB && third == 0xBF) && !(next == 0xBF && (third == 0xBE || third == 0xBF))
        default: return false
        }
    }
}

/// `yaml_emitter_analyze_scalar`: which styles can represent a scalar.
private struct ScalarAnalysis {
    var multiline = false
    var flowPlainAllowed = false
    var blockPlainAllowed = true
    var singleQuotedAllowed = true
    var blockAllowed = false

    init(_ value: [UInt8]) {
        guard !value.isEmpty else { return }

        var blockIndicators = false
        var flowIndicators = false
        var lineBreaks = false
        var specialCharacters = false
        var tabCharacters = false
        var leadingSpace = false
        var leadingBreak = false
        var trailingSpace = false
        var trailingBreak = false
        var breakSpace = false
        var spaceBreak = false
        var precededByWhitespace = true
        var previousSpace = false
        var previousBreak = false

        if value.count >= 3 {
            let prefix = (value[0], value[1], value[2])
            if prefix == (0x2D, 0x2D, 0x2D) || prefix == (0x2E, 0x2E, 0x2E) {
                blockIndicators = true
                flowIndicators = true
            }
        }

        var index = 0
        while index < value.count {
            let byte = value[index]
            let width = max(utf8Width(byte), 1)
            let followedByWhitespace = index + width >= value.count || YAMLBytes.isBlank(value, index + width)

            if index == 0 {
                switch byte {
                case UInt8(ascii: "#"), UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"),
                    UInt8(ascii: "}"), UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"),
                    UInt8(ascii: ">"), UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "%"), UInt8(ascii: "@"),
                    UInt8(ascii: "`"):
                    flowIndicators = true
                    blockIndicators = true
                case UInt8(ascii: "?"), UInt8(ascii: ":"):
                    flowIndicators = true
                    if followedByWhitespace { blockIndicators = true }
                case UInt8(ascii: "-"):
                    if followedByWhitespace {
                        flowIndicators = true
                        blockIndicators = true
                    }
                default:
                    break
                }
            } else {
                switch byte {
                case UInt8(ascii: ","), UInt8(ascii: "?"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"),
                    UInt8(ascii: "}"):
                    flowIndicators = true
                case UInt8(ascii: ":"):
                    flowIndicators = true
                    if followedByWhitespace { blockIndicators = true }
                case UInt8(ascii: "#"):
                    if precededByWhitespace {
                        flowIndicators = true
                        blockIndicators = true
                    }
                default:
                    break
                }
            }

            if byte == 0x09 {
                tabCharacters = true
            } else if !YAMLBytes.isPrintable(value, index) {
                specialCharacters = true
            }
            if byte == 0x20 {
                if index == 0 { leadingSpace = true }
                if index + width == value.count { trailingSpace = true }
                if previousBreak { breakSpace = true }
                previousSpace = true
                previousBreak = false
            } else if YAMLBytes.isBreak(value, index) {
                lineBreaks = true
                if index == 0 { leadingBreak = true }
                if index + width == value.count { trailingBreak = true }
                if previousSpace { spaceBreak = true }
                previousSpace = false
                previousBreak = true
            } else {
                previousSpace = false
                previousBreak = false
            }

            precededByWhitespace = YAMLBytes.isBlankOrBreakOrNUL(value, index)
            index += width
        }

        multiline = lineBreaks
        flowPlainAllowed = true
        blockPlainAllowed = true
        singleQuotedAllowed = true
        blockAllowed = true
        if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
            flowPlainAllowed = false
            blockPlainAllowed = false
        }
        if trailingSpace {
            blockAllowed = false
        }
        if breakSpace {
            flowPlainAllowed = false
            blockPlainAllowed = false
            singleQuotedAllowed = false
        }
        if spaceBreak || tabCharacters || specialCharacters {
            flowPlainAllowed = false
            blockPlainAllowed = false
            singleQuotedAllowed = false
        }
        if spaceBreak || specialCharacters {
            blockAllowed = false
        }
        if lineBreaks {
            flowPlainAllowed = false
            blockPlainAllowed = false
        }
        if flowIndicators {
            flowPlainAllowed = false
        }
        if blockIndicators {
            blockPlainAllowed = false
        }
    }
}

// MARK: - go-yaml v3's implicit tag resolution

/// go-yaml v3's `resolve("", text)` (resolve.go), reduced to the question its encoder asks of a string: would the
/// plain scalar `text` be read back as something other than a string? Such strings are double-quoted.
private enum YAMLResolver {
    /// The strings of go-yaml's resolve table (booleans, nulls, infinities and NaNs); "<<" is left out because
    /// go-yaml only consults the table for strings starting with one of `+-0123456789.yYnNtTfFoO~`.
    private static let specialScalars: Set<[UInt8]> = Set([
        "true", "True", "TRUE", "false", "False", "FALSE", "~", "null", "Null", "NULL",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    ].map { Array($0.utf8) })

    static func resolvesToNonString(_ text: [UInt8]) -> Bool {
        guard let first = text.first else { return true }  // The empty scalar is null.
        switch first {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return specialScalars.contains(text) || isNumberOrTimestamp(text)
        case UInt8(ascii: "."):
            // `strconv.ParseFloat` on a text starting with a dot: digits, then an optional exponent.
            return specialScalars.contains(text) || (isYAMLFloat(text) && parsesAsFiniteDouble(text))
        case UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"),
            UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "o"), UInt8(ascii: "O"),
            UInt8(ascii: "~"):
            return specialScalars.contains(text)
        default:
            return false
        }
    }

    /// The digit-or-sign branch of `resolve`: timestamp, integer (any base, underscores ignored), or float.
    private static func isNumberOrTimestamp(_ text: [UInt8]) -> Bool {
        if YAMLTimestamp.parses(text) { return true }
        let plain = ArraySlice(text.filter { $0 != UInt8(ascii: "_") })
        if parseInt64(plain, base: 0) != nil || parseUInt64(plain, base: 0) != nil { return true }
        if isYAMLFloat(plain) && parsesAsFiniteDouble(plain) { return true }
        let minus = [UInt8(ascii: "-")]
        for (prefix, base) in [("0b", 2), ("0o", 8)] {
            let prefixBytes = Array(prefix.utf8)
            if plain.starts(with: prefixBytes) {
                let digits = plain.dropFirst(2)
                if parseInt64(digits, base: base) != nil || parseUInt64(digits, base: base) != nil { return true }
            } else if plain.starts(with: minus + prefixBytes) {
                if parseInt64(ArraySlice(minus + plain.dropFirst(3)), base: base) != nil { return true }
            }
        }
        return false
    }

    /// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
    private static func isYAMLFloat<Bytes: Collection>(_ text: Bytes) -> Bool where Bytes.Element == UInt8 {
        var bytes = text[...]
        func digits() -> Int {
            let count = bytes.prefix { (0x30...0x39).contains($0) }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            guard digits() > 0 else { return false }
        } else {
            guard digits() > 0 else { return false }
            if bytes.first == UInt8(ascii: ".") {
                bytes = bytes.dropFirst()
                _ = digits()
            }
        }
        if let exponent = bytes.first, exponent == UInt8(ascii: "e") || exponent == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                bytes = bytes.dropFirst()
            }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }

    /// `strconv.ParseFloat` succeeds on a decimal text unless it overflows.
    private static func parsesAsFiniteDouble<Bytes: Collection>(_ text: Bytes) -> Bool where Bytes.Element == UInt8 {
        guard let number = Double(String(decoding: text, as: UTF8.self)) else { return false }
        return number.isFinite
    }

    /// `strconv.ParseInt(text, base, 64)` (base 0 reads a `0b`, `0o`, `0x` or `0` prefix).
    private static func parseInt64(_ text: ArraySlice<UInt8>, base: Int) -> Int64? {
        guard let first = text.first else { return nil }
        let negative = first == UInt8(ascii: "-")
        let digits = first == UInt8(ascii: "+") || negative ? text.dropFirst() : text
        guard let magnitude = parseUInt64(digits, base: base) else { return nil }
        if negative {
            guard magnitude <= UInt64(1) << 63 else { return nil }
            return magnitude == UInt64(1) << 63 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude < UInt64(1) << 63 else { return nil }
        return Int64(magnitude)
    }

    /// `strconv.ParseUint(text, base, 64)` for texts without underscores.
    private static func parseUInt64(_ text: ArraySlice<UInt8>, base: Int) -> UInt64? {
        guard let first = text.first else { return nil }
        var digits = text
        var radix = UInt64(base)
        if base == 0 {
            radix = 10
            if first == UInt8(ascii: "0") {
                let marker = text.count >= 3 ? text[text.startIndex + 1] | 0x20 : 0
                switch marker {
                case UInt8(ascii: "b"): radix = 2; digits = text.dropFirst(2)
                case UInt8(ascii: "o"): radix = 8; digits = text.dropFirst(2)
                case UInt8(ascii: "x"): radix = 16; digits = text.dropFirst(2)
                default: radix = 8; digits = text.dropFirst(1)
                }
            }
        }
        var value: UInt64 = 0
        for byte in digits {
            let digit: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): digit = UInt64(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): digit = UInt64(byte - UInt8(ascii: "A")) + 10
            default: return nil
            }
            guard digit < radix else { return nil }
            let (shifted, overflowMultiplying) = value.multipliedReportingOverflow(by: radix)
            let (sum, overflowAdding) = shifted.addingReportingOverflow(digit)
            guard !overflowMultiplying && !overflowAdding else { return nil }
            value = sum
        }
        return value
    }
}

/// go-yaml v3's `parseTimestamp`: whether `time.Parse` accepts the text in one of the layouts
/// `2006-1-2T15:4:5.999999999Z07:00`, `2006-1-2t15:4:5.999999999Z07:00`, `2006-1-2 15:4:5.999999999`, `2006-1-2`.
private enum YAMLTimestamp {
    static func parses(_ text: [UInt8]) -> Bool {
        var reader = Reader(bytes: text[...])
        guard reader.digits(exactly: 4), reader.skip(UInt8(ascii: "-")) else { return false }
        guard let year = Int(String(decoding: text.prefix(4), as: UTF8.self)) else { return false }
        guard let month = reader.number(), reader.skip(UInt8(ascii: "-")), let day = reader.number() else { return false }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return false }
        let afterDate = reader
        if afterDate.isAtEnd { return true }
        for separator in [UInt8(ascii: "T"), UInt8(ascii: "t")] {
            var withZone = afterDate
            if withZone.skip(separator), withZone.time(), withZone.zone(), withZone.isAtEnd { return true }
        }
        var spaced = afterDate
        return spaced.spaces() && spaced.time() && spaced.isAtEnd
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// A cursor over the text, with the pieces of Go's `time.Parse` that the layouts use.
    private struct Reader {
        var bytes: ArraySlice<UInt8>

        var isAtEnd: Bool { bytes.isEmpty }

        private static func isDigit(_ byte: UInt8?) -> Bool {
            guard let byte else { return false }
            return (0x30...0x39).contains(byte)
        }

        mutating func skip(_ byte: UInt8) -> Bool {
            guard bytes.first == byte else { return false }
            bytes = bytes.dropFirst()
            return true
        }

        mutating func digits(exactly count: Int) -> Bool {
            guard bytes.count >= count, bytes.prefix(count).allSatisfy({ Self.isDigit($0) }) else { return false }
            bytes = bytes.dropFirst(count)
            return true
        }

        /// Go's `getnum(value, false)`: one or two digits.
        mutating func number() -> Int? {
            guard let first = bytes.first, Self.isDigit(first) else { return nil }
            bytes = bytes.dropFirst()
            var value = Int(first - 0x30)
            if let second = bytes.first, Self.isDigit(second) {
                bytes = bytes.dropFirst()
                value = value * 10 + Int(second - 0x30)
            }
            return value
        }

        /// A space in a Go layout: when text remains, it must start with a space; all leading spaces are skipped.
        mutating func spaces() -> Bool {
            if let first = bytes.first, first != 0x20 { return false }
            bytes = bytes.drop { $0 == 0x20 }
            return true
        }

        /// `15:4:5.999999999`: hour, minute, second, and an optional fraction after `.` or `,`.
        mutating func time() -> Bool {
            guard let hour = number(), hour < 24, skip(UInt8(ascii: ":")),
                let minute = number(), minute < 60, skip(UInt8(ascii: ":")),
                let second = number(), second < 60
            else { return false }
            if let separator = bytes.first, separator == UInt8(ascii: ".") || separator == UInt8(ascii: ","),
                Self.isDigit(bytes.dropFirst().first)
            {
                bytes = bytes.dropFirst().drop { Self.isDigit($0) }
            }
            return true
        }

        /// `Z07:00`: `Z`, or a sign, two digits, `:` and two digits.
        mutating func zone() -> Bool {
            if skip(UInt8(ascii: "Z")) { return true }
            let zone = Array(bytes.prefix(6))
            guard zone.count == 6, zone[0] == UInt8(ascii: "+") || zone[0] == UInt8(ascii: "-"),
                Self.isDigit(zone[1]), Self.isDigit(zone[2]), zone[3] == UInt8(ascii: ":"),
                Self.isDigit(zone[4]), Self.isDigit(zone[5])
            else { return false }
            let hours = Int(zone[1] - 0x30) * 10 + Int(zone[2] - 0x30)
            let minutes = Int(zone[4] - 0x30) * 10 + Int(zone[5] - 0x30)
            guard hours <= 24, minutes <= 60 else { return false }
            bytes = bytes.dropFirst(6)
            return true
        }
    }
}
