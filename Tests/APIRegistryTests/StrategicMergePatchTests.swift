import APIMachinery
import Testing

@testable import APIRegistry

/// Applying the patches kubectl sends, with results worked out from Kubernetes' strategicpatch semantics.
@Suite struct StrategicMergePatchTests {
    static func json(_ text: String) throws -> JSONValue {
        try JSONValue.parse(text)
    }

    static func apply(
        _ patch: String, to original: JSONValue, group: String = "apps", version: String = "v1",
        kind: String = "Deployment"
    ) throws -> JSONValue {
        try StrategicMergePatch.apply(
            json(patch), to: original, group: group, version: version, kind: kind, schema: .builtIn)
    }

    static func applyError(
        _ patch: String, to original: JSONValue, group: String = "apps", version: String = "v1",
        kind: String = "Deployment"
    ) throws -> StrategicMergePatchError? {
        let patch = try json(patch)
        do {
            _ = try StrategicMergePatch.apply(
                patch, to: original, group: group, version: version, kind: kind, schema: .builtIn)
            return nil
        } catch {
            return error
        }
    }

    static func deployment() throws -> JSONValue {
        try json(
            #"""
            {"apiVersion":"apps/v1","kind":"Deployment",
             "metadata":{"name":"nginx","namespace":"default","labels":{"app":"nginx"}},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"nginx"}},
              "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}},
              "template":{"metadata":{"labels":{"app":"nginx"}},
               "spec":{"containers":[
                 {"name":"nginx","image":"nginx:1.25","ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443,"protocol":"TCP"}],
                  "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},
                 {"name":"sidecar","image":"busybox","args":["sleep","3600"]}],
                "volumes":[{"name":"data","emptyDir":{}}],
                "tolerations":[{"key":"a","operator":"Exists"}]}}}}
            """#)
    }

    @Test func clientSideApplyBodyDeletesEnvAndUpdatesImage() throws {
        let patch = #"""
            {"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}\n"}},
             "spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],
              "containers":[{"$setElementOrder/env":[{"name":"B"}],"env":[{"$patch":"delete","name":"A"}],
                             "image":"nginx:1.26","name":"nginx"}]}}}}
            """#
        let result = try Self.apply(patch, to: Self.deployment())
        var expected = try Self.deployment()
        expected[path: "metadata", "annotations"] = ["kubectl.kubernetes.io/last-applied-configuration": "{}\n"]
        expected[path: "spec", "template", "spec", "containers"] = try Self.json(
            #"""
            [{"name":"nginx","image":"nginx:1.26","ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443,"protocol":"TCP"}],
              "env":[{"name":"B","value":"2"}]},
             {"name":"sidecar","image":"busybox","args":["sleep","3600"]}]
            """#)
        #expect(result == expected)
    }

    @Test func setImageBodyKeepsOtherContainersInPlace() throws {
        let patch = #"""
            {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],
              "containers":[{"image":"nginx:1.27","name":"nginx"}]}}}}
            """#
        let result = try Self.apply(patch, to: Self.deployment())
        var expected = try Self.deployment()
        expected[path: "spec", "template", "spec", "containers"] = try {
            var containers = try Self.deployment()[path: "spec", "template", "spec", "containers"]?.arrayValue ?? []
            containers[0]["image"] = "nginx:1.27"
            return .array(containers)
        }()
        #expect(result == expected)

        // Server-only items keep their place relative to the patched ones.
        var sidecarFirst = try Self.deployment()
        let containers = sidecarFirst[path: "spec", "template", "spec", "containers"]?.arrayValue ?? []
        sidecarFirst[path: "spec", "template", "spec", "containers"] = .array(containers.reversed())
        let reordered = try Self.apply(patch, to: sidecarFirst)
        let names = reordered[path: "spec", "template", "spec", "containers"]?.arrayValue?.compactMap { $0["name"] }
        #expect(names == ["sidecar", "nginx"])
    }

    @Test func rolloutRestartBodyAddsTemplateAnnotation() throws {
        let patch = #"""
            {"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-21T16:18:32Z"}}}}}
            """#
        let result = try Self.apply(patch, to: Self.deployment())
        var expected = try Self.deployment()
        expected[path: "spec", "template", "metadata", "annotations"] = [
            "kubectl.kubernetes.io/restartedAt": "2026-11-21T16:18:32Z"
        ]
        #expect(result == expected)
    }

    @Test func cordonAndUncordonNode() throws {
        let node = try Self.json(#"{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1"},"spec":{"podCIDR":"10.0.0.0/24"}}"#)
        let cordoned = try Self.apply(#"{"spec":{"unschedulable":true}}"#, to: node, group: "", kind: "Node")
        #expect(cordoned[path: "spec"] == ["podCIDR": "10.0.0.0/24", "unschedulable": true])
        let uncordoned = try Self.apply(#"{"spec":{"unschedulable":null}}"#, to: cordoned, group: "", kind: "Node")
        #expect(uncordoned == node)
    }

    @Test func servicePortsMergeByPort() throws {
        let service = try Self.json(
            #"""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},
             "spec":{"selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"},
                                                      {"name":"https","port":443,"targetPort":8443,"protocol":"TCP"}]}}
            """#)
        let changed = try Self.apply(#"{"spec":{"ports":[{"port":80,"targetPort":9090}]}}"#, to: service, group: "", kind: "Service")
        var expected = service
        expected[path: "spec", "ports"] = try Self.json(
            #"""
            [{"name":"http","port":80,"targetPort":9090,"protocol":"TCP"},{"name":"https","port":443,"targetPort":8443,"protocol":"TCP"}]
            """#)
        #expect(changed == expected)

        // Without $setElementOrder, patch items come first and server-only items follow in their live order.
        let added = try Self.apply(#"{"spec":{"ports":[{"name":"alt","port":8000}]}}"#, to: service, group: "", kind: "Service")
        #expect(added[path: "spec", "ports"]?.arrayValue?.compactMap { $0["port"] } == [8000, 80, 443])

        let removed = try Self.apply(
            #"{"spec":{"ports":[{"$patch":"delete","port":443}]}}"#, to: service, group: "", kind: "Service")
        #expect(removed[path: "spec", "ports"]?.arrayValue?.compactMap { $0["name"] } == ["http"])
    }

    @Test func deletingAContainerPort() throws {
        let patch = #"""
            {"spec":{"template":{"spec":{"containers":[{"name":"nginx","ports":[{"$patch":"delete","containerPort":443}]}]}}}}
            """#
        let result = try Self.apply(patch, to: Self.deployment())
        let ports = result[path: "spec", "template", "spec", "containers"]?.arrayValue?.first?["ports"]
        #expect(ports == [["containerPort": 80, "protocol": "TCP"]])
    }

    @Test func retainKeysOnStrategySwitchToRecreate() throws {
        let kubectlBody = #"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":null}}}"#
        #expect(try Self.apply(kubectlBody, to: Self.deployment())[path: "spec", "strategy"] == ["type": "Recreate"])

        // $retainKeys alone clears the fields it does not list.
        let withoutNull = #"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#
        #expect(try Self.apply(withoutNull, to: Self.deployment())[path: "spec", "strategy"] == ["type": "Recreate"])

        // A patched field missing from $retainKeys is a bad request.
        let inconsistent = #"{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{"maxSurge":1}}}}"#
        let error = try Self.applyError(inconsistent, to: Self.deployment())
        #expect(error == StrategicMergePatchError(.badRequest, "invalid patch format of retainKeys"))
    }

    @Test func retainKeysOnVolumeSourceSwitch() throws {
        let patch = #"""
            {"spec":{"template":{"spec":{"$setElementOrder/volumes":[{"name":"data"}],
              "volumes":[{"$retainKeys":["configMap","name"],"configMap":{"name":"cfg"},"emptyDir":null,"name":"data"}]}}}}
            """#
        let result = try Self.apply(patch, to: Self.deployment())
        #expect(result[path: "spec", "template", "spec", "volumes"] == [["name": "data", "configMap": ["name": "cfg"]]])
    }

    @Test func finalizersMergeAsASet() throws {
        let configMap = try Self.json(
            #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","finalizers":["a","b","c"]},"data":{"k":"v"}}"#)
        let deleted = try Self.apply(
            #"{"metadata":{"$deleteFromPrimitiveList/finalizers":["b","x"]}}"#, to: configMap, group: "", kind: "ConfigMap")
        #expect(deleted[path: "metadata", "finalizers"] == ["a", "c"])

        let added = try Self.apply(#"{"metadata":{"finalizers":["d","a"]}}"#, to: configMap, group: "", kind: "ConfigMap")
        #expect(added[path: "metadata", "finalizers"] == ["d", "a", "b", "c"])

        let ordered = try Self.apply(
            #"{"metadata":{"$setElementOrder/finalizers":["a","c"],"$deleteFromPrimitiveList/finalizers":["b"]}}"#,
            to: configMap, group: "", kind: "ConfigMap")
        #expect(ordered[path: "metadata", "finalizers"] == ["a", "c"])

        // A deletion list for a list the object lacks deletes nothing and adds nothing.
        let bare = try Self.json(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"}}"#)
        let unchanged = try Self.apply(
            #"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}"#, to: bare, group: "", kind: "ConfigMap")
        #expect(unchanged == bare)
    }

    @Test func listsWithoutMergeStrategyAreReplaced() throws {
        let patch = #"""
            {"spec":{"template":{"spec":{"tolerations":[{"key":"b","operator":"Exists"}],
              "containers":[{"name":"sidecar","args":["sleep","60"]}]}}}}
            """#
        let result = try Self.apply(patch, to: Self.deployment())
        #expect(result[path: "spec", "template", "spec", "tolerations"] == [["key": "b", "operator": "Exists"]])
        let sidecar = result[path: "spec", "template", "spec", "containers"]?.arrayValue?.first { $0["name"] == "sidecar" }
        #expect(sidecar?["args"] == ["sleep", "60"])
    }

    @Test func mapDirectives() throws {
        let replaced = try Self.apply(#"{"metadata":{"labels":{"$patch":"replace","tier":"fe"}}}"#, to: Self.deployment())
        #expect(replaced[path: "metadata", "labels"] == ["tier": "fe"])

        let emptied = try Self.apply(#"{"spec":{"strategy":{"$patch":"delete"}}}"#, to: Self.deployment())
        #expect(emptied[path: "spec", "strategy"] == [:])

        let error = try Self.applyError(#"{"metadata":{"labels":{"$patch":"merge"}}}"#, to: Self.deployment())
        #expect(error == StrategicMergePatchError(.internalError, "unknown patch type: merge in map: map[$patch:merge]"))
    }

    @Test func listReplaceDirective() throws {
        let patch = #"""
            {"spec":{"template":{"spec":{"containers":[{"name":"only","image":"busybox"},{"$patch":"replace"}]}}}}
            """#
        let result = try Self.apply(patch, to: Self.deployment())
        #expect(result[path: "spec", "template", "spec", "containers"] == [["name": "only", "image": "busybox"]])
    }

    @Test func nullDeletesAndAddedValuesLoseNullsAndDirectives() throws {
        let result = try Self.apply(
            #"""
            {"metadata":{"labels":{"app":null},"annotations":{"a":"1","b":null}},
             "spec":{"template":{"spec":{"containers":[{"name":"sidecar",
               "env":[{"name":"X","value":"1"},{"$patch":"delete","name":"Y"}]}]}}}}
            """#, to: Self.deployment())
        #expect(result[path: "metadata", "labels"] == [:])
        #expect(result[path: "metadata", "annotations"] == ["a": "1"])
        let sidecar = result[path: "spec", "template", "spec", "containers"]?.arrayValue?.first { $0["name"] == "sidecar" }
        #expect(sidecar?["env"] == [["name": "X", "value": "1"]])
    }

    @Test func freeFormFieldsAndUnknownKindsUseJSONMergePatch() throws {
        let revision = try Self.json(
            #"{"apiVersion":"apps/v1","kind":"ControllerRevision","metadata":{"name":"r"},"revision":1,"data":{"a":{"b":1,"c":[1,2]}}}"#)
        let patched = try Self.apply(
            #"{"data":{"a":{"b":null,"c":[3],"$patch":"delete"}}}"#, to: revision, kind: "ControllerRevision")
        #expect(patched[path: "data"] == ["a": ["c": [3], "$patch": "delete"]])

        let widget = try Self.json(#"{"apiVersion":"example.com/v1","kind":"Widget","spec":{"items":["a"],"size":2}}"#)
        let result = try Self.apply(
            #"{"spec":{"items":["b"],"size":null}}"#, to: widget, group: "example.com", kind: "Widget")
        #expect(result[path: "spec"] == ["items": ["b"]])
    }

    @Test func malformedPatchesFailWithKubernetesMessages() throws {
        let deployment = try Self.deployment()
        let cases: [(String, StrategicMergePatchError)] = [
            (#"[1]"#, .init(.badRequest, "json: cannot unmarshal array into Go value of type map[string]interface {}")),
            (
                #"{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}"#,
                .init(.internalError, "map: map[image:x] does not contain declared merge key: name")
            ),
            (
                #"{"spec":{"template":{"spec":{"containers":[{"$patch":"foo","name":"nginx"}]}}}}"#,
                .init(.internalError, "unknown patch type: foo in map: map[$patch:foo name:nginx]")
            ),
            (
                #"{"spec":{"template":{"spec":{"containers":[{"$patch":"merge","name":"nginx"}]}}}}"#,
                .init(.internalError, "merging lists cannot yet be specified in the patch")
            ),
            (#"{"spec":{"strategy":{"$retainKeys":"type"}}}"#, .init(.badRequest, "invalid patch format of retainKeys")),
            (
                #"{"spec":{"template":{"spec":{"$setElementOrder":[]}}}}"#,
                .init(.badRequest, "invalid patch format of setElementOrder list")
            ),
            (
                #"{"metadata":{"$deleteFromPrimitiveList":["a"]}}"#,
                .init(.badRequest, "invalid patch format of primitive list")
            ),
            (
                #"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"},{"name":"sidecar"}],"containers":[{"name":"sidecar"},{"name":"nginx"}]}}}}"#,
                .init(.internalError, "the order in patch list:\n[map[name:sidecar] map[name:nginx]]\n doesn't match $setElementOrder list:\n[map[name:nginx] map[name:sidecar]]")
            ),
        ]
        for (patch, expected) in cases {
            #expect(try Self.applyError(patch, to: deployment) == expected, "\(patch)")
        }
        let configMap = try Self.json(#"{"metadata":{"name":"cfg","finalizers":[]}}"#)
        #expect(
            try Self.applyError(#"{"metadata":{"finalizers":[["a"]]}}"#, to: configMap, group: "", kind: "ConfigMap")
                == StrategicMergePatchError(.unprocessableEntity, "lists of lists are not supported"))
        #expect(
            try Self.applyError(#"{"metadata":{"finalizers":[{"a":1}]}}"#, to: configMap, group: "", kind: "ConfigMap")
                == StrategicMergePatchError(.internalError, "cannot merge lists without merge key for string"))
        let finalized = try Self.json(#"{"metadata":{"name":"cfg","finalizers":["a"]}}"#)
        #expect(
            try Self.applyError(#"{"metadata":{"finalizers":[["x"],2.5]}}"#, to: finalized, group: "", kind: "ConfigMap")
                == StrategicMergePatchError(.internalError, "list element types are not identical: [[a] [[x] 2.5]]"))
    }

    @Test func nullPatchChangesNothing() throws {
        #expect(try Self.apply("null", to: Self.deployment()) == (try Self.deployment()))
    }
}
