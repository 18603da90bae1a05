import APIMachinery
import Foundation

/// Turns protobuf messages into the JSON Kubernetes' Go types marshal to, driven by `ProtoSchema`.
///
/// Go's protobuf marshalling writes every non-pointer field, zero or not, and its JSON marshalling then omits those
/// zeros (`omitempty`), so a zero scalar stays only when the schema marks the field as a Go pointer
/// (`replicas: 0`). Messages always stay (`"strategy": {}`), as Go's `omitempty` never drops a struct.
struct ProtoMessageDecoder {
    /// Far deeper than any Kubernetes object (a pod template's affinity terms are about a dozen levels down),
    /// shallow enough that hostile nesting cannot exhaust the stack.
    static let maximumDepth = 64

    let schema: ProtoSchema

    /// The JSON form of one message, or `nil` when Kubernetes' JSON leaves it out (a zero `Time`, an empty
    /// `RawExtension`).
    func decode(message index: Int, from bytes: ArraySlice<UInt8>, depth: Int) throws(KubeProtobufError) -> JSONValue? {
        guard depth <= Self.maximumDepth else {
            throw .malformed("exceeded maximum nesting depth of \(Self.maximumDepth)")
        }
        let message = schema.messages[index]
        guard let special = message.special else {
            return .object(try decodeFields(of: message, from: bytes, depth: depth))
        }
        return try decodeSpecial(special, message: message, from: bytes, depth: depth)
    }

    /// The fields of a plain message as a JSON object, inline members merged in.
    func decodeFields(of message: ProtoSchema.Message, from bytes: ArraySlice<UInt8>, depth: Int)
        throws(KubeProtobufError) -> [String: JSONValue]
    {
        var object: [String: JSONValue] = [:]
        var lists: [String: [JSONValue]] = [:]
        var maps: [String: [String: JSONValue]] = [:]
        var reader = ProtoReader(bytes)
        while !reader.isAtEnd {
            let (number, wireType) = try reader.readTag()
            guard let field = message.fields[number] else {
                try reader.skip(wireType)
                continue
            }
            switch field.kind {
            case .map(let keyKind, let valueKind):
                try expect(wireType, .lengthDelimited, field: field, in: message)
                let (key, value) = try decodeMapEntry(
                    try reader.readLengthDelimited(), key: keyKind, value: valueKind, depth: depth)
                maps[field.jsonName, default: [:]][key] = value
            case .value(let valueKind):
                if field.isRepeated {
                    try appendRepeated(
                        valueKind, wireType: wireType, field: field, in: message, from: &reader, to: &lists,
                        depth: depth)
                    continue
                }
                try expect(wireType, valueKind.wireType, field: field, in: message)
                let value = try decodeValue(valueKind, from: &reader, depth: depth)
                if field.isInline {
                    if case .object(let members)? = value { object.merge(members) { _, inner in inner } }
                } else if let value, field.isPointer || !Self.isZeroScalar(value) {
                    object[field.jsonName] = value
                } else {
                    object[field.jsonName] = nil
                }
            }
        }
        for (name, items) in lists where !items.isEmpty { object[name] = .array(items) }
        for (name, entries) in maps where !entries.isEmpty { object[name] = .object(entries) }
        return object
    }

    private func appendRepeated(
        _ valueKind: ProtoSchema.ValueKind, wireType: ProtoReader.WireType, field: ProtoSchema.Field,
        in message: ProtoSchema.Message, from reader: inout ProtoReader, to lists: inout [String: [JSONValue]],
        depth: Int
    ) throws(KubeProtobufError) {
        let elementWireType = valueKind.wireType
        if case .scalar(let scalar) = valueKind, wireType == .lengthDelimited, elementWireType != .lengthDelimited {
            var packed = ProtoReader(try reader.readLengthDelimited())
            while !packed.isAtEnd {
                lists[field.jsonName, default: []].append(try decodeScalar(scalar, from: &packed))
            }
            return
        }
        try expect(wireType, elementWireType, field: field, in: message)
        lists[field.jsonName, default: []].append(try decodeValue(valueKind, from: &reader, depth: depth) ?? .null)
    }

