import APIMachinery
import Testing

@testable import Controllers

@Suite("controller history")
struct ControllerHistoryTests {
    static func template(image: String) -> JSONValue {
        ["metadata": ["labels": ["app": "agent"]], "spec": ["containers": [["name": "agent", "image": .string(image)]]]]
    }

    static func owner(image: String, changeCause: String? = nil) -> JSONValue {
        var metadata: JSONValue = ["name": "agent", "namespace": "infra", "uid": "owner-uid"]
        if let changeCause { metadata["annotations"] = ["kubernetes.io/change-cause": .string(changeCause)] }
        return [
            "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": metadata,
            "spec": ["selector": ["matchLabels": ["app": "agent"]], "template": template(image: image)],
        ]
    }

    /// The revision the history would create for `image` under `number`, named by its template hash.
    static func revision(image: String, number: Int64) -> JSONValue {
        let template = template(image: image)
        let hash = DeploymentRollout.podTemplateHash(template: template, collisionCount: nil)
        return ControllerHistory.revision(of: owner(image: image), resource: .daemonSets, hash: hash, number: number)
    }

    static func step(image: String, existing: [JSONValue]) -> ControllerHistory.Step {
        let hash = DeploymentRollout.podTemplateHash(template: template(image: image), collisionCount: nil)
        return ControllerHistory.step(owner: owner(image: image), resource: .daemonSets, hash: hash, existing: existing)
    }

    static func name(_ revision: JSONValue) -> String { revision[path: "metadata", "name"]?.stringValue ?? "" }

    @Test func aRevisionHoldsThePatchThatReplacesTheTemplateAndIsOwnedByItsController() {
        let owner = Self.owner(image: "agent:1", changeCause: "kubectl set image ds/agent agent=agent:1")
        let revision = ControllerHistory.revision(of: owner, resource: .daemonSets, hash: "5d8f6b9c7", number: 3)
        #expect(Self.name(revision) == "agent-5d8f6b9c7")
        #expect(revision[path: "metadata", "namespace"] == "infra")
        #expect(revision[path: "metadata", "labels"] == ["app": "agent", "controller-revision-hash": "5d8f6b9c7"])
        #expect(revision[path: "metadata", "annotations", "kubernetes.io/change-cause"] == "kubectl set image ds/agent agent=agent:1")
        #expect(
            revision[path: "metadata", "ownerReferences"] == [
                ["apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": "owner-uid", "controller": true, "blockOwnerDeletion": true]
            ])
        #expect(revision["revision"] == 3)
        var replacing = Self.template(image: "agent:1")
        replacing["$patch"] = "replace"
        #expect(revision["data"] == ["spec": ["template": replacing]])
        #expect(
            revision["data"]?.serializedString()
                == #"{"spec":{"template":{"$patch":"replace","metadata":{"labels":{"app":"agent"}},"spec":{"containers":[{"image":"agent:1","name":"agent"}]}}}}"#
        )
    }

    @Test func longOwnerNamesAreShortenedInRevisionNames() {
        let long = String(repeating: "a", count: 250)
        #expect(ControllerHistory.name(owner: long, hash: "xyz") == String(repeating: "a", count: 223) + "-xyz")
    }

    @Test func aNewTemplateGetsTheNextNumber() {
        #expect(Self.step(image: "agent:1", existing: []) == .create(Self.revision(image: "agent:1", number: 1)))
        let history = [Self.revision(image: "agent:1", number: 1), Self.revision(image: "agent:2", number: 2)]
        #expect(Self.step(image: "agent:3", existing: history) == .create(Self.revision(image: "agent:3", number: 3)))
    }

    @Test func theNewestRevisionIsKeptAndAnOlderOneIsRenumberedOnRollback() {
        let first = Self.revision(image: "agent:1", number: 1)
        let second = Self.revision(image: "agent:2", number: 2)
        let third = Self.revision(image: "agent:3", number: 3)
        #expect(Self.step(image: "agent:3", existing: [third, first, second]) == .keep(third))
        #expect(Self.step(image: "agent:1", existing: [first, second, third]) == .renumber(first, to: 4))
        #expect(Self.step(image: "agent:2", existing: [second, third]) == .renumber(second, to: 4))
    }

    @Test func truncationDeletesTheOldestRevisionsNothingStillUses() {
        let history = (1...5).map { Self.revision(image: "agent:\($0)", number: Int64($0)) }
        let names = history.map(Self.name)
        // Revision 5 is the update revision and pods still run revision 1: of 2, 3 and 4 only one may stay.
        let expired = ControllerHistory.expired(history.reversed(), live: [names[4], names[0]], limit: 1)
        #expect(expired.map(Self.name) == [names[1], names[2]])
        #expect(ControllerHistory.expired(history, live: [names[4]], limit: 10).isEmpty)
        #expect(ControllerHistory.expired(history, live: [names[4]], limit: 0).map(Self.name) == Array(names[0..<4]))
    }

    @Test func theLimitDefaultsToTen() {
        #expect(ControllerHistory.limit(of: Self.owner(image: "agent:1")) == 10)
        var limited = Self.owner(image: "agent:1")
        limited[path: "spec", "revisionHistoryLimit"] = 2
        #expect(ControllerHistory.limit(of: limited) == 2)
    }
}
