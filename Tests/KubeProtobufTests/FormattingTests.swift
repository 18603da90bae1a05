import Testing

@testable import KubeProtobuf

/// Time strings as Go prints them (`time.Time.Format(time.RFC3339)`, `RFC3339Micro`).
struct FormattingTests {
    @Test func rfc3339() throws {
        #expect(
            try ProtoTimestamp.rfc3339(seconds: 1_704_164_645, nanos: 999_999_999, micro: false)
                == "2024-01-02T03:04:05Z")
        #expect(try ProtoTimestamp.rfc3339(seconds: -1, nanos: 0, micro: false) == "1969-12-31T23:59:59Z")
        #expect(
            try ProtoTimestamp.rfc3339(seconds: 1_704_164_645, nanos: 5_000, micro: true)
                == "2024-01-02T03:04:05.000005Z")
        #expect(
            try ProtoTimestamp.rfc3339(seconds: 1_704_164_645, nanos: 0, micro: true) == "2024-01-02T03:04:05.000000Z")
        // time.Unix carries nanoseconds outside [0, 1e9) into the seconds.
        #expect(
            try ProtoTimestamp.rfc3339(seconds: 1_704_164_645, nanos: -1, micro: true) == "2024-01-02T03:04:04.999999Z")
        #expect(throws: KubeProtobufError.self) {
            try ProtoTimestamp.rfc3339(seconds: 253_402_300_800, nanos: 0, micro: false)
        }
        #expect(throws: KubeProtobufError.self) {
            try ProtoTimestamp.rfc3339(seconds: Int64.max, nanos: 999_999_999, micro: false)
        }
    }

    @Test func builtInSchemaParses() throws {
        let schema = try ProtoSchema.builtIn.get()
        #expect(schema.messages.count == ProtoSchema.compactText.split(separator: "\n").count)
        #expect(schema.messageIndex(apiVersion: "apps/v1", kind: "Deployment") != nil)
        #expect(schema.messageIndex(apiVersion: "networking.k8s.io/v1", kind: "Ingress") != nil)
        #expect(schema.messageIndex(apiVersion: "policy/v1", kind: "Eviction") != nil)
        #expect(schema.messageIndex(apiVersion: "batch/v1", kind: "CronJob") != nil)
        #expect(schema.messageIndex(apiVersion: "meta.k8s.io/v1", kind: "DeleteOptions") != nil)
        #expect(schema.messageIndex(apiVersion: "a/b/c", kind: "Deployment") == nil)
    }
}
