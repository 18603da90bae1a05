import APIMachinery
import Testing

@testable import APIServer

@Suite("object lifecycle")
struct ObjectLifecycleTests {
    static func terminating(finalizers: [String] = [], grace: Int64) -> JSONValue {
        var object: JSONValue = [
            "metadata": ["name": "web-1", "namespace": "dev", "deletionTimestamp": "2026-01-01T00:00:00Z", "deletionGracePeriodSeconds": .integer(grace)]
        ]
        if !finalizers.isEmpty { object[path: "metadata", "finalizers"] = .array(finalizers.map(JSONValue.string)) }
        return object
    }

    @Test func aTerminatingObjectGoesOnceItsFinalizersAndGracePeriodAreDone() {
        #expect(ObjectLifecycle.isReadyForRemoval(Self.terminating(grace: 0)))
        #expect(!ObjectLifecycle.isReadyForRemoval(Self.terminating(finalizers: ["foregroundDeletion"], grace: 0)))
        // A pod still shutting down on its node waits for the kubelet's final delete, as in Kubernetes.
        #expect(!ObjectLifecycle.isReadyForRemoval(Self.terminating(grace: 30)))
        #expect(!ObjectLifecycle.isReadyForRemoval(["metadata": ["name": "live"]]))
    }
}
