import APIMachinery
import KubeProtobuf
import Testing

/// Hostile and broken bodies end in a `KubeProtobufError`, never a crash or a hang.
struct MalformedInputTests {
    private static let deployment = WireTraceTests.deployment

    private func error(decoding bytes: [UInt8]) -> KubeProtobufError? {
        do {
            _ = try KubeProtobuf.decodeObject(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func envelopeDetection() {
        #expect(KubeProtobuf.hasEnvelope(Self.deployment))
        #expect(!KubeProtobuf.hasEnvelope(Array(#"{"kind":"Secret"}"#.utf8)))
        #expect(!KubeProtobuf.hasEnvelope([0x6B, 0x38, 0x73]))
        #expect(!KubeProtobuf.hasEnvelope([]))
    }

    @Test func bodiesWithoutMagicAreRefused() {
        for body in [[], Array(#"{"kind":"Secret"}"#.utf8), Array(Self.deployment.dropFirst(4))] {
            let failure = error(decoding: body)
            #expect(failure?.reason == .notProtobuf)
            #expect(failure?.message.hasPrefix("provided data does not appear to be a protobuf message") == true)
        }
    }

    @Test func everyTruncationInsideTheObjectThrows() {
        // The object (`raw`) ends 4 bytes before the end, where the empty contentEncoding and contentType follow.
        let rawStart = 4 + 2 + 0x15 + 3
        for length in rawStart..<(Self.deployment.count - 4) {
            let failure = error(decoding: Array(Self.deployment.prefix(length)))
            #expect(failure?.reason == .malformed, "prefix of \(length) bytes")
        }
        #expect(error(decoding: Array(Self.deployment.prefix(80)))?.message.contains("unexpected EOF") == true)
        for length in 4..<Self.deployment.count {
            _ = error(decoding: Array(Self.deployment.prefix(length)))
        }
    }

    @Test func randomBytesAreRejected() {
        var generator = SplitMix64(seed: 0x5EED)
        var failures = 0
        let attempts = 3000
        for attempt in 0..<attempts {
            let length = Int(generator.next() % 200)
            var body = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if attempt % 2 == 0 { body = KubeProtobuf.magic + body }
            if error(decoding: body) != nil { failures += 1 }
        }
        #expect(failures >= attempts * 95 / 100)
    }

    @Test func mutatedWireTraceNeverCrashes() {
        var generator = SplitMix64(seed: 42)
        for _ in 0..<3000 {
            var body = Self.deployment
            for _ in 0..<Int(1 + generator.next() % 4) {
                let index = 4 + Int(generator.next() % UInt64(body.count - 4))
                body[index] = UInt8(truncatingIfNeeded: generator.next())
            }
            _ = error(decoding: body)
        }
    }

    @Test func oversizedLengthsAndVarintsThrow() {
        // raw claims 2^63 - 1 bytes.
        let hugeLength = KubeProtobuf.magic + [0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        #expect(error(decoding: hugeLength)?.reason == .malformed)
        // raw claims 2^64 - 1 bytes, a negative length in Go.
        let negativeLength = KubeProtobuf.magic + [0x12] + [UInt8](repeating: 0xFF, count: 9) + [0x01]
        #expect(error(decoding: negativeLength)?.message.contains("negative length") == true)
        let endlessVarint = KubeProtobuf.magic + [UInt8](repeating: 0xFF, count: 11) + [0x00]
        #expect(error(decoding: endlessVarint)?.message.contains("integer overflow") == true)
    }

    @Test func wrongWireTypesAndGroupsThrow() {
        let numericName = ProtoWriter.envelope(apiVersion: "v1", kind: "Secret") {
            $0.message(1) { $0.int(1, 7) }
        }
        #expect(error(decoding: numericName)?.message.contains("wrong wireType = 0 for field name") == true)

        let group = ProtoWriter.envelope(apiVersion: "v1", kind: "Secret") {
            $0.tag(9, wireType: 3)
            $0.tag(9, wireType: 4)
        }
        #expect(error(decoding: group)?.reason == .malformed)

        let fieldZero = ProtoWriter.envelope(apiVersion: "v1", kind: "Secret") { $0.int(0, 1) }
        #expect(error(decoding: fieldZero)?.message.contains("illegal tag 0") == true)
    }

    @Test func unknownKindsThrow() {
        let widget = ProtoWriter.envelope(apiVersion: "v1", kind: "Widget") { _ in }
        #expect(error(decoding: widget)?.reason == .unknownKind)
        #expect(error(decoding: widget)?.message.contains(#"no kind "Widget" is registered for version "v1""#) == true)

        let unknownGroup = ProtoWriter.envelope(apiVersion: "example.com/v1", kind: "Secret") { _ in }
        #expect(error(decoding: unknownGroup)?.reason == .unknownKind)

        let noKind = ProtoWriter.envelope(apiVersion: "v1", kind: "") { _ in }
        #expect(error(decoding: noKind)?.reason == .unknownKind)

        // A nested type is not a kind of its own.
        let podSpec = ProtoWriter.envelope(apiVersion: "v1", kind: "PodSpec") { _ in }
        #expect(error(decoding: podSpec)?.reason == .unknownKind)
    }

    @Test func deepNestingStopsAtTheLimit() {
        var body = ProtoWriter.envelope(apiVersion: "v1", kind: "ConfigMap") { _ in }
        for _ in 0..<200 {
            let inner = body
            body = ProtoWriter.envelope(apiVersion: "apps/v1", kind: "ControllerRevision") {
                $0.message(2) { $0.bytes(1, inner) }
            }
        }
        #expect(error(decoding: body)?.message.contains("maximum nesting depth") == true)
    }

    @Test func rawExtensionMustHoldJSON() {
        let body = ProtoWriter.envelope(apiVersion: "apps/v1", kind: "ControllerRevision") {
            $0.message(2) { $0.bytes(1, [0x01, 0x02]) }
        }
        #expect(error(decoding: body)?.reason == .malformed)
    }
}

/// A small deterministic generator, so the fuzz cases are the same on every run.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
