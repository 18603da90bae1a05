import APIMachinery
import Testing

@testable import APIRegistry

/// `createTwoWay` produces the bodies kubectl sends (compare /work/shared/specs/kubectl-1.32-wire-traces.txt).
@Suite struct StrategicMergePatchTwoWayTests {
    static func twoWay(
        _ original: JSONValue, _ modified: JSONValue, group: String = "apps", kind: String = "Deployment"
    ) throws -> JSONValue {
        try StrategicMergePatch.createTwoWay(
            original: original, modified: modified, group: group, version: "v1", kind: kind, schema: .builtIn)
    }

    static func deployment(image: String = "nginx:1.25", env: JSONValue = [["name": "A", "value": "1"], ["name": "B", "value": "2"]])
        throws -> JSONValue
    {
        var object = try JSONValue.parse(
            #"""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"nginx","labels":{"app":"nginx"}},
             "spec":{"replicas":2,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%"}},
              "template":{"metadata":{"labels":{"app":"nginx"}},
               "spec":{"containers":[{"name":"nginx","ports":[{"containerPort":80}]}]}}}}
            """#)
        object[path: "spec", "template", "spec", "containers"] = [
            ["name": "nginx", "image": .string(image), "ports": [["containerPort": 80]], "env": env]
        ]
        return object
    }

    @Test func setImageMatchesKubectlBody() throws {
        let patch = try Self.twoWay(Self.deployment(), Self.deployment(image: "nginx:1.27"))
        let kubectl = try JSONValue.parse(
            #"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],"containers":[{"image":"nginx:1.27","name":"nginx"}]}}}}"#)
        #expect(patch == kubectl)
    }

    @Test func envDeletionAndImageChangeMatchClientSideApplyBody() throws {
        let patch = try Self.twoWay(
            Self.deployment(), Self.deployment(image: "nginx:1.26", env: [["name": "B", "value": "2"]]))
        let kubectl = try JSONValue.parse(
            #"""
            {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],
              "containers":[{"$setElementOrder/env":[{"name":"B"}],"env":[{"$patch":"delete","name":"A"}],"image":"nginx:1.26","name":"nginx"}]}}}}
            """#)
        #expect(patch == kubectl)
    }

    @Test func strategySwitchBuildsRetainKeys() throws {
        var recreate = try Self.deployment()
        recreate[path: "spec", "strategy"] = ["type": "Recreate"]
        let patch = try Self.twoWay(Self.deployment(), recreate)
        let kubectl = try JSONValue.parse(
            #"{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":null,"type":"Recreate"}}}"#)
        #expect(patch == kubectl)
    }

    @Test func cordonAndUncordon() throws {
        let node = try JSONValue.parse(#"{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1"},"spec":{}}"#)
        var cordoned = node
        cordoned[path: "spec", "unschedulable"] = true
        #expect(try Self.twoWay(node, cordoned, group: "", kind: "Node") == ["spec": ["unschedulable": true]])
        #expect(try Self.twoWay(cordoned, node, group: "", kind: "Node") == ["spec": ["unschedulable": nil]])
    }

    @Test func finalizerRemovalUsesTheParallelDeletionList() throws {
        let original = try JSONValue.parse(#"{"metadata":{"name":"cfg","finalizers":["a","b","c"]}}"#)
        let modified = try JSONValue.parse(#"{"metadata":{"name":"cfg","finalizers":["a","c"]}}"#)
        let patch = try Self.twoWay(original, modified, group: "", kind: "ConfigMap")
        #expect(
            patch == ["metadata": ["$deleteFromPrimitiveList/finalizers": ["b"], "$setElementOrder/finalizers": ["a", "c"]]])
    }

    @Test func nonMergingListsAndMapsAreDiffedLikeKubernetes() throws {
        let original = try JSONValue.parse(
            #"{"kind":"Service","spec":{"selector":{"app":"a","tier":"fe"},"ports":[{"port":80,"targetPort":8080}],"externalIPs":["1.1.1.1"]}}"#)
        let modified = try JSONValue.parse(
            #"{"kind":"Service","spec":{"selector":{"app":"b"},"ports":[{"port":80,"targetPort":8080},{"port":443}],"externalIPs":["2.2.2.2"]}}"#)
        let patch = try Self.twoWay(original, modified, group: "", kind: "Service")
        let expected = try JSONValue.parse(
            #"""
            {"spec":{"selector":{"app":"b","tier":null},"externalIPs":["2.2.2.2"],
              "$setElementOrder/ports":[{"port":80},{"port":443}],"ports":[{"port":443}]}}
            """#)
        #expect(patch == expected)
    }

    @Test func identicalObjectsGiveAnEmptyPatch() throws {
        #expect(try Self.twoWay(Self.deployment(), Self.deployment()) == [:])
    }

    @Test func documentsMustBeObjects() throws {
        #expect(throws: StrategicMergePatchError(.badRequest, "invalid JSON document")) {
            try Self.twoWay([1], [:])
        }
    }
}
