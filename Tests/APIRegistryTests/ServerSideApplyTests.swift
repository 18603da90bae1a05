import APIMachinery
import Testing

@testable import APIRegistry

/// Server-side apply against Kubernetes' documented behaviour (Server-Side Apply docs, structured-merge-diff tests).
@Suite struct ServerSideApplyTests {
    static let t0 = "2024-01-01T00:00:00Z"
    static let t1 = "2024-01-01T00:01:00Z"
    static let t2 = "2024-01-01T00:02:00Z"

    static func configMap(_ data: JSONValue) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cfg", "namespace": "default"], "data": data]
    }

    static func deployment(image: String = "nginx:1.25", replicas: JSONValue? = 2, env: [String] = ["A", "B"]) -> JSONValue {
        var container: JSONValue = [
            "name": "nginx", "image": .string(image), "ports": [["containerPort": 80]],
        ]
        if !env.isEmpty {
            container["env"] = .array(env.map { ["name": .string($0), "value": .string($0 == "A" ? "1" : "2")] })
        }
        var object: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "nginx", "namespace": "default", "labels": ["app": "nginx"]],
            "spec": [
                "selector": ["matchLabels": ["app": "nginx"]],
                "template": ["metadata": ["labels": ["app": "nginx"]], "spec": ["containers": [container]]],
            ],
        ]
        object[path: "spec", "replicas"] = replicas
        return object
    }

    static func applyDeployment(
        _ config: JSONValue, to live: JSONValue?, manager: String = "kubectl", force: Bool = false, now: String = t0
    ) throws(ServerSideApplyError) -> JSONValue {
        try ServerSideApply.apply(
            config: config, to: live, manager: manager, force: force, group: "apps", version: "v1", kind: "Deployment",
            schema: .builtIn, now: now)
    }

    static func applyConfigMap(_ config: JSONValue, to live: JSONValue?, manager: String, now: String = t0) throws(ServerSideApplyError)
        -> JSONValue
    {
        try ServerSideApply.apply(
            config: config, to: live, manager: manager, force: false, group: "", version: "v1", kind: "ConfigMap",
            schema: .builtIn, now: now)
    }

    static func entry(_ object: JSONValue, manager: String, operation: String = "Apply") -> JSONValue? {
        object[path: "metadata", "managedFields"]?.arrayValue?.first {
            $0["manager"]?.stringValue == manager && $0["operation"]?.stringValue == operation
        }
    }

    static func fields(_ object: JSONValue, manager: String, operation: String = "Apply") -> JSONValue? {
        entry(object, manager: manager, operation: operation)?["fieldsV1"]
    }

    static func parse(_ text: String) -> JSONValue {
        (try? JSONValue.parse(text)) ?? .null
    }

    // The ConfigMap of the apply_ssa_new trace, created by apply.
    @Test func createByApplyRecordsTheAppliedFields() throws {
        let config: JSONValue = Self.parse(#"{"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap","metadata":{"name":"cfg","namespace":"default"}}"#)
        let created = try Self.applyConfigMap(config, to: nil, manager: "kubectl")
        #expect(created["data"] == ["a": "1"])
        #expect(created[path: "metadata", "name"] == "cfg")
        #expect(
            created[path: "metadata", "managedFields"]
                == [
                    [
                        "manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": "2024-01-01T00:00:00Z",
                        "fieldsType": "FieldsV1", "fieldsV1": ["f:data": ["f:a": [:]]],
                    ]
                ])
    }

    // The Deployment of the apply_ssa trace: list-map items carry ".", the atomic selector is one field, and the
    // port item's key includes the defaulted protocol.
    @Test func createDeploymentByApplyRecordsKeyedItems() throws {
        let created = try Self.applyDeployment(Self.deployment(), to: nil)
        let expected = Self.parse(
            #"""
            {"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:env":{"k:{\"name\":\"A\"}":{".":{},"f:name":{},"f:value":{}},"k:{\"name\":\"B\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:name":{},"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}}
            """#)
        #expect(Self.fields(created, manager: "kubectl") == expected)
        #expect(Self.entry(created, manager: "kubectl")?["apiVersion"] == "apps/v1")
        #expect(created[path: "spec", "template", "spec", "containers"] == Self.deployment()[path: "spec", "template", "spec", "containers"])
    }

    @Test func reapplyWithoutAFieldRemovesItWhenSolelyOwned() throws {
        let created = try Self.applyDeployment(Self.deployment(), to: nil)
        let updated = try Self.applyDeployment(Self.deployment(replicas: nil, env: ["B"]), to: created, now: Self.t1)
        #expect(updated[path: "spec", "replicas"] == nil)
        #expect(updated[path: "spec", "template", "spec", "containers"]?.arrayValue?.first?["env"] == [["name": "B", "value": "2"]])
        let fields = Self.fields(updated, manager: "kubectl")
        #expect(fields?[path: "f:spec", "f:replicas"] == nil)
        #expect(fields?[path: "f:spec", "f:template", "f:spec", "f:containers", #"k:{"name":"nginx"}"#, "f:env", #"k:{"name":"A"}"#] == nil)
        #expect(Self.entry(updated, manager: "kubectl")?["time"] == .string(Self.t1))
    }

    @Test func droppingAWholeStructRemovesIt() throws {
        var config = Self.deployment()
        config[path: "spec", "strategy"] = ["rollingUpdate": ["maxSurge": 1]]
        let created = try Self.applyDeployment(config, to: nil)
        #expect(created[path: "spec", "strategy", "rollingUpdate", "maxSurge"] == 1)
        let updated = try Self.applyDeployment(Self.deployment(), to: created, now: Self.t1)
        #expect(updated[path: "spec", "strategy"] == nil)
    }

    @Test func twoAppliersKeepTheirOwnFields() throws {
        let first = try Self.applyConfigMap(Self.configMap(["a": "1"]), to: nil, manager: "alice")
        let second = try Self.applyConfigMap(Self.configMap(["b": "2"]), to: first, manager: "bob", now: Self.t1)
        #expect(second["data"] == ["a": "1", "b": "2"])
        #expect(Self.fields(second, manager: "alice") == ["f:data": ["f:a": [:]]])
        #expect(Self.fields(second, manager: "bob") == ["f:data": ["f:b": [:]]])
        // Entries sort by operation, then time.
        #expect(second[path: "metadata", "managedFields"]?.arrayValue?.map { $0["manager"] } == ["alice", "bob"])

        let third = try Self.applyConfigMap(Self.configMap(["c": "3"]), to: second, manager: "alice", now: Self.t2)
        #expect(third["data"] == ["b": "2", "c": "3"])
        #expect(Self.fields(third, manager: "alice") == ["f:data": ["f:c": [:]]])
    }

    @Test func sharedFieldSurvivesWhenOneApplierDropsIt() throws {
        let first = try Self.applyConfigMap(Self.configMap(["a": "1"]), to: nil, manager: "alice")
        let second = try Self.applyConfigMap(Self.configMap(["a": "1"]), to: first, manager: "bob", now: Self.t1)
        #expect(Self.fields(second, manager: "bob") == ["f:data": ["f:a": [:]]])
        // Same value: no change, so bob's new entry has no time (Kubernetes stamps only changing applies).
        #expect(Self.entry(second, manager: "bob")?["time"] == nil)
        var withoutData = Self.configMap([:])
        withoutData["data"] = nil
        let third = try Self.applyConfigMap(withoutData, to: second, manager: "alice", now: Self.t2)
        #expect(third["data"] == ["a": "1"])
        #expect(Self.entry(third, manager: "alice") == nil)
    }

    @Test func conflictingChangeByAnotherApplierNamesTheField() throws {
        let created = try Self.applyDeployment(Self.deployment(), to: nil)
        #expect {
            try Self.applyDeployment(Self.deployment(image: "nginx:1.26"), to: created, manager: "other", now: Self.t1)
        } throws: { error in
            guard let error = error as? ServerSideApplyError else { return false }
            return error.reason == .conflict
                && error.message == #"Apply failed with 1 conflict: conflict with "kubectl": .spec.template.spec.containers[name="nginx"].image"#
                && error.conflicts == [
                    .init(
                        manager: "kubectl", field: #".spec.template.spec.containers[name="nginx"].image"#,
                        causeMessage: #"conflict with "kubectl""#)
                ]
        }
    }

    @Test func severalConflictsAreListedPerManager() throws {
        let created = try Self.applyDeployment(Self.deployment(), to: nil)
        #expect {
            try Self.applyDeployment(Self.deployment(image: "nginx:1.26", replicas: 3), to: created, manager: "other", now: Self.t1)
        } throws: { error in
            (error as? ServerSideApplyError)?.message == """
                Apply failed with 2 conflicts: conflicts with "kubectl":
                - .spec.replicas
                - .spec.template.spec.containers[name="nginx"].image
                """
        }
    }

    @Test func forceMovesOwnership() throws {
        let created = try Self.applyDeployment(Self.deployment(), to: nil)
        let forced = try Self.applyDeployment(Self.deployment(image: "nginx:1.26"), to: created, manager: "other", force: true, now: Self.t1)
        #expect(forced[path: "spec", "template", "spec", "containers"]?.arrayValue?.first?["image"] == "nginx:1.26")
        let container = #"k:{"name":"nginx"}"#
        #expect(Self.fields(forced, manager: "kubectl")?[path: "f:spec", "f:template", "f:spec", "f:containers", container, "f:image"] == nil)
        #expect(Self.fields(forced, manager: "kubectl")?[path: "f:spec", "f:replicas"] != nil)
        #expect(Self.fields(forced, manager: "other")?[path: "f:spec", "f:template", "f:spec", "f:containers", container, "f:image"] == [:])
        // Fields both set to the same value stay shared.
        #expect(Self.fields(forced, manager: "other")?[path: "f:spec", "f:replicas"] == [:])
    }

    @Test func reapplyingTheSameConfigurationChangesNothing() throws {
        let created = try Self.applyDeployment(Self.deployment(), to: nil)
        let again = try Self.applyDeployment(Self.deployment(), to: created, now: Self.t1)
        #expect(again == created)
    }

    @Test func serviceSetsAndKeyedPortsWithDefaultProtocol() throws {
        let config: JSONValue = [
            "apiVersion": "v1", "kind": "Service", "metadata": ["name": "web", "namespace": "default"],
            "spec": ["selector": ["app": "web"], "ports": [["port": 80, "targetPort": 8080]]],
        ]
        let created = try ServerSideApply.apply(
            config: config, to: nil, manager: "kubectl", force: false, group: "", version: "v1", kind: "Service", schema: .builtIn,
            now: Self.t0)
        #expect(
            Self.fields(created, manager: "kubectl")
                == Self.parse(
                    #"{"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:targetPort":{}}},"f:selector":{}}}"#))
        // A defaulted live port still matches the applied item that omits the protocol.
        var live = created
        live[path: "spec", "ports"] = [["port": 80, "protocol": "TCP", "targetPort": 8080]]
        let second: JSONValue = [
            "apiVersion": "v1", "kind": "Service", "metadata": ["name": "web", "namespace": "default"],
            "spec": ["ports": [["port": 80, "targetPort": 8080], ["port": 443, "targetPort": 8443]]],
        ]
        let updated = try ServerSideApply.apply(
            config: second, to: live, manager: "kubectl", force: false, group: "", version: "v1", kind: "Service", schema: .builtIn,
            now: Self.t1)
        #expect(
            updated[path: "spec", "ports"] == [["port": 80, "protocol": "TCP", "targetPort": 8080], ["port": 443, "targetPort": 8443]])
        #expect(updated[path: "spec", "selector"] == nil)
    }

    @Test func setListsUnionByValue() throws {
        let config: JSONValue = [
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "cfg", "namespace": "default", "finalizers": ["a.example/x"]],
        ]
        let first = try Self.applyConfigMap(config, to: nil, manager: "alice")
        var other = config
        other[path: "metadata", "finalizers"] = ["b.example/y"]
        let second = try Self.applyConfigMap(other, to: first, manager: "bob", now: Self.t1)
        #expect(second[path: "metadata", "finalizers"] == ["a.example/x", "b.example/y"])
        #expect(Self.fields(second, manager: "bob") == Self.parse(#"{"f:metadata":{"f:finalizers":{"v:\"b.example/y\"":{}}}}"#))
    }

    @Test func wrongKindAndManagedFieldsInTheBodyAreBadRequests() {
        #expect {
            try Self.applyConfigMap(Self.deployment(), to: nil, manager: "kubectl")
        } throws: { error in
            (error as? ServerSideApplyError).map { $0.reason == .badRequest && $0.message == "invalid object type: apps/v1, Kind=Deployment" } ?? false
        }
        var config = Self.configMap(["a": "1"])
        config[path: "metadata", "managedFields"] = []
        #expect {
            try Self.applyConfigMap(config, to: nil, manager: "kubectl")
        } throws: { error in
            (error as? ServerSideApplyError)?.message == "metadata.managedFields must be nil"
        }
    }

    @Test func duplicateKeysInTheConfigurationAreRejected() {
        var config = Self.deployment()
        config[path: "spec", "template", "spec", "containers"] = [["name": "nginx", "image": "a"], ["name": "nginx", "image": "b"]]
        #expect {
            try Self.applyDeployment(config, to: nil)
        } throws: { error in
            (error as? ServerSideApplyError)?.message
                == #"failed to create typed patch object (default/nginx; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="nginx"]"#
        }
    }

    @Test func statusIsNotOwnedOnTheMainResource() throws {
        var config = Self.deployment()
        config["status"] = ["replicas": 5]
        let created = try Self.applyDeployment(config, to: nil)
        #expect(Self.fields(created, manager: "kubectl")?["f:status"] == nil)
    }

    @Test func conflictsWithSeveralManagersAreGroupedBySortedManager() throws {
        let alice = try Self.applyConfigMap(Self.configMap(["a": "1"]), to: nil, manager: "alice")
        var edited = alice
        edited["data"] = ["a": "1", "b": "2"]
        let bob = ServerSideApply.recordUpdate(
            old: alice, new: edited, manager: "bob", group: "", version: "v1", kind: "ConfigMap", schema: .builtIn, now: Self.t1)
        #expect(Self.fields(bob, manager: "bob", operation: "Update") == ["f:data": ["f:b": [:]]])
        #expect {
            try Self.applyConfigMap(Self.configMap(["a": "x", "b": "y"]), to: bob, manager: "carol", now: Self.t2)
        } throws: { error in
            (error as? ServerSideApplyError)?.message == """
                Apply failed with 2 conflicts: conflicts with "alice":
                - .data.a
                conflicts with "bob" using v1:
                - .data.b
                """
        }
    }

    @Test func createByUpdateMarksNewMaps() {
        let created = ServerSideApply.recordUpdate(
            old: nil, new: Self.configMap(["a": "1"]), manager: "kubectl-create", group: "", version: "v1", kind: "ConfigMap",
            schema: .builtIn, now: Self.t0)
        #expect(Self.fields(created, manager: "kubectl-create", operation: "Update") == Self.parse(#"{"f:data":{".":{},"f:a":{}}}"#))
    }

    @Test func atomicListsAreReplacedAndOwnedWhole() throws {
        var config = Self.deployment()
        config[path: "spec", "template", "spec", "containers"] = [["name": "nginx", "image": "nginx", "args": ["a", "b"]]]
        let created = try Self.applyDeployment(config, to: nil)
        let container = #"k:{"name":"nginx"}"#
        #expect(Self.fields(created, manager: "kubectl")?[path: "f:spec", "f:template", "f:spec", "f:containers", container, "f:args"] == [:])
        var other = config
        other[path: "spec", "template", "spec", "containers"] = [["name": "nginx", "args": ["c"]]]
        #expect {
            try Self.applyDeployment(other, to: created, manager: "other", now: Self.t1)
        } throws: { error in
            (error as? ServerSideApplyError)?.conflicts.map(\.field) == [#".spec.template.spec.containers[name="nginx"].args"#]
        }
        let forced = try Self.applyDeployment(other, to: created, manager: "other", force: true, now: Self.t1)
        #expect(forced[path: "spec", "template", "spec", "containers"] == [["name": "nginx", "image": "nginx", "args": ["c"]]])
    }
}
