import APIMachinery

extension ProtoSchema.ScalarKind {
    var wireType: ProtoReader.WireType {
        switch self {
        case .string, .bytes: return .lengthDelimited
        case .bool, .int32, .int64, .uint32, .uint64, .sint32, .sint64: return .varint
        case .fixed32, .sfixed32, .float: return .fixed32
        case .fixed64, .sfixed64, .double: return .fixed64
        }
    }

    var zeroValue: JSONValue {
        switch self {
        case .string, .bytes: return .string("")
        case .bool: return .bool(false)
        case .float, .double: return .double(0)
        default: return .integer(0)
        }
    }
}

extension ProtoSchema.ValueKind {
    var wireType: ProtoReader.WireType {
        switch self {
        case .scalar(let scalar): return scalar.wireType
        case .message: return .lengthDelimited
        }
    }
}
