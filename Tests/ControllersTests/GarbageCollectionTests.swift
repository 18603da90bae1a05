import APIMachinery
import ControllerRuntime
import KubeClient
import Testing

@testable import Controllers

/// The garbage collector's pure parts: the owner index and the decision for each dependent.
@Suite("garbage collection logic")
struct GarbageCollectionTests {
    static func object(_ name: String, uid: String, owners: [String] = [], blocking: Bool = false) -> JSONValue {
        var object: JSONValue = ["metadata": ["name": .string(name), "namespace": "default", "uid": .string(uid)]]
        if !owners.isEmpty {
            object[path: "metadata", "ownerReferences"] = .array(
                owners.map { uid in
                    ["apiVersion": "v1", "kind": "ConfigMap", "name": .string("owner-\(uid)"), "uid": .string(uid), "blockOwnerDeletion": .bool(blocking)]
                })
        }
        return object
    }

    static func node(_ name: String) -> GraphNode {
        GraphNode(resource: .configMaps, key: ObjectKey(namespace: "default", name: name))
    }

    @Test func theGraphFollowsReferencesAsTheyChangeAndForgetsDeletedObjects() {
        var graph = OwnerGraph()
        graph.update(Self.node("a"), object: Self.object("a", uid: "ua", owners: ["o1", "o2"]))
        graph.update(Self.node("b"), object: Self.object("b", uid: "ub", owners: ["o1"]))
        #expect(graph.dependents(of: "o1") == [Self.node("a"), Self.node("b")])
        #expect(graph.dependents(of: "o2") == [Self.node("a")])

        graph.update(Self.node("a"), object: Self.object("a", uid: "ua", owners: ["o2"]))
        #expect(graph.dependents(of: "o1") == [Self.node("b")])

        graph.remove(Self.node("b"))
        graph.update(Self.node("a"), object: Self.object("a", uid: "ua"))
        #expect(graph.dependents(of: "o1").isEmpty)
        #expect(graph.dependents(of: "o2").isEmpty)
    }

    @Test func anOwnerIsDanglingWhenMissingOrReplacedAndWaitingWhenDeletingInTheForeground() {
        #expect(GarbageCollection.ownerState(uid: "u", found: nil) == .dangling)
        #expect(GarbageCollection.ownerState(uid: "u", found: Self.object("o", uid: "other")) == .dangling)
        #expect(GarbageCollection.ownerState(uid: "u", found: Self.object("o", uid: "u")) == .solid)
        var deleting = Self.object("o", uid: "u")
        deleting[path: "metadata", "deletionTimestamp"] = "2026-01-01T00:00:00Z"
        deleting[path: "metadata", "finalizers"] = ["foregroundDeletion"]
        #expect(GarbageCollection.ownerState(uid: "u", found: deleting) == .waitingForDependentsDeletion)
        deleting[path: "metadata", "finalizers"] = ["orphan"]
        #expect(GarbageCollection.ownerState(uid: "u", found: deleting) == .solid, "an orphaning owner keeps its dependents")
    }

    @Test func aDependentGoesOnlyWhenNoOwnerHoldsIt() {
        let action = GarbageCollection.dependentAction
        #expect(action([:], [], false) == .keep)
        #expect(action(["a": .solid], [], false) == .keep)
        #expect(action(["a": .solid, "b": .dangling], [], false) == .removeOwnerReferences(["b"]))
        #expect(action(["a": .solid, "b": .waitingForDependentsDeletion], [], false) == .removeOwnerReferences(["b"]))
        #expect(action(["a": .dangling, "b": .dangling], [], false) == .delete(propagationPolicy: "Background"))
        #expect(action(["a": .dangling], ["orphan"], false) == .delete(propagationPolicy: "Orphan"))
        #expect(action(["a": .waitingForDependentsDeletion], [], true) == .delete(propagationPolicy: "Foreground"))
        #expect(action(["a": .waitingForDependentsDeletion], [], false) == .delete(propagationPolicy: "Background"))
    }

    @Test func referencesAndFinalizersAreRemovedWithoutTouchingTheRest() {
        let dependent = Self.object("d", uid: "ud", owners: ["o1", "o2"], blocking: true)
        #expect(GarbageCollection.blocks(dependent, ownerUID: "o1"))
        #expect(!GarbageCollection.blocks(Self.object("d", uid: "ud", owners: ["o1"]), ownerUID: "o1"))
        let one = GarbageCollection.removingOwnerReferences(["o1"], from: dependent)
        #expect(GarbageCollection.ownerUIDs(of: one) == ["o2"])
        #expect(GarbageCollection.removingOwnerReferences(["o1", "o2"], from: dependent)[path: "metadata", "ownerReferences"] == nil)

        var owner = Self.object("o", uid: "u")
        owner[path: "metadata", "finalizers"] = ["example.com/keep", "orphan"]
        #expect(GarbageCollection.finalizers(of: GarbageCollection.removingFinalizer("orphan", from: owner)) == ["example.com/keep"])
        owner[path: "metadata", "finalizers"] = ["orphan"]
        #expect(GarbageCollection.removingFinalizer("orphan", from: owner)[path: "metadata", "finalizers"] == nil)
        #expect(GarbageCollection.group(ofAPIVersion: "apps/v1") == "apps")
        #expect(GarbageCollection.group(ofAPIVersion: "v1") == "")
    }
}
