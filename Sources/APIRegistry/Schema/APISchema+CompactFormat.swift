/// Reading the generator's compact schema: one definition per line, tab-separated
/// `name  group/version/Kind,...  required,...  property;property;...`, where a property is
/// `name=TYPE|k=mergeKey|s=strategy|l=listType|m=key,key|t=mapType`.
extension APISchema {
    static func parseDefinition(_ line: Substring) -> SchemaDefinition? {
        let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard columns.count == 4 else { return nil }
        let kinds: [SchemaKind] = columns[1].split(separator: ",").compactMap { text in
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3 else { return nil }
            return SchemaKind(group: String(parts[0]), version: String(parts[1]), kind: String(parts[2]))
        }
        var properties: [String: SchemaProperty] = [:]
        for text in columns[3].split(separator: ";") {
            guard let (name, property) = parseProperty(text) else { return nil }
            properties[name] = property
        }
        return SchemaDefinition(
            name: String(columns[0]), kinds: kinds, properties: properties,
            required: columns[2].split(separator: ",").map(String.init)
        )
    }

    private static func parseProperty(_ text: Substring) -> (String, SchemaProperty)? {
        let pieces = text.split(separator: "|")
        guard let head = pieces.first, let equals = head.firstIndex(of: "=") else { return nil }
        var typeCode = head[head.index(after: equals)...]
        guard let type = parseType(&typeCode), typeCode.isEmpty else { return nil }
        var property = SchemaProperty(type: type)
        for piece in pieces.dropFirst() {
            guard piece.count >= 2, piece[piece.index(after: piece.startIndex)] == "=" else { return nil }
            let value = String(piece.dropFirst(2))
            switch piece.first {
            case "k": property.patchMergeKey = value
            case "s": property.patchStrategy = value
            case "l": property.listType = value
            case "m": property.listMapKeys = value.split(separator: ",").map(String.init)
            case "t": property.mapType = value
            default: return nil
            }
        }
        return (String(head[..<equals]), property)
    }

    /// Consumes one type code from the front of `code`.
    private static func parseType(_ code: inout Substring) -> SchemaType? {
        guard let first = code.popFirst() else { return nil }
        switch first {
        case "s": return .string
        case "y": return .bytes
        case "i": return .int32
        case "I": return .int64
        case "n": return .number
        case "b": return .boolean
        case "q": return .quantity
        case "t": return .time
        case "u": return .microTime
        case "o": return .intOrString
        case "x": return .any
        case "[": return parseType(&code).map(SchemaType.array)
        case "{": return parseType(&code).map(SchemaType.map)
        case "@":
            let name = code
            code = code[code.endIndex...]
            return name.isEmpty ? nil : .reference(String(name))
        default: return nil
        }
    }
}
