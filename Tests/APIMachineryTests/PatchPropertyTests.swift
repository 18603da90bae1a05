import APIMachinery
import Testing

/// Random documents from a fixed seed, so a failure always reproduces.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state
    }
}

enum RandomJSON {
    static let keys = ["a", "b", "c", "metadata", "spec", "x/y", "~tilde"]

    /// A random value without nulls (merge patch cannot express a stored null).
    static func value(depth: Int, using random: inout SeededGenerator) -> JSONValue {
        switch Int.random(in: 0..<(depth > 2 ? 4 : 6), using: &random) {
        case 0: return .integer(Int64.random(in: -5...5, using: &random))
        case 1: return .string(["", "web", "nginx:1.25"][Int.random(in: 0..<3, using: &random)])
        case 2: return .bool(Bool.random(using: &random))
        case 3: return .double(Double(Int.random(in: 0..<100, using: &random)) / 4 + 0.25)
        case 4: return .array((0..<Int.random(in: 0..<3, using: &random)).map { _ in value(depth: depth + 1, using: &random) })
        default: return object(depth: depth + 1, using: &random)
        }
    }

    static func object(depth: Int, using random: inout SeededGenerator) -> JSONValue {
        var fields: [String: JSONValue] = [:]
        for _ in 0..<Int.random(in: 0..<4, using: &random) {
            fields[keys[Int.random(in: 0..<keys.count, using: &random)]] = value(depth: depth, using: &random)
        }
        return .object(fields)
    }
}

@Suite("patch properties")
struct PatchPropertyTests {
    @Test func mergePatchDiffRoundTrips() {
        var random = SeededGenerator(state: 7)
        for _ in 0..<2000 {
            let original = RandomJSON.object(depth: 0, using: &random)
            let modified = RandomJSON.object(depth: 0, using: &random)
            let patch = MergePatch.diff(from: original, to: modified)
            #expect(MergePatch.apply(patch, to: original) == modified)
            #expect(MergePatch.apply(MergePatch.diff(from: original, to: original), to: original) == original)
        }
    }

    @Test func randomJSONPatchesNeverCrash() throws {
        var random = SeededGenerator(state: 11)
        let ops = ["add", "remove", "replace", "move", "copy", "test", "bogus"]
        let paths = ["", "/", "/a", "/a/0", "/spec/b", "/a/-", "/x~1y", "/~0tilde", "/metadata/c/9", "a"]
        var applied = 0
        for _ in 0..<3000 {
            let document = RandomJSON.object(depth: 0, using: &random)
            var operations: [JSONValue] = []
            for _ in 0..<Int.random(in: 1..<4, using: &random) {
                var operation: [String: JSONValue] = [
                    "op": .string(ops[Int.random(in: 0..<ops.count, using: &random)]),
                    "path": .string(paths[Int.random(in: 0..<paths.count, using: &random)]),
                ]
                if Bool.random(using: &random) { operation["value"] = RandomJSON.value(depth: 2, using: &random) }
                if Bool.random(using: &random) { operation["from"] = .string(paths[Int.random(in: 0..<paths.count, using: &random)]) }
                operations.append(.object(operation))
            }
            if (try? JSONPatch.apply(.array(operations), to: document)) != nil { applied += 1 }
        }
        // Some random patches must apply and some must fail, or the generator tests nothing.
        #expect(applied > 20)
        #expect(applied < 2900)
    }

    @Test func malformedJSONNeverCrashesTheParser() {
        var random = SeededGenerator(state: 13)
        let alphabet = Array("{}[]\":,\\ntrufalse0123456789.-eE \t".utf8)
        for _ in 0..<5000 {
            let bytes = (0..<Int.random(in: 0..<40, using: &random)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] }
            _ = try? JSONValue.parse(bytes)
        }
    }
}
