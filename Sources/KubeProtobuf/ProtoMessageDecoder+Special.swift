import APIMachinery

extension ProtoMessageDecoder {
    /// The Kubernetes JSON form of the types that marshal themselves by hand in Go.
    func decodeSpecial(
        _ special: ProtoSchema.Special, message: ProtoSchema.Message, from bytes: ArraySlice<UInt8>, depth: Int
    ) throws(KubeProtobufError) -> JSONValue? {
        switch special {
        case .time, .microtime:
            let fields = try decodeFields(of: message, from: bytes, depth: depth)
            let seconds = fields["seconds"]?.integerValue ?? 0
            let nanos = fields["nanos"]?.integerValue ?? 0
            // Go reads an empty Timestamp as the zero time, which marshals as null.
            guard seconds != 0 || nanos != 0 else { return nil }
            return .string(try ProtoTimestamp.rfc3339(seconds: seconds, nanos: nanos, micro: special == .microtime))
        case .duration:
            let fields = try decodeFields(of: message, from: bytes, depth: depth)
            return .string(GoDuration.string(nanoseconds: fields["duration"]?.integerValue ?? 0))
        case .quantity:
            // The zero Quantity marshals as "0".
            let text = try decodeFields(of: message, from: bytes, depth: depth)["string"]?.stringValue ?? ""
            return .string(text.isEmpty ? "0" : text)
        case .intorstring:
            let fields = try decodeFields(of: message, from: bytes, depth: depth)
            if fields["type"]?.integerValue == 1 { return .string(fields["strVal"]?.stringValue ?? "") }
            return .integer(fields["intVal"]?.integerValue ?? 0)
        case .list:
            return .array(try decodeFields(of: message, from: bytes, depth: depth)["items"]?.arrayValue ?? [])
        case .rawjson:
            let raw = try Self.lastBytesField(1, in: bytes)
            return raw.isEmpty ? nil : try Self.parseJSON(raw, what: "FieldsV1")
        case .rawextension:
            let raw = try Self.lastBytesField(1, in: bytes)
            guard !raw.isEmpty else { return nil }
            if raw.starts(with: KubeProtobuf.magic) {
                return try decodeEnvelope(raw.dropFirst(KubeProtobuf.magic.count), depth: depth + 1)
            }
            return try Self.parseJSON(raw, what: "RawExtension")
        case .unknown:
            return try decodeEnvelope(bytes, depth: depth + 1)
        }
    }

    /// A `runtime.Unknown`: the object in `raw`, typed by `typeMeta`, encoded as `contentType` says
    /// (protobuf when empty, as Kubernetes' protobuf serializer leaves it).
    func decodeEnvelope(_ bytes: ArraySlice<UInt8>, depth: Int) throws(KubeProtobufError) -> JSONValue {
        guard depth <= Self.maximumDepth else {
            throw .malformed("exceeded maximum nesting depth of \(Self.maximumDepth)")
        }
        var apiVersion = ""
        var kind = ""
        var raw: ArraySlice<UInt8> = []
        var contentEncoding = ""
        var contentType = ""
        var reader = ProtoReader(bytes)
        while !reader.isAtEnd {
            let (number, wireType) = try reader.readTag()
            guard (1...4).contains(number) else {
                try reader.skip(wireType)
                continue
            }
            guard wireType == .lengthDelimited else {
                throw .malformed("Unknown: wrong wireType = \(wireType.rawValue) for field \(number)")
            }
            let payload = try reader.readLengthDelimited()
            switch number {
            case 1: (apiVersion, kind) = try Self.typeMeta(payload)
            case 2: raw = payload
            case 3: contentEncoding = String(decoding: payload, as: UTF8.self)
            default: contentType = String(decoding: payload, as: UTF8.self)
            }
        }
        guard contentEncoding.isEmpty else {
            throw KubeProtobufError(.malformed, "unsupported content encoding \"\(contentEncoding)\"")
        }

        var object: [String: JSONValue]
        switch contentType {
        case "", "application/vnd.kubernetes.protobuf":
            guard !kind.isEmpty else {
                throw KubeProtobufError(.unknownKind, "Object 'Kind' is missing in protobuf envelope")
            }
            guard let index = schema.messageIndex(apiVersion: apiVersion, kind: kind) else {
                throw .unknownKind(kind, apiVersion: apiVersion)
            }
            object = try decodeFields(of: schema.messages[index], from: raw, depth: depth)
        case "application/json":
            guard case .object(let parsed) = try Self.parseJSON(raw, what: kind.isEmpty ? "object" : kind) else {
                throw KubeProtobufError(.malformed, "the embedded JSON \(kind) is not an object")
            }
            object = parsed
        default:
            throw KubeProtobufError(
                .notProtobuf, "the body of the request was in an unknown format - content type \"\(contentType)\"")
        }
        if !apiVersion.isEmpty { object["apiVersion"] = .string(apiVersion) }
        if !kind.isEmpty { object["kind"] = .string(kind) }
        return .object(object)
    }

    private static func typeMeta(_ bytes: ArraySlice<UInt8>) throws(KubeProtobufError) -> (String, String) {
        var apiVersion = ""
        var kind = ""
        var reader = ProtoReader(bytes)
        while !reader.isAtEnd {
            let (number, wireType) = try reader.readTag()
            guard number == 1 || number == 2 else {
                try reader.skip(wireType)
                continue
            }
            guard wireType == .lengthDelimited else {
                throw .malformed("TypeMeta: wrong wireType = \(wireType.rawValue) for field \(number)")
            }
            let text = String(decoding: try reader.readLengthDelimited(), as: UTF8.self)
            if number == 1 { apiVersion = text } else { kind = text }
        }
        return (apiVersion, kind)
    }

    /// The payload of the last occurrence of a bytes field (protobuf's "last one wins"), empty when absent.
    private static func lastBytesField(_ wanted: Int, in bytes: ArraySlice<UInt8>) throws(KubeProtobufError)
        -> ArraySlice<UInt8>
    {
        var found: ArraySlice<UInt8> = []
        var reader = ProtoReader(bytes)
        while !reader.isAtEnd {
            let (number, wireType) = try reader.readTag()
            guard number == wanted else {
                try reader.skip(wireType)
                continue
            }
            guard wireType == .lengthDelimited else {
                throw .malformed("wrong wireType = \(wireType.rawValue) for field \(number)")
            }
            found = try reader.readLengthDelimited()
        }
        return found
    }

    private static func parseJSON(_ bytes: ArraySlice<UInt8>, what: String) throws(KubeProtobufError) -> JSONValue {
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw KubeProtobufError(.malformed, "\(what) does not hold valid JSON: \(error.message)")
        }
    }
}
