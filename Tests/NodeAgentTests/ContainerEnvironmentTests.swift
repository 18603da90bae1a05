import APIMachinery
import APIRegistry
import Testing

@testable import NodeAgent

/// How a container's environment, command and args come out of its spec, as the kubelet builds them.
@Suite("container environment")
struct ContainerEnvironmentTests {
    static let pod: JSONValue = [
        "metadata": ["name": "web-0", "namespace": "shop", "uid": "1234", "labels": ["app": "web"], "annotations": ["team": "blue"]],
        "spec": [
            "nodeName": "node-a", "serviceAccountName": "builder",
            "containers": [
                ["name": "app", "resources": ["requests": ["cpu": "250m", "memory": "64Mi"], "limits": ["memory": "128Mi"]]],
                ["name": "sidecar", "resources": ["limits": ["cpu": "2"]]],
            ],
        ],
    ]
    static let configMaps: [String: JSONValue] = [
        "settings": ["data": ["LOG_LEVEL": "debug", "MODE": "fast", "bad=key": "x"]]
    ]
    // "s3cr3t" and "admin" in base64, as Secrets store them.
    static let secrets: [String: JSONValue] = ["db": ["data": ["password": "czNjcjN0", "user": "YWRtaW4="]]]

    static func environment() -> ContainerEnvironment {
        ContainerEnvironment(
            pod: pod, podIPs: ["10.42.0.7"], hostIPs: ["192.168.1.5"], nodeAllocatable: ["cpu": Quantity("4")!, "memory": Quantity("8Gi")!],
            configMap: { configMaps[$0] }, secret: { secrets[$0] })
    }

