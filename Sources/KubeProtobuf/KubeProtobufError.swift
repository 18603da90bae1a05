/// Why a `application/vnd.kubernetes.protobuf` body could not be decoded. The messages follow Kubernetes' own
/// (its protobuf serializer and gogo-protobuf's generated unmarshallers), so they can go into a 400 Status as-is.
public struct KubeProtobufError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The body does not start with the `k8s\0` magic.
        case notProtobuf
        /// The envelope names an apiVersion/kind that has no protobuf schema.
        case unknownKind
        /// The bytes are not valid wire format for the schema: truncated, overflowing, a wrong wire type, too deep.
        case malformed
    }

    public let reason: Reason
    public let message: String

    public var description: String { message }

    init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    static let notProtobuf = KubeProtobufError(
        .notProtobuf, "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]")

    static let unexpectedEOF = malformed("unexpected EOF")

    static func malformed(_ detail: String) -> KubeProtobufError {
        KubeProtobufError(.malformed, "proto: cannot parse invalid wire-format data: " + detail)
    }

    static func unknownKind(_ kind: String, apiVersion: String) -> KubeProtobufError {
        let registration = "no kind \"\(kind)\" is registered for version \"\(apiVersion)\""
        return KubeProtobufError(.unknownKind, "the body of the request was in an unknown format: " + registration)
    }
}
