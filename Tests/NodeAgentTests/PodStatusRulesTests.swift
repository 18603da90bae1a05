import APIMachinery
import Testing

@testable import NodeAgent

/// The phase and conditions the kubelet reports for a pod from its containers' states.
@Suite("pod status rules")
struct PodStatusRulesTests {
    static let running: JSONValue = ["running": ["startedAt": "2026-01-01T00:00:00Z"]]
    static func terminated(_ code: Int64) -> JSONValue { ["terminated": ["exitCode": .integer(code), "reason": code == 0 ? "Completed" : "Error"]] }
    static let waiting: JSONValue = ["waiting": ["reason": "ContainerCreating"]]

    static func status(_ name: String, _ state: JSONValue, ready: Bool = false, last: JSONValue? = nil) -> JSONValue {
        var status: JSONValue = ["name": .string(name), "state": state, "ready": .bool(ready)]
        if let last { status["lastState"] = last }
        return status
    }

    static func spec(_ restartPolicy: String = "Always", init initNames: [String] = [], sidecars: [String] = []) -> JSONValue {
        var spec: JSONValue = ["restartPolicy": .string(restartPolicy), "containers": [["name": "app"]]]
        let initContainers = initNames.map { JSONValue.object(["name": .string($0)]) }
            + sidecars.map { JSONValue.object(["name": .string($0), "restartPolicy": "Always"]) }
        if !initContainers.isEmpty { spec["initContainers"] = .array(initContainers) }
        return spec
    }

    static func phase(_ spec: JSONValue, initial: [JSONValue] = [], _ statuses: [JSONValue], terminal: Bool = false) -> String {
        PodStatusRules.phase(spec: spec, initStatuses: initial, statuses: statuses, terminal: terminal)
    }

    @Test func phasesFollowTheContainersAndTheRestartPolicy() {
        #expect(Self.phase(Self.spec(), []) == "Pending")
        #expect(Self.phase(Self.spec(), [Self.status("app", Self.waiting)]) == "Pending")
        #expect(Self.phase(Self.spec(), [Self.status("app", Self.running)]) == "Running")
        // Crash-looping: waiting to restart after a failure is still Running under Always and OnFailure.
        let crashLooping = Self.status("app", ["waiting": ["reason": "CrashLoopBackOff"]], last: Self.terminated(1))
        #expect(Self.phase(Self.spec(), [crashLooping]) == "Running")
        #expect(Self.phase(Self.spec("OnFailure"), [crashLooping]) == "Running")
        #expect(Self.phase(Self.spec("Never"), [Self.status("app", Self.terminated(1))]) == "Failed")
        #expect(Self.phase(Self.spec("OnFailure"), [Self.status("app", Self.terminated(0))]) == "Succeeded")
        #expect(Self.phase(Self.spec("Always"), [Self.status("app", Self.terminated(0))]) == "Running")
        // A pod being stopped for good ends Succeeded or Failed whatever its restart policy.
        #expect(Self.phase(Self.spec("Always"), [Self.status("app", Self.terminated(0))], terminal: true) == "Succeeded")
        #expect(Self.phase(Self.spec("Always"), [Self.status("app", Self.terminated(137))], terminal: true) == "Failed")
    }

    @Test func initContainersHoldThePodPendingAndAFailedOneFailsANeverPod() {
        let spec = Self.spec("Never", init: ["migrate"])
        #expect(Self.phase(spec, initial: [Self.status("migrate", Self.running)], [Self.status("app", Self.waiting)]) == "Pending")
        #expect(Self.phase(spec, initial: [Self.status("migrate", Self.terminated(2))], [Self.status("app", Self.waiting)]) == "Failed")
        #expect(Self.phase(spec, initial: [Self.status("migrate", Self.terminated(0))], [Self.status("app", Self.running)]) == "Running")
        // A running sidecar does not hold the pod back.
        let withSidecar = Self.spec(sidecars: ["proxy"])
        #expect(Self.phase(withSidecar, initial: [Self.status("proxy", Self.running)], [Self.status("app", Self.running)]) == "Running")
    }

    static func conditions(
        _ pod: JSONValue, phase: String, initial: [JSONValue] = [], _ statuses: [JSONValue], previous: [JSONValue] = []
    ) -> [String: JSONValue] {
        let list = PodStatusRules.conditions(pod: pod, phase: phase, initStatuses: initial, statuses: statuses, previous: previous, now: "T2")
        return Dictionary(list.map { ($0["type"]?.stringValue ?? "", $0) }, uniquingKeysWith: { first, _ in first })
    }

    @Test func conditionsSayWhichContainersHoldThePodBack() {
        let pod: JSONValue = ["spec": Self.spec(init: ["migrate"])]
        let starting = Self.conditions(pod, phase: "Pending", initial: [Self.status("migrate", Self.running)], [Self.status("app", Self.waiting)])
        #expect(starting["Initialized"]?["status"] == "False")
        #expect(starting["Initialized"]?["reason"] == "ContainersNotInitialized")
        #expect(starting["Initialized"]?["message"] == "containers with incomplete status: [migrate]")
        #expect(starting["Ready"]?["message"] == "containers with unready status: [app]")
        #expect(starting["ContainersReady"]?["reason"] == "ContainersNotReady")

        let unknown = Self.conditions(["spec": Self.spec()], phase: "Pending", [])
        #expect(unknown["Ready"]?["message"] == "containers with unknown status: [app]")

        let ready = Self.conditions(pod, phase: "Running", initial: [Self.status("migrate", Self.terminated(0))], [Self.status("app", Self.running, ready: true)])
        #expect(ready.values.allSatisfy { $0["status"] == "True" })
        #expect(ready["Ready"]?["reason"] == nil)

        let done = Self.conditions(["spec": Self.spec("Never")], phase: "Succeeded", [Self.status("app", Self.terminated(0))])
        #expect(done["Ready"]?["reason"] == "PodCompleted" && done["Initialized"]?["reason"] == "PodCompleted")
        let failed = Self.conditions(["spec": Self.spec("Never")], phase: "Failed", [Self.status("app", Self.terminated(1))])
        #expect(failed["ContainersReady"]?["reason"] == "PodFailed")
    }

    @Test func readinessGatesAndTransitionTimes() {
        var pod: JSONValue = ["spec": Self.spec()]
        pod[path: "spec", "readinessGates"] = [["conditionType": "example.com/lb"]]
        let statuses = [Self.status("app", Self.running, ready: true)]
        let missing = Self.conditions(pod, phase: "Running", statuses)
        #expect(missing["Ready"]?["status"] == "False" && missing["ContainersReady"]?["status"] == "True")
        #expect(missing["Ready"]?["message"] == "corresponding condition of pod readiness gate \"example.com/lb\" does not exist.")
        pod[path: "status", "conditions"] = [["type": "example.com/lb", "status": "False"]]
        #expect(Self.conditions(pod, phase: "Running", statuses)["Ready"]?["message"] == "the status of pod readiness gate \"example.com/lb\" is not \"True\", but False")
        pod[path: "status", "conditions"] = [["type": "example.com/lb", "status": "True"]]
        let previous: [JSONValue] = [["type": "Ready", "status": "True", "lastTransitionTime": "T1"], ["type": "ContainersReady", "status": "False", "lastTransitionTime": "T1"]]
        let gated = Self.conditions(pod, phase: "Running", statuses, previous: previous)
        #expect(gated["Ready"]?["status"] == "True" && gated["Ready"]?["lastTransitionTime"] == "T1", "unchanged status keeps its time")
        #expect(gated["ContainersReady"]?["lastTransitionTime"] == "T2", "a changed status is stamped now")
    }
}
