import APIMachinery

/// Decodes `application/vnd.kubernetes.protobuf` request bodies — what `kubectl create secret|configmap|...`,
/// `auth can-i` and `auth whoami` send — into the JSON Kubernetes would show for the same object.
///
/// The body is the magic `k8s\0` followed by a `runtime.Unknown` whose `raw` holds the message of
/// k8s.io/api/<group>/<version>/generated.proto named by its `typeMeta`. Messages are read through a compact
/// schema generated from those .proto files (scripts/generate-protobuf-schema.py), not through generated code.
public enum KubeProtobuf {
    /// `k8s\0`, the prefix of every Kubernetes protobuf body.
    public static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]

    /// Decodes an envelope ("k8s\0" + runtime.Unknown) into the object as JSON, with apiVersion and kind set.
    public static func decodeObject(_ bytes: [UInt8]) throws(KubeProtobufError) -> JSONValue {
        guard hasEnvelope(bytes) else { throw .notProtobuf }
        let schema = try ProtoSchema.builtIn.get()
        return try ProtoMessageDecoder(schema: schema).decodeEnvelope(bytes.dropFirst(magic.count), depth: 0)
    }

    /// True when the bytes start with the "k8s\0" magic.
    public static func hasEnvelope(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: magic)
    }
}
