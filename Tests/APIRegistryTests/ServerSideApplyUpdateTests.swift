import APIMachinery
import Testing

@testable import APIRegistry

/// managedFields for non-apply writes, and the kubectl client-side → server-side sequence of the 1.32 wire traces
/// (apply_ssa, ssa_conflict, ssa_force).
@Suite struct ServerSideApplyUpdateTests {
    typealias Base = ServerSideApplyTests

    static let lastApplied =
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"labels":{"app":"nginx"},"name":"nginx","namespace":"default"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"nginx"}},"template":{"metadata":{"labels":{"app":"nginx"}},"spec":{"containers":[{"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"nginx:1.25","name":"nginx","ports":[{"containerPort":80}]}]}}}}"#
        + "\n"

    /// What the API server stores for kubectl's client-side apply create: the configuration, the annotation, defaults
    /// and server-set metadata.
    static var storedByClientSideApply: JSONValue {
        var object = Base.parse(
            #"""
            {"apiVersion":"apps/v1","kind":"Deployment",
             "metadata":{"name":"nginx","namespace":"default","uid":"a9f83fb7-a253-484a-97ad-b2acb786047c","resourceVersion":"1","generation":1,
               "creationTimestamp":"2024-01-01T00:00:00Z","labels":{"app":"nginx"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"LAST"}},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"nginx"}},"progressDeadlineSeconds":600,"revisionHistoryLimit":10,
               "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}},
               "template":{"metadata":{"labels":{"app":"nginx"}},
                 "spec":{"containers":[{"name":"nginx","image":"nginx:1.25","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
                   "ports":[{"containerPort":80,"protocol":"TCP"}],"imagePullPolicy":"IfNotPresent","resources":{},
                   "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],
                 "dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},
                 "terminationGracePeriodSeconds":30}}},
             "status":{}}
            """#)
        object[path: "metadata", "annotations", ServerSideApply.lastAppliedAnnotation] = .string(lastApplied)
        return object
    }

    /// The ssa_conflict / ssa_force request body.
    static let ssaBody = Base.parse(
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app":"nginx"},"name":"nginx","namespace":"default"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"nginx"}},"template":{"metadata":{"labels":{"app":"nginx"}},"spec":{"containers":[{"env":[{"name":"B","value":"2"}],"image":"nginx:1.26","name":"nginx","ports":[{"containerPort":80}]}]}}}}"#
    )

    static func record(old: JSONValue?, new: JSONValue, manager: String, now: String, subresource: String = "") -> JSONValue {
        ServerSideApply.recordUpdate(
            old: old, new: new, manager: manager, group: "apps", version: "v1", kind: "Deployment", schema: .builtIn, now: now,
            subresource: subresource)
    }

    static func image(_ object: JSONValue) -> JSONValue? {
        object[path: "spec", "template", "spec", "containers"]?.arrayValue?.first?["image"]
    }

    static func setImage(_ object: JSONValue, _ image: String) -> JSONValue {
        var result = object
        var containers = result[path: "spec", "template", "spec", "containers"]?.arrayValue ?? []
        containers[0]["image"] = .string(image)
        result[path: "spec", "template", "spec", "containers"] = .array(containers)
        return result
    }

    // The managedFields Kubernetes records for `kubectl apply` (client-side) creating this Deployment.
    @Test func createByUpdateOwnsEverySetFieldWithContainerMarkers() {
        let created = Self.record(old: nil, new: Self.storedByClientSideApply, manager: "kubectl-client-side-apply", now: Base.t0)
        let expected = Base.parse(
            #"""
            {"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:app":{}}},
             "f:spec":{"f:progressDeadlineSeconds":{},"f:replicas":{},"f:revisionHistoryLimit":{},"f:selector":{},
               "f:strategy":{"f:rollingUpdate":{".":{},"f:maxSurge":{},"f:maxUnavailable":{}},"f:type":{}},
               "f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},
                 "f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},
                     "f:env":{".":{},"k:{\"name\":\"A\"}":{".":{},"f:name":{},"f:value":{}},"k:{\"name\":\"B\"}":{".":{},"f:name":{},"f:value":{}}},
                     "f:image":{},"f:imagePullPolicy":{},"f:name":{},
                     "f:ports":{".":{},"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:protocol":{}}},
                     "f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},
                   "f:dnsPolicy":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}}}}
            """#)
        #expect(Base.fields(created, manager: "kubectl-client-side-apply", operation: "Update") == expected)
        #expect(
            Base.entry(created, manager: "kubectl-client-side-apply", operation: "Update")?.objectValue?.keys.sorted()
                == ["apiVersion", "fieldsType", "fieldsV1", "manager", "operation", "time"])
    }

    // kubectl's server-side apply may take over fields still matching last-applied (Kubernetes' lastAppliedManager).
    @Test func kubectlTakesOverClientSideApplyFieldsWithoutConflict() throws {
        let created = Self.record(old: nil, new: Self.storedByClientSideApply, manager: "kubectl-client-side-apply", now: Base.t0)
        let applied = try Base.applyDeployment(Self.ssaBody, to: created, now: Base.t1)
        #expect(Self.image(applied) == "nginx:1.26")
        // env A stays: kubectl never applied it, client-side apply still owns it.
        #expect(applied[path: "spec", "template", "spec", "containers"]?.arrayValue?.first?["env"]?.arrayValue?.count == 2)
        let container = #"k:{"name":"nginx"}"#
        let csa = Base.fields(applied, manager: "kubectl-client-side-apply", operation: "Update")
        #expect(csa?[path: "f:spec", "f:template", "f:spec", "f:containers", container, "f:image"] == nil)
        #expect(csa?[path: "f:spec", "f:template", "f:spec", "f:containers", container, "f:imagePullPolicy"] == [:])
        #expect(Base.fields(applied, manager: "kubectl")?[path: "f:spec", "f:template", "f:spec", "f:containers", container, "f:image"] == [:])
        // The annotation now holds what kubectl applied (Kubernetes' lastAppliedUpdater).
        let annotation = applied[path: "metadata", "annotations", ServerSideApply.lastAppliedAnnotation]?.stringValue
        #expect(annotation == Self.ssaBody.serializedString() + "\n")
        #expect(applied[path: "metadata", "managedFields"]?.arrayValue?.map { $0["operation"] } == ["Apply", "Update"])
    }

    // ssa_conflict: after `kubectl set image` the live image no longer matches last-applied.
    @Test func conflictWithAnotherUpdaterAfterSetImage() throws {
        let created = Self.record(old: nil, new: Self.storedByClientSideApply, manager: "kubectl-client-side-apply", now: Base.t0)
        let setImage = Self.record(old: created, new: Self.setImage(created, "nginx:1.27"), manager: "kubectl-set", now: Base.t1)
        #expect(
            Base.fields(setImage, manager: "kubectl-set", operation: "Update")
                == Base.parse(#"{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{"f:image":{}}}}}}}"#))
        #expect {
            try Base.applyDeployment(Self.ssaBody, to: setImage, now: Base.t2)
        } throws: { error in
            guard let error = error as? ServerSideApplyError else { return false }
            return error.reason == .conflict
                && error.message
                    == #"Apply failed with 1 conflict: conflict with "kubectl-set" using apps/v1: .spec.template.spec.containers[name="nginx"].image"#
                && error.conflicts.map(\.causeMessage) == [#"conflict with "kubectl-set" using apps/v1"#]
        }

        // ssa_force: the image moves to kubectl and kubectl-set, left with nothing, is dropped.
        let forced = try Base.applyDeployment(Self.ssaBody, to: setImage, force: true, now: Base.t2)
        #expect(Self.image(forced) == "nginx:1.26")
        #expect(Base.entry(forced, manager: "kubectl-set", operation: "Update") == nil)
        #expect(Base.entry(forced, manager: "kubectl")?["time"] == .string(Base.t2))
    }

    // Any applier other than `kubectl` conflicts with client-side apply's fields.
    @Test func otherApplierConflictsWithClientSideApply() throws {
        let created = Self.record(old: nil, new: Self.storedByClientSideApply, manager: "kubectl-client-side-apply", now: Base.t0)
        #expect {
            try Base.applyDeployment(Self.ssaBody, to: created, manager: "deployer", now: Base.t1)
        } throws: { error in
            (error as? ServerSideApplyError)?.message
                == #"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.template.spec.containers[name="nginx"].image"#
        }
        let forced = try Base.applyDeployment(Self.ssaBody, to: created, manager: "deployer", force: true, now: Base.t1)
        #expect(Self.image(forced) == "nginx:1.26")
    }

    // `kubectl scale` writes the scale subresource; replicas move to it and a later apply of replicas conflicts.
    @Test func scaleMovesReplicasToTheUpdater() throws {
        let created = try Base.applyDeployment(Base.deployment(), to: nil)
        var scaled = created
        scaled[path: "spec", "replicas"] = 3
        let recorded = Self.record(old: created, new: scaled, manager: "kubectl", now: Base.t1, subresource: "scale")
        let scaleEntry = recorded[path: "metadata", "managedFields"]?.arrayValue?.first { $0["subresource"] == "scale" }
        #expect(
            scaleEntry
                == [
                    "manager": "kubectl", "operation": "Update", "apiVersion": "apps/v1", "time": .string(Base.t1), "fieldsType": "FieldsV1",
                    "fieldsV1": ["f:spec": ["f:replicas": [:]]], "subresource": "scale",
                ])
        #expect(Base.fields(recorded, manager: "kubectl")?[path: "f:spec", "f:replicas"] == nil)
        #expect(recorded[path: "spec", "replicas"] == 3)

        #expect {
            try Base.applyDeployment(Base.deployment(), to: recorded, now: Base.t2)
        } throws: { error in
            (error as? ServerSideApplyError)?.message
                == #"Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas"#
        }
        // Leaving replicas out of the configuration hands them to the scaler (the documented HPA pattern).
        let withoutReplicas = try Base.applyDeployment(Base.deployment(replicas: nil), to: recorded, now: Base.t2)
        #expect(withoutReplicas[path: "spec", "replicas"] == 3)
    }

    @Test func updateOnTheMainResourceTakesChangedFieldsFromAppliers() {
        let created = (try? Base.applyDeployment(Base.deployment(), to: nil)) ?? .null
        var patched = created
        patched[path: "spec", "replicas"] = 5
        patched["status"] = ["replicas": 5]
        let recorded = Self.record(old: created, new: patched, manager: "kubectl-patch", now: Base.t1)
        #expect(Base.fields(recorded, manager: "kubectl-patch", operation: "Update") == ["f:spec": ["f:replicas": [:]]])
        #expect(Base.fields(recorded, manager: "kubectl")?[path: "f:spec", "f:replicas"] == nil)

        // A write that changes nothing records nothing.
        let unchanged = Self.record(old: recorded, new: recorded, manager: "other", now: Base.t2)
        #expect(unchanged == recorded)
    }

    @Test func managedFieldsSentWithTheWriteReplaceOrReset() {
        let created = Self.record(old: nil, new: Self.storedByClientSideApply, manager: "kubectl-client-side-apply", now: Base.t0)
        var reset = Self.setImage(created, "nginx:1.27")
        reset[path: "metadata", "managedFields"] = []
        let afterReset = Self.record(old: created, new: reset, manager: "kubectl-edit", now: Base.t1)
        #expect(afterReset[path: "metadata", "managedFields"]?.arrayValue?.count == 1)
        #expect(Base.entry(afterReset, manager: "kubectl-edit", operation: "Update") != nil)

        var replaced = created
        replaced[path: "metadata", "managedFields"] = [
            ["manager": "kubectl", "operation": "Apply", "apiVersion": "apps/v1", "fieldsType": "FieldsV1", "fieldsV1": ["f:spec": ["f:replicas": [:]]]]
        ]
        let afterReplace = Self.record(old: created, new: replaced, manager: "kubectl", now: Base.t1)
        #expect(afterReplace[path: "metadata", "managedFields"] == replaced[path: "metadata", "managedFields"])

        var invalid = created
        invalid[path: "metadata", "managedFields"] = [["manager": "x", "operation": "Bogus", "apiVersion": "v1", "fieldsType": "FieldsV1"]]
        let afterInvalid = Self.record(old: created, new: invalid, manager: "kubectl", now: Base.t1)
        #expect(afterInvalid[path: "metadata", "managedFields"] == created[path: "metadata", "managedFields"])
    }

    @Test func updateManagersAreCappedAtTen() {
        var object = (try? Base.applyDeployment(Base.deployment(), to: nil)) ?? .null
        for index in 0..<12 {
            var next = object
            next[path: "metadata", "annotations", "step"] = .string("\(index)")
            next[path: "metadata", "labels", "l\(index)"] = "x"
            object = Self.record(old: object, new: next, manager: "writer-\(index)", now: "2024-01-01T01:\(10 + index):00Z")
        }
        let entries = object[path: "metadata", "managedFields"]?.arrayValue ?? []
        let updaters = entries.filter { $0["operation"] == "Update" }
        #expect(updaters.count == 10)
        let ancient = updaters.first { $0["manager"] == "ancient-changes" }
        #expect(ancient?[path: "fieldsV1", "f:metadata", "f:labels", "f:l0"] == [:])
        #expect(ancient?[path: "fieldsV1", "f:metadata", "f:labels", "f:l2"] == [:])
        #expect(updaters.contains { $0["manager"] == "writer-11" })
    }

    @Test func fieldSetRoundTripsThroughFieldsV1() throws {
        let text =
            #"{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{}}},"f:finalizers":{"v:\"a\"":{}},"f:args":{"i:0":{}}}}"#
        let value = Base.parse(text)
        let set = try FieldSet(fieldsV1: value)
        #expect(set.fieldsV1 == value)
        #expect(set.paths.map(FieldPathElement.describe).contains(#".spec.ports[port=80,protocol="TCP"].port"#))
        #expect(set.paths.map(FieldPathElement.describe).contains(#".metadata.labels"#))
    }
}