    /// A map entry is a message {key = 1, value = 2}; a missing half takes its zero value, as in Go.
    private func decodeMapEntry(
        _ entry: ArraySlice<UInt8>, key keyKind: ProtoSchema.ScalarKind, value valueKind: ProtoSchema.ValueKind,
        depth: Int
    ) throws(KubeProtobufError) -> (String, JSONValue) {
        var key: JSONValue?
        var value: JSONValue?
        var reader = ProtoReader(entry)
        while !reader.isAtEnd {
            let (number, wireType) = try reader.readTag()
            switch number {
            case 1:
                guard wireType == keyKind.wireType else {
                    throw .malformed("wrong wireType = \(wireType.rawValue) for map key")
                }
                key = try decodeScalar(keyKind, from: &reader)
            case 2:
                guard wireType == valueKind.wireType else {
                    throw .malformed("wrong wireType = \(wireType.rawValue) for map value")
                }
                value = try decodeValue(valueKind, from: &reader, depth: depth) ?? .null
            default:
                try reader.skip(wireType)
            }
        }
        if value == nil {
            switch valueKind {
            case .scalar(let scalar): value = scalar.zeroValue
            case .message(let index): value = try decode(message: index, from: [], depth: depth + 1) ?? .null
            }
        }
        return (key.map(Self.mapKey) ?? Self.mapKey(keyKind.zeroValue), value ?? .null)
    }

    private func decodeValue(_ kind: ProtoSchema.ValueKind, from reader: inout ProtoReader, depth: Int)
        throws(KubeProtobufError) -> JSONValue?
    {
        switch kind {
        case .scalar(let scalar):
            return try decodeScalar(scalar, from: &reader)
        case .message(let index):
            return try decode(message: index, from: try reader.readLengthDelimited(), depth: depth + 1)
        }
    }

    private func decodeScalar(_ kind: ProtoSchema.ScalarKind, from reader: inout ProtoReader) throws(KubeProtobufError)
        -> JSONValue
    {
        switch kind {
        case .string: return .string(String(decoding: try reader.readLengthDelimited(), as: UTF8.self))
        case .bytes: return .string(Data(try reader.readLengthDelimited()).base64EncodedString())
        case .bool: return .bool(try reader.readVarint() != 0)
        case .int32: return .integer(Int64(Int32(truncatingIfNeeded: try reader.readVarint())))
        case .int64: return .integer(Int64(bitPattern: try reader.readVarint()))
        case .uint32: return .integer(Int64(UInt32(truncatingIfNeeded: try reader.readVarint())))
        case .uint64: return Self.unsigned(try reader.readVarint())
        case .sint32:
            let raw = UInt32(truncatingIfNeeded: try reader.readVarint())
            return .integer(Int64(Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))))
        case .sint64:
            let raw = try reader.readVarint()
            return .integer(Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1))))
        case .fixed32: return .integer(Int64(try reader.readFixed32()))
        case .sfixed32: return .integer(Int64(Int32(bitPattern: try reader.readFixed32())))
        case .fixed64: return Self.unsigned(try reader.readFixed64())
        case .sfixed64: return .integer(Int64(bitPattern: try reader.readFixed64()))
        case .float: return try Self.finite(Double(Float(bitPattern: try reader.readFixed32())))
        case .double: return try Self.finite(Double(bitPattern: try reader.readFixed64()))
        }
    }

    private func expect(
        _ actual: ProtoReader.WireType, _ expected: ProtoReader.WireType, field: ProtoSchema.Field,
        in message: ProtoSchema.Message
    ) throws(KubeProtobufError) {
        guard actual == expected else {
            let typeName = message.name.split(separator: ".").last.map(String.init) ?? message.name
            throw .malformed("\(typeName): wrong wireType = \(actual.rawValue) for field \(field.jsonName)")
        }
    }

    private static func unsigned(_ value: UInt64) -> JSONValue {
        value <= UInt64(Int64.max) ? .integer(Int64(value)) : .double(Double(value))
    }

    /// Go's JSON encoder refuses NaN and infinities, so Kubernetes could not have produced them either.
    private static func finite(_ value: Double) throws(KubeProtobufError) -> JSONValue {
        guard value.isFinite else { throw .malformed("unsupported value: \(value)") }
        return .double(value)
    }

    private static func mapKey(_ key: JSONValue) -> String {
        switch key {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .double(let number): return String(number)
        default: return ""
        }
    }

    /// The values Go's `omitempty` drops from a non-pointer field.
    private static func isZeroScalar(_ value: JSONValue) -> Bool {
        switch value {
        case .null: return true
        case .string(let text): return text.isEmpty
        case .integer(let number): return number == 0
        case .double(let number): return number == 0
        case .bool(let flag): return !flag
        case .array, .object: return false
        }
    }
}
