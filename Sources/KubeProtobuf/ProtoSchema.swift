/// The messages of Kubernetes' generated.proto files: per message, its fields by number with their JSON names and
/// types. Built from `compactText`, which scripts/generate-protobuf-schema.py derives from the .proto files.
struct ProtoSchema: Sendable {
    enum ScalarKind: Character, Sendable {
        case string = "s"
        case bytes = "b"
        case bool = "B"
        case int32 = "i"
        case int64 = "I"
        case uint32 = "u"
        case uint64 = "U"
        case sint32 = "z"
        case sint64 = "Z"
        case fixed32 = "x"
        case fixed64 = "X"
        case sfixed32 = "y"
        case sfixed64 = "Y"
        case float = "f"
        case double = "d"
    }

    /// A field's element: a scalar or a message (by index into `messages`).
    enum ValueKind: Sendable {
        case scalar(ScalarKind)
        case message(Int)
    }

    enum FieldKind: Sendable {
        case value(ValueKind)
        case map(key: ScalarKind, value: ValueKind)
    }

    /// Go types whose JSON form differs from their proto form.
    enum Special: String, Sendable {
        case time
        case microtime
        case duration
        case quantity
        case intorstring
        case rawextension
        case rawjson
        case unknown
        /// A wrapper message around a Go slice (`Verbs`, `ExtraValue`): JSON shows its `items` as a bare array.
        case list
    }

    struct Field: Sendable {
        let number: Int
        let jsonName: String
        let kind: FieldKind
        let isRepeated: Bool
        /// A Go pointer: a zero value on the wire was set on purpose and stays in the JSON.
        let isPointer: Bool
        /// An embedded Go struct tagged `json:",inline"`: its fields belong to the parent's JSON object.
        let isInline: Bool
    }

    struct Message: Sendable {
        let name: String
        let special: Special?
        let fields: [Int: Field]
    }

    let messages: [Message]
    private let indexByName: [String: Int]

    init(compactText: String) throws(KubeProtobufError) {
        var messages: [Message] = []
        var indexByName: [String: Int] = [:]
        let lines = compactText.split(separator: "\n", omittingEmptySubsequences: true)
        for line in lines {
            let message = try Self.parseMessage(line, messageCount: lines.count)
            indexByName[message.name] = messages.count
            messages.append(message)
        }
        self.messages = messages
        self.indexByName = indexByName
    }

    func messageIndex(named name: String) -> Int? {
        indexByName[name]
    }

    private static func parseMessage(_ line: Substring, messageCount: Int) throws(KubeProtobufError) -> Message {
        guard let equals = line.firstIndex(of: "=") else { throw corrupt(line) }
        let header = line[..<equals].split(separator: "@", maxSplits: 1)
        guard let name = header.first else { throw corrupt(line) }
        var special: Special?
        if header.count == 2 {
            guard let parsed = Special(rawValue: String(header[1])) else { throw corrupt(line) }
            special = parsed
        }
        var fields: [Int: Field] = [:]
        for entry in line[line.index(after: equals)...].split(separator: ";") {
            let field = try parseField(entry, messageCount: messageCount)
            fields[field.number] = field
        }
        return Message(name: String(name), special: special, fields: fields)
    }

    /// `<number>:<jsonName>:<flags><kind>[:<reference>]`, see the generator for the letters.
    private static func parseField(_ entry: Substring, messageCount: Int) throws(KubeProtobufError) -> Field {
        let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3, let number = Int(parts[0]), !parts[1].isEmpty else { throw corrupt(entry) }
        var code = parts[2]
        let isRepeated = code.contains("*")
        let isPointer = code.contains("?")
        let isInline = code.contains("^")
        code.removeAll { "*?^".contains($0) }

        let kind: FieldKind
        switch code {
        case "m":
            guard parts.count == 4, let index = Int(parts[3]), index >= 0, index < messageCount else {
                throw corrupt(entry)
            }
            kind = .value(.message(index))
        case "M":
            guard parts.count == 4 else { throw corrupt(entry) }
            let types = parts[3].split(separator: "/")
            guard types.count == 2, let keyCode = types[0].first, let key = ScalarKind(rawValue: keyCode) else {
                throw corrupt(entry)
            }
            kind = .map(key: key, value: try parseValueKind(types[1], messageCount: messageCount, entry: entry))
        default:
            kind = .value(try parseValueKind(code, messageCount: messageCount, entry: entry))
        }
        return Field(
            number: number, jsonName: String(parts[1]), kind: kind, isRepeated: isRepeated, isPointer: isPointer,
            isInline: isInline)
    }

    private static func parseValueKind(_ code: Substring, messageCount: Int, entry: Substring) throws(KubeProtobufError)
        -> ValueKind
    {
        if code.first == "m" {
            guard let index = Int(code.dropFirst()), index >= 0, index < messageCount else { throw corrupt(entry) }
            return .message(index)
        }
        guard code.count == 1, let letter = code.first, let scalar = ScalarKind(rawValue: letter) else {
            throw corrupt(entry)
        }
        return .scalar(scalar)
    }

    private static func corrupt(_ text: Substring) -> KubeProtobufError {
        KubeProtobufError(.unknownKind, "the built-in protobuf schema is corrupt near \"\(text.prefix(80))\"")
    }
}
