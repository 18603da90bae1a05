import APIMachinery
import Testing

@testable import APIRegistry

/// Randomised checks: a two-way patch turns its original into its target, and no input crashes the engine.
@Suite struct StrategicMergePatchPropertyTests {
    /// SplitMix64, so that a failure reproduces from its seed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A random subset of `pool` in random order (merge keys stay unique).
    static func subset<T>(_ pool: [T], _ random: inout SeededGenerator) -> [T] {
        pool.filter { _ in Bool.random(using: &random) }.shuffled(using: &random)
    }

    static func maybe(_ value: JSONValue, _ random: inout SeededGenerator) -> JSONValue? {
        Bool.random(using: &random) ? value : .none
    }

    static func labels(_ random: inout SeededGenerator) -> JSONValue {
        var fields: [String: JSONValue] = [:]
        for key in subset(["app", "tier", "team", "env"], &random) {
            fields[key] = .string(["web", "db", "a", "b"].randomElement(using: &random) ?? "x")
        }
        return .object(fields)
    }

    static func container(_ name: String, _ random: inout SeededGenerator) -> JSONValue {
        var fields: [String: JSONValue] = [
            "name": .string(name), "image": .string("\(name):1.\(Int.random(in: 0...2, using: &random))"),
        ]
        let env = subset(["A", "B", "C", "D"], &random).map { key -> JSONValue in
            var variable: [String: JSONValue] = ["name": .string(key)]
            variable["value"] = maybe(.string(String(Int.random(in: 0...2, using: &random))), &random)
            return .object(variable)
        }
        if !env.isEmpty || Bool.random(using: &random) { fields["env"] = .array(env) }
        let ports = subset([80, 443, 8080, 9090], &random).map { port -> JSONValue in
            var fields: [String: JSONValue] = ["containerPort": .integer(Int64(port))]
            fields["protocol"] = maybe("TCP", &random)
            return .object(fields)
        }
        if !ports.isEmpty { fields["ports"] = .array(ports) }
        fields["args"] = maybe(.array(subset(["-v", "--debug", "run"], &random).map(JSONValue.string)), &random)
        let mounts = subset(["/data", "/cache"], &random).map { path -> JSONValue in
            ["mountPath": .string(path), "name": path == "/data" ? "data" : "cache"]
        }
        if !mounts.isEmpty { fields["volumeMounts"] = .array(mounts) }
        return .object(fields)
    }

    static func deployment(_ random: inout SeededGenerator) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": "web", "namespace": "default"]
        metadata["labels"] = maybe(labels(&random), &random)
        metadata["annotations"] = maybe(labels(&random), &random)
        // Primitive merge lists stay sorted: Kubernetes' diff ignores a reordering that ends up sorted.
        let finalizers = ["a.io/x", "b.io/y", "c.io/z"].filter { _ in Bool.random(using: &random) }
        if !finalizers.isEmpty { metadata["finalizers"] = .array(finalizers.map(JSONValue.string)) }

        var podSpec: [String: JSONValue] = [
            "containers": .array(subset(["nginx", "sidecar", "agent"], &random).map { container($0, &random) })
        ]
        let volumes = subset(["data", "cache"], &random).map { name -> JSONValue in
            Bool.random(using: &random)
                ? ["name": .string(name), "emptyDir": [:]]
                : ["name": .string(name), "configMap": ["name": .string("cfg-\(name)")]]
        }
        if !volumes.isEmpty { podSpec["volumes"] = .array(volumes) }
        podSpec["tolerations"] = maybe([["key": "k", "operator": "Exists"]], &random)

