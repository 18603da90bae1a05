import APIMachinery
import Testing

@testable import NodeAgent

/// The kubelet's decisions for one pod, from its spec and what the runtime holds.
@Suite("pod actions")
struct PodActionsTests {
    static func pod(_ restartPolicy: String = "Always", init initNames: [String] = [], containers: [String] = ["app", "log"]) -> JSONValue {
        var spec: JSONValue = ["restartPolicy": .string(restartPolicy), "containers": .array(containers.map { ["name": .string($0)] })]
        if !initNames.isEmpty { spec["initContainers"] = .array(initNames.map { ["name": .string($0)] }) }
        return ["metadata": ["name": "p", "namespace": "default"], "spec": spec]
    }

    static func observed(ready: Bool = true, attempt: UInt32 = 0, _ containers: [(String, ObservedContainer.State)]) -> ObservedPod {
        ObservedPod(
            sandbox: .init(id: "sandbox", ready: ready, attempt: attempt),
            containers: containers.map { ObservedContainer(id: "id-\($0.0)", name: $0.0, attempt: 0, state: $0.1) })
    }

    @Test func aNewPodGetsASandboxThenItsFirstInitContainerOrItsContainers() {
        let fresh = PodActions.compute(pod: Self.pod(), observed: ObservedPod())
        #expect(fresh.createSandbox && !fresh.killPod && fresh.sandboxAttempt == 0 && fresh.containersToStart == [0, 1])
        let withInit = PodActions.compute(pod: Self.pod(init: ["migrate", "seed"]), observed: ObservedPod())
        #expect(withInit.createSandbox && withInit.initContainerToStart == 0 && withInit.containersToStart.isEmpty)
    }

    @Test func initContainersRunOneAtATimeInOrder() {
        let pod = Self.pod("OnFailure", init: ["migrate", "seed"])
        #expect(PodActions.compute(pod: pod, observed: Self.observed([("migrate", .running)])) == PodActions())
        #expect(PodActions.compute(pod: pod, observed: Self.observed([("migrate", .exited(code: 0))])).initContainerToStart == 1)
        #expect(PodActions.compute(pod: pod, observed: Self.observed([("migrate", .exited(code: 1))])).initContainerToStart == 0, "retried")
        let done = PodActions.compute(pod: pod, observed: Self.observed([("migrate", .exited(code: 0)), ("seed", .exited(code: 0))]))
        #expect(done.initContainerToStart == nil && done.containersToStart == [0, 1])
        let never = PodActions.compute(pod: Self.pod("Never", init: ["migrate"]), observed: Self.observed([("migrate", .exited(code: 1))]))
        #expect(never.killPod && never.initContainerToStart == nil, "a failed init container fails a Never pod")
    }

    @Test func exitedContainersRestartAsTheRestartPolicySays() {
        let crashed = Self.observed([("app", .exited(code: 1)), ("log", .running)])
        #expect(PodActions.compute(pod: Self.pod("Always"), observed: crashed).containersToStart == [0])
        #expect(PodActions.compute(pod: Self.pod("OnFailure"), observed: crashed).containersToStart == [0])
        let never = PodActions.compute(pod: Self.pod("Never"), observed: crashed)
        #expect(never.containersToStart.isEmpty && !never.killPod, "the other container keeps running")

        let finished = Self.observed([("app", .exited(code: 0)), ("log", .exited(code: 0))])
        #expect(PodActions.compute(pod: Self.pod("Always"), observed: finished).containersToStart == [0, 1])
        let done = PodActions.compute(pod: Self.pod("OnFailure"), observed: finished)
        #expect(done.containersToStart.isEmpty && done.killPod, "nothing left to run: the sandbox goes")
        let running = PodActions.compute(pod: Self.pod(), observed: Self.observed([("app", .running), ("log", .running)]))
        #expect(running == PodActions())
        let created = PodActions.compute(pod: Self.pod(), observed: Self.observed([("app", .created), ("log", .running)]))
        #expect(created.containersToStart == [0])
    }

    @Test func aFailedLivenessProbeKillsAndRestartsTheContainer() {
        let observed = Self.observed([("app", .running), ("log", .running)])
        let actions = PodActions.compute(pod: Self.pod(), observed: observed, failedProbes: ["app": "Container app failed liveness probe"])
        #expect(actions.containersToKill == [.init(id: "id-app", name: "app", message: "Container app failed liveness probe, will be restarted")])
        #expect(actions.containersToStart == [0] && !actions.killPod)
        let never = PodActions.compute(pod: Self.pod("Never"), observed: observed, failedProbes: ["app": "Container app failed liveness probe"])
        #expect(never.containersToKill.first?.message == "Container app failed liveness probe" && never.containersToStart.isEmpty)
    }

    @Test func aSandboxThatDiedIsRecreatedUnlessThePodIsDone() {
        let died = Self.observed(ready: false, attempt: 2, [("app", .exited(code: 137)), ("log", .exited(code: 137))])
        let again = PodActions.compute(pod: Self.pod(), observed: died)
        #expect(again.killPod && again.createSandbox && again.sandboxAttempt == 3 && again.containersToStart == [0, 1])
        let never = PodActions.compute(pod: Self.pod("Never"), observed: died)
        #expect(never.killPod && !never.createSandbox)
        let succeeded = Self.observed(ready: false, [("app", .exited(code: 0)), ("log", .exited(code: 0))])
        #expect(!PodActions.compute(pod: Self.pod("OnFailure"), observed: succeeded).createSandbox)
    }

    @Test func aDeletedPodStartsNothing() {
        var pod = Self.pod()
        pod[path: "metadata", "deletionTimestamp"] = "2026-01-01T00:00:00Z"
        let actions = PodActions.compute(pod: pod, observed: Self.observed([("app", .exited(code: 1)), ("log", .exited(code: 0))]))
        #expect(actions.containersToStart.isEmpty && actions.killPod)
    }
}
