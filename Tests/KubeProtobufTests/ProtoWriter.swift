import KubeProtobuf

/// Builds protobuf wire bytes for tests, the way Go's generated marshallers lay them out.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func rawVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    mutating func tag(_ field: Int, wireType: UInt64) {
        rawVarint(UInt64(field) << 3 | wireType)
    }

    /// int32, int64 and bool fields: negative numbers are sign-extended to ten bytes, as Go writes them.
    mutating func int(_ field: Int, _ value: Int64) {
        tag(field, wireType: 0)
        rawVarint(UInt64(bitPattern: value))
    }

    mutating func bool(_ field: Int, _ value: Bool) {
        int(field, value ? 1 : 0)
    }

    mutating func bytes(_ field: Int, _ payload: [UInt8]) {
        tag(field, wireType: 2)
        rawVarint(UInt64(payload.count))
        bytes += payload
    }

    mutating func string(_ field: Int, _ text: String) {
        bytes(field, Array(text.utf8))
    }

    mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        build(&inner)
        bytes(field, inner.bytes)
    }

    /// A `map<string, string>` entry.
    mutating func mapEntry(_ field: Int, _ key: String, _ value: String) {
        message(field) {
            $0.string(1, key)
            $0.string(2, value)
        }
    }

    /// "k8s\0" + runtime.Unknown{typeMeta, raw, contentEncoding "", contentType ""}, as client-go sends it.
    static func envelope(
        apiVersion: String, kind: String, contentType: String = "", _ build: (inout ProtoWriter) -> Void
    )
        -> [UInt8]
    {
        var raw = ProtoWriter()
        build(&raw)
        var unknown = ProtoWriter()
        unknown.message(1) {
            $0.string(1, apiVersion)
            $0.string(2, kind)
        }
        unknown.bytes(2, raw.bytes)
        unknown.string(3, "")
        unknown.string(4, contentType)
        return KubeProtobuf.magic + unknown.bytes
    }
}

extension Array where Element == UInt8 {
    /// Bytes from the `body(hex)=` form of the wire traces.
    init(hex: String) {
        var result: [UInt8] = []
        var high: UInt8?
        for character in hex.utf8 {
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            default: continue
            }
            if let first = high {
                result.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        self = result
    }
}