        var spec: [String: JSONValue] = [
            "selector": ["matchLabels": ["app": "web"]],
            "template": ["metadata": .object(["labels": labels(&random)]), "spec": .object(podSpec)],
        ]
        spec["replicas"] = maybe(.integer(Int64.random(in: 0...3, using: &random)), &random)
        spec["strategy"] = maybe(
            Bool.random(using: &random)
                ? ["type": "Recreate"]
                : ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": .string("\(Int.random(in: 1...3, using: &random))")]],
            &random)
        return ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": .object(metadata), "spec": .object(spec)]
    }

    static func service(_ random: inout SeededGenerator) -> JSONValue {
        let ports = subset([80, 443, 53, 8080], &random).map { port -> JSONValue in
            var fields: [String: JSONValue] = ["port": .integer(Int64(port))]
            fields["targetPort"] = maybe(Bool.random(using: &random) ? .integer(Int64(port) + 1) : "http", &random)
            fields["name"] = maybe(.string("p\(port)"), &random)
            fields["protocol"] = maybe(port == 53 ? "UDP" : "TCP", &random)
            return .object(fields)
        }
        var spec: [String: JSONValue] = ["ports": .array(ports)]
        spec["selector"] = maybe(labels(&random), &random)
        spec["type"] = maybe(Bool.random(using: &random) ? "ClusterIP" : "NodePort", &random)
        spec["externalIPs"] = maybe(.array(subset(["1.1.1.1", "2.2.2.2"], &random).map(JSONValue.string)), &random)
        var metadata: [String: JSONValue] = ["name": "svc"]
        metadata["labels"] = maybe(labels(&random), &random)
        return ["apiVersion": "v1", "kind": "Service", "metadata": .object(metadata), "spec": .object(spec)]
    }

    static func configMap(_ random: inout SeededGenerator) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": "cfg"]
        metadata["labels"] = maybe(labels(&random), &random)
        var object: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": .object(metadata)]
        object["data"] = maybe(labels(&random), &random)
        object["immutable"] = maybe(.bool(Bool.random(using: &random)), &random)
        return object
    }

    static func object(of kind: String, _ random: inout SeededGenerator) -> JSONValue {
        switch kind {
        case "Deployment": return deployment(&random)
        case "Service": return service(&random)
        default: return configMap(&random)
        }
    }

    @Test(arguments: [("apps", "Deployment"), ("", "Service"), ("", "ConfigMap")])
    func twoWayPatchTurnsOriginalIntoModified(_ group: String, _ kind: String) throws {
        for seed in 0..<300 {
            var random = SeededGenerator(state: UInt64(seed * 7919 + kind.count))
            let original = Self.object(of: kind, &random)
            let modified = Self.object(of: kind, &random)
            let patch = try StrategicMergePatch.createTwoWay(
                original: original, modified: modified, group: group, version: "v1", kind: kind, schema: .builtIn)
            let result = try StrategicMergePatch.apply(
                patch, to: original, group: group, version: "v1", kind: kind, schema: .builtIn)
            #expect(
                result == modified,
                "seed \(seed): patch \(patch.serializedString()) gave \(result.serializedString())")
            if result != modified { return }
        }
    }

    static let keys = [
        "spec", "template", "metadata", "containers", "env", "name", "ports", "containerPort", "finalizers", "labels",
        "strategy", "rollingUpdate", "type", "volumes", "emptyDir", "$patch", "$retainKeys",
        "$setElementOrder/containers", "$setElementOrder/env", "$setElementOrder/finalizers",
        "$deleteFromPrimitiveList/finalizers", "$deleteFromPrimitiveList/env", "$setElementOrder", "data",
    ]

    static func randomValue(_ random: inout SeededGenerator, depth: Int) -> JSONValue {
        let choice = Int.random(in: 0..<(depth > 4 ? 6 : 9), using: &random)
        switch choice {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .integer(Int64.random(in: 0...500, using: &random))
        case 3: return .double(Double(Int.random(in: 0...9, using: &random)) / 4)
        case 4: return .string(["nginx", "A", "replace", "delete", "merge", "80", "x"].randomElement(using: &random) ?? "")
        case 5: return .string(keys.randomElement(using: &random) ?? "")
        case 6, 7:
            var fields: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                fields[keys.randomElement(using: &random) ?? ""] = randomValue(&random, depth: depth + 1)
            }
            return .object(fields)
        default:
            return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in randomValue(&random, depth: depth + 1) })
        }
    }

    @Test func randomPatchesNeverCrash() throws {
        var random = SeededGenerator(state: 42)
        var applied = 0
        for _ in 0..<3000 {
            let original = Self.deployment(&random)
            var patch = Self.randomValue(&random, depth: 0)
            // Half the patches are rooted where the merge lists live, to reach the list code.
            if Bool.random(using: &random) {
                patch = ["spec": ["template": ["spec": patch]], "metadata": Self.randomValue(&random, depth: 2)]
            }
            if let result = try? StrategicMergePatch.apply(
                patch, to: original, group: "apps", version: "v1", kind: "Deployment", schema: .builtIn)
            {
                applied += result.objectValue == nil ? 0 : 1
            }
            _ = try? StrategicMergePatch.createTwoWay(
                original: original, modified: patch, group: "apps", version: "v1", kind: "Deployment", schema: .builtIn)
            _ = try? StrategicMergePatch.createTwoWay(
                original: Self.randomValue(&random, depth: 0), modified: Self.randomValue(&random, depth: 0),
                group: "apps", version: "v1", kind: "Deployment", schema: .builtIn)
        }
        #expect(applied > 0)
    }

    @Test func goStableSortMatchesAStableSortForConsistentComparators() {
        var random = SeededGenerator(state: 7)
        for count in [0, 1, 5, 19, 20, 21, 45, 100] {
            let items = (0..<count).map { index in (key: Int.random(in: 0..<10, using: &random), index: index) }
            var sorted = items
            GoStableSort.sort(&sorted) { $0.key < $1.key }
            let expected = items.enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }
                .map(\.element)
            #expect(sorted.map(\.index) == expected.map(\.index))
        }
    }

    @Test func goFloatFormatting() {
        #expect(JSONValue.goFloat(1.5) == "1.5")
        #expect(JSONValue.goFloat(100000) == "100000")
        #expect(JSONValue.goFloat(1_000_000) == "1e+06")
        #expect(JSONValue.goFloat(1_234_567) == "1.234567e+06")
        #expect(JSONValue.goFloat(0.0001) == "0.0001")
        #expect(JSONValue.goFloat(0.00001) == "1e-05")
        #expect(JSONValue.goFloat(-2.25) == "-2.25")
        #expect(JSONValue.goFloat(0) == "0")
    }
}
