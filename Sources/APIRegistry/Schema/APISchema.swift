import APIMachinery

/// The built-in API's object schemas, used for strict decoding (unknown fields, type errors) and strategic merge patch.
///
/// Built from a compact, description-free form of the OpenAPI spec that the generator script commits; it is
/// parsed on first use of `builtIn` and is immutable afterwards.
public final class APISchema: Sendable {
    /// The schema of every object reachable from the built-in resources.
    public static let builtIn = APISchema(compactSchema: builtInCompactSchema)

    private let definitions: [String: SchemaDefinition]
    private let definitionsByKind: [SchemaKind: String]

    /// Parses the generator's compact form (see scripts/generate-api-catalog.py); malformed lines are skipped.
    public init(compactSchema: String) {
        var definitions: [String: SchemaDefinition] = [:]
        var byKind: [SchemaKind: String] = [:]
        for line in compactSchema.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let definition = Self.parseDefinition(line) else { continue }
            definitions[definition.name] = definition
            for kind in definition.kinds where byKind[kind] == nil {
                byKind[kind] = definition.name
            }
        }
        self.definitions = definitions
        self.definitionsByKind = byKind
    }

    /// The top-level definition of a kind, e.g. `("apps", "v1", "Deployment")`.
    public func definition(group: String, version: String, kind: String) -> SchemaDefinition? {
        definitionsByKind[SchemaKind(group: group, version: version, kind: kind)].flatMap { definitions[$0] }
    }

    /// A definition by its OpenAPI name, for following `SchemaType.reference`.
    public func definition(named name: String) -> SchemaDefinition? {
        definitions[name]
    }

    /// Every definition name, sorted.
    public var definitionNames: [String] {
        definitions.keys.sorted()
    }
}
