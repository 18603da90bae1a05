import APIMachinery
import CRI
import Foundation
import Testing

@testable import NodeAgent

/// What a restarted agent remembers of a pod it finds running: the API's start time and back-offs rebuilt from
/// the runtime's history.
@Suite("pod adoption")
struct PodAdoptionTests {
    static let wallNow = Date(timeIntervalSince1970: 1_700_000_000)
    static let pod: JSONValue = ["metadata": ["uid": "u1"], "status": ["startTime": "2023-11-14T22:00:00Z"]]

    static func instance(_ id: String, attempt: UInt32, exitedSecondsAgo: Double? = nil, ranSeconds: Double = 1) -> ContainerInstance {
        var status = Runtime_V1_ContainerStatus()
        if let ago = exitedSecondsAgo {
            let finished = wallNow.timeIntervalSince1970 - ago
            status.finishedAt = Int64(finished * 1e9)
            status.startedAt = Int64((finished - ranSeconds) * 1e9)
            status.exitCode = 1
        }
        return ContainerInstance(
            id: id, name: "app", attempt: attempt, state: exitedSecondsAgo == nil ? .containerRunning : .containerExited, createdAt: 0,
            status: status)
    }

    static func runtimePod(_ instances: [ContainerInstance]) -> RuntimePod {
        RuntimePod(sandbox: Runtime_V1_PodSandbox.with { $0.id = "s1"; $0.state = .sandboxReady }, sandboxIP: "10.42.0.9", instances: ["app": instances])
    }

    @Test func aNewPodStartsNowWithNothingToRemember() {
        let state = PodState.rebuilt(pod: ["metadata": ["uid": "u1"]], runtimePod: RuntimePod(), now: .now, wallNow: Self.wallNow)
        #expect(state.startTime == Self.wallNow)
        #expect(state.restartBackoffs.isEmpty && state.restartAllowedAt.isEmpty && state.countedExits.isEmpty)
    }

    @Test func aRunningContainerKeepsTheAPIsStartTimeAndMayRestartAtOnceWhenItFirstExits() {
        let state = PodState.rebuilt(pod: Self.pod, runtimePod: Self.runtimePod([Self.instance("c0", attempt: 0)]), now: .now, wallNow: Self.wallNow)
        #expect(state.startTime == KubeTime.parse("2023-11-14T22:00:00Z"))
        var backoff = state.restartBackoffs["app"] ?? RestartBackoff()
        #expect(backoff.containerExited(after: .seconds(1)) == .zero)
        #expect(state.restartAllowedAt["app"] == nil)
    }

    @Test func aCrashLoopingContainerWaitsOutTheBackOffItsRestartsEarnedFromWhenItExited() {
        let now = ContinuousClock.now
        let pod = Self.runtimePod([Self.instance("c3", attempt: 3, exitedSecondsAgo: 2), Self.instance("c2", attempt: 2, exitedSecondsAgo: 30)])
        let state = PodState.rebuilt(pod: Self.pod, runtimePod: pod, now: now, wallNow: Self.wallNow)
        // Restarts after 0, 10 and 20 s; the fourth exit waits 40 s, 2 of which have passed.
        #expect(state.restartBackoffs["app"]?.lastDelay == .seconds(40))
        #expect(state.countedExits == ["c3"])
        let allowed = state.restartAllowedAt["app"].map { $0 - now }
        #expect(allowed.map { $0 > .seconds(37) && $0 <= .seconds(38) } == true)
    }

    @Test func aBackOffThatRanOutWhileTheAgentWasAwayAllowsARestartAtOnce() {
        let now = ContinuousClock.now
        let pod = Self.runtimePod([Self.instance("c1", attempt: 1, exitedSecondsAgo: 120)])
        let state = PodState.rebuilt(pod: Self.pod, runtimePod: pod, now: now, wallNow: Self.wallNow)
        #expect(state.restartAllowedAt["app"] == now)
        #expect(state.restartBackoffs["app"]?.lastDelay == .seconds(10))
    }
}