    static func names(_ variables: [(name: String, value: String)]) -> [String: String] {
        Dictionary(variables.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    @Test func envFromThenEnvWithReferencesToWhatCameBefore() throws {
        let container: JSONValue = [
            "name": "app",
            "envFrom": [["configMapRef": ["name": "settings"]], ["prefix": "DB_", "secretRef": ["name": "db"]]],
            "env": [
                ["name": "MODE", "value": "safe"],
                ["name": "GREETING", "value": "level $(LOG_LEVEL) as $(DB_user), $(UNSET) and $$(LOG_LEVEL)"],
                ["name": "PASSWORD", "valueFrom": ["secretKeyRef": ["name": "db", "key": "password"]]],
                ["name": "LEVEL", "valueFrom": ["configMapKeyRef": ["name": "settings", "key": "LOG_LEVEL"]]],
            ],
        ]
        let variables = try Self.environment().variables(for: container)
        let values = Self.names(variables)
        #expect(values["LOG_LEVEL"] == "debug")
        #expect(values["MODE"] == "safe", "env replaces what envFrom set")
        #expect(values["DB_password"] == "s3cr3t" && values["DB_user"] == "admin")
        #expect(values["GREETING"] == "level debug as admin, $(UNSET) and $(LOG_LEVEL)")
        #expect(values["PASSWORD"] == "s3cr3t" && values["LEVEL"] == "debug")
        #expect(values["bad=key"] == nil, "a key that cannot be a variable name is skipped")
        #expect(variables.filter { $0.name == "MODE" }.count == 1)
    }

    @Test func missingReferencesFailUnlessOptional() throws {
        let environment = Self.environment()
        func variables(_ env: JSONValue) throws(ContainerConfigError) -> [String: String] {
            Self.names(try environment.variables(for: ["name": "app", "env": env]))
        }
        #expect(throws: ContainerConfigError(message: "configmap \"missing\" not found")) {
            try variables([["name": "X", "valueFrom": ["configMapKeyRef": ["name": "missing", "key": "k"]]]])
        }
        #expect(throws: ContainerConfigError(message: "couldn't find key nope in ConfigMap shop/settings")) {
            try variables([["name": "X", "valueFrom": ["configMapKeyRef": ["name": "settings", "key": "nope"]]]])
        }
        #expect(throws: ContainerConfigError(message: "couldn't find key nope in Secret shop/db")) {
            try variables([["name": "X", "valueFrom": ["secretKeyRef": ["name": "db", "key": "nope"]]]])
        }
        #expect(throws: ContainerConfigError(message: "secret \"gone\" not found")) {
            try environment.variables(for: ["name": "app", "envFrom": [["secretRef": ["name": "gone"]]]])
        }
        let optional = try variables([
            ["name": "X", "valueFrom": ["configMapKeyRef": ["name": "missing", "key": "k", "optional": true]]],
            ["name": "Y", "valueFrom": ["secretKeyRef": ["name": "db", "key": "nope", "optional": true]]],
        ])
        #expect(optional.isEmpty)
    }

    @Test func podFieldsAndResourceValues() throws {
        let container = (Self.pod[path: "spec", "containers"]?.arrayValue ?? [])[0]
        let field = { (path: String) -> JSONValue in ["valueFrom": ["fieldRef": ["fieldPath": .string(path)]]] }
        let resource = { (name: String, divisor: String?) -> JSONValue in
            var reference: JSONValue = ["resource": .string(name)]
            if let divisor { reference["divisor"] = .string(divisor) }
            return ["valueFrom": ["resourceFieldRef": reference]]
        }
        let wanted: [(String, JSONValue, String)] = [
            ("POD", field("metadata.name"), "web-0"), ("NS", field("metadata.namespace"), "shop"), ("UID", field("metadata.uid"), "1234"),
            ("APP", field("metadata.labels['app']"), "web"), ("TEAM", field("metadata.annotations['team']"), "blue"),
            ("NONE", field("metadata.labels['none']"), ""), ("NODE", field("spec.nodeName"), "node-a"),
            ("SA", field("spec.serviceAccountName"), "builder"), ("IP", field("status.podIP"), "10.42.0.7"),
            ("HOST", field("status.hostIP"), "192.168.1.5"),
            // 250m rounds up to 1 core; in millicores it is 250.
            ("CPU_REQUEST", resource("requests.cpu", nil), "1"), ("CPU_REQUEST_M", resource("requests.cpu", "1m"), "250"),
            ("MEMORY_LIMIT_MI", resource("limits.memory", "1Mi"), "128"), ("MEMORY_REQUEST", resource("requests.memory", nil), "67108864"),
            // No cpu limit: the node's allocatable cpu.
            ("CPU_LIMIT", resource("limits.cpu", nil), "4"),
        ]
        var env = wanted.map { name, source, _ in
            var variable = source
            variable["name"] = .string(name)
            return variable
        }
        env.append(["name": "SIDECAR_CPU", "valueFrom": ["resourceFieldRef": ["containerName": "sidecar", "resource": "limits.cpu"]]])
        var withEnv = container
        withEnv["env"] = .array(env)
        let values = Self.names(try Self.environment().variables(for: withEnv))
        for (name, _, value) in wanted { #expect(values[name] == value, "\(name)") }
        #expect(values["SIDECAR_CPU"] == "2")
    }

    @Test func commandAndArgsExpandTheEnvironment() {
        let container: JSONValue = ["command": ["sh", "-c", "echo $(GREETING)"], "args": ["$(MISSING)", "$$(GREETING)", "cost: $5"]]
        let expanded = ContainerEnvironment.expandedCommand(container, environment: [("GREETING", "hi")])
        #expect(expanded.command == ["sh", "-c", "echo hi"])
        #expect(expanded.args == ["$(MISSING)", "$(GREETING)", "cost: $5"])
    }

    @Test func expansionKeepsWhatIsNotAReference() {
        let lookup: (String) -> String? = { ["A": "1"][$0] }
        #expect(VariableExpansion.expand("$(A)$(A)", lookup) == "11")
        #expect(VariableExpansion.expand("$(A", lookup) == "$(A")
        #expect(VariableExpansion.expand("$$", lookup) == "$")
        #expect(VariableExpansion.expand("a$", lookup) == "a$")
        #expect(VariableExpansion.expand("$x$(A)", lookup) == "$x1")
    }
}

@Suite("restart back-off")
struct RestartBackoffTests {
    @Test func restartsAtOnceThenDoublesFromTenSecondsToFiveMinutes() {
        var backoff = RestartBackoff()
        let delays = (0..<8).map { _ in backoff.containerExited(after: .seconds(1)) }
        #expect(delays == [.zero, .seconds(10), .seconds(20), .seconds(40), .seconds(80), .seconds(160), .seconds(300), .seconds(300)])
    }

    @Test func tenMinutesOfRunningForgetsEarlierCrashes() {
        var backoff = RestartBackoff()
        _ = backoff.containerExited(after: .seconds(1))
        _ = backoff.containerExited(after: .seconds(1))
        #expect(backoff.containerExited(after: .seconds(600)) == .zero)
        #expect(backoff.containerExited(after: .seconds(1)) == .seconds(10))
    }
}
