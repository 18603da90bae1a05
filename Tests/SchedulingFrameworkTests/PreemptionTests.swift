import Testing

@testable import SchedulingFramework

struct PreemptionTests {
    private let low: Int64 = 0
    private let mid: Int64 = 100
    private let high: Int64 = 1000
    private let veryHigh: Int64 = 10000

    /// Schedules `pod`, which must fail, then preempts for it.
    private func preempt(_ pod: TestPod, in cluster: ClusterSnapshot, seed: UInt64 = 1) -> PreemptionOutcome? {
        guard let error = failure(scheduleOutcome(pod, in: cluster)) else {
            Issue.record("the pod unexpectedly fits")
            return nil
        }
        var preemption = Preemption(random: SeededGenerator(seed: seed))
        return preemption.preempt(pod.info, after: error, in: cluster)
    }

    @Test func evictsOnlyTheLowerPriorityPodsNeeded() {
        let cluster = snapshot(
            nodes: [TestNode("n1", cpu: "4")],
            pods: [
                TestPod("low-small").priority(low).requests(cpu: "1").node("n1"),
                TestPod("low-big").priority(low).requests(cpu: "2").node("n1"),
                TestPod("mid").priority(mid).requests(cpu: "1").node("n1"),
            ])
        let outcome = preempt(TestPod("p").priority(high).requests(cpu: "2"), in: cluster)
        #expect(outcome?.message == nil)
        #expect(outcome?.result?.nominatedNode == "n1")
        // Reprieving from the most important down: mid and low-small (1 + 1) can stay; low-big must go.
        #expect(outcome?.result?.victims.map(\.name) == ["low-big"])
    }

    @Test func higherPriorityPodsAreNeverEvicted() {
        let cluster = snapshot(
            nodes: [TestNode("n1", cpu: "2")],
            pods: [TestPod("a").priority(high).requests(cpu: "1").node("n1"), TestPod("b").priority(mid).requests(cpu: "1").node("n1")])
        let outcome = preempt(TestPod("p").priority(mid).requests(cpu: "2"), in: cluster)
        #expect(outcome?.result == nil)
        #expect(outcome?.message == "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")
        let stillTooBig = preempt(TestPod("p").priority(veryHigh).requests(cpu: "3"), in: cluster)
        #expect(stillTooBig?.message == "preemption: 0/1 nodes are available: 1 Insufficient cpu.")
    }

    @Test func victimsComeHighestPriorityFirst() {
        let cluster = snapshot(
            nodes: [TestNode("n1", cpu: "3")],
            pods: [
                TestPod("a").priority(low).requests(cpu: "1").node("n1"), TestPod("b").priority(mid).requests(cpu: "1").node("n1"),
                TestPod("c").priority(low + 1).requests(cpu: "1").node("n1"),
            ])
        let outcome = preempt(TestPod("p").priority(high).requests(cpu: "3"), in: cluster)
        #expect(outcome?.result?.victims.map(\.name) == ["b", "c", "a"])
    }

    @Test func preemptionPolicyNever() {
        let cluster = snapshot(nodes: [TestNode("n1", cpu: "1")], pods: [TestPod("a").priority(low).requests(cpu: "1").node("n1")])
        let pod = TestPod("p").priority(high).requests(cpu: "1").spec("preemptionPolicy", "Never")
        let outcome = preempt(pod, in: cluster)
        #expect(outcome?.result == nil)
        #expect(outcome?.message == "preemption: not eligible due to preemptionPolicy=Never.")
    }

    @Test func terminatingPodsAreNotVictims() {
        var cluster = snapshot(nodes: [TestNode("n1", cpu: "2")], pods: [TestPod("a").priority(low).requests(cpu: "1").node("n1")])
        var leaving = TestPod("b").priority(low).requests(cpu: "1").node("n1").json
        leaving[path: "metadata", "deletionTimestamp"] = "2024-01-01T00:00:00Z"
        cluster.addPod(PodInfo(pod: leaving))
        let outcome = preempt(TestPod("p").priority(high).requests(cpu: "1"), in: cluster)
        #expect(outcome?.result?.victims.map(\.name) == ["a"])
    }

    @Test func onlyUnschedulableNodesAreTried() {
        let cluster = snapshot(
            nodes: [TestNode("tainted", cpu: "1").taint("dedicated", effect: "NoSchedule"), TestNode("full", cpu: "1")],
            pods: [TestPod("a").priority(low).requests(cpu: "1").node("tainted"), TestPod("b").priority(low).requests(cpu: "1").node("full")])
        let outcome = preempt(TestPod("p").priority(high).requests(cpu: "1"), in: cluster)
        #expect(outcome?.result?.nominatedNode == "full")
        #expect(outcome?.result?.victims.map(\.name) == ["b"])

        let hopeless = snapshot(nodes: [TestNode("n1").unschedulable(), TestNode("n2").unschedulable()])
        #expect(preempt(TestPod("p").priority(high), in: hopeless)?.message == "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")
    }

    /// Kubernetes' "no candidate nodes found with mixed reasons" cases.
    @Test func mixedReasonsWithoutCandidates() {
        let cluster = snapshot(
            nodes: [TestNode("node1", cpu: "1"), TestNode("node2", cpu: "1"), TestNode("node3", cpu: "1")],
            pods: [
                TestPod("p1").priority(high).requests(cpu: "1").node("node1"), TestPod("p2").priority(low).node("node2"),
                TestPod("p3").priority(high).requests(cpu: "1").node("node3"),
            ])
        let outcome = preempt(TestPod("p").priority(high).requests(cpu: "2"), in: cluster)
        #expect(outcome?.message == "preemption: 0/3 nodes are available: 1 Insufficient cpu, 2 No preemption victims found for incoming pod.")

        let fourNodes = snapshot(
            nodes: [TestNode("node1", cpu: "1"), TestNode("node2", cpu: "1"), TestNode("node3", cpu: "1"), TestNode("node4", cpu: "1").unschedulable()],
            pods: [TestPod("p1").priority(low).node("node1"), TestPod("p2").priority(low).node("node2")])
        var error = FitError(numAllNodes: 4, nodeStatuses: [
            "node1": FilterStatus(code: .unschedulable, reasons: ["Insufficient cpu"], plugin: "NodeResourcesFit"),
            "node2": FilterStatus(code: .unschedulable, reasons: ["Insufficient cpu"], plugin: "NodeResourcesFit"),
            "node4": FilterStatus(code: .unschedulableAndUnresolvable, reasons: ["node(s) were unschedulable"], plugin: "NodeUnschedulable"),
        ])
        var preemption = Preemption(random: SeededGenerator(seed: 1))
        let pod = TestPod("p").priority(high).requests(cpu: "2").info
        error.postFilterMessage = preemption.preempt(pod, after: error, in: fourNodes).message
        #expect(error.postFilterMessage == "preemption: 0/4 nodes are available: 2 Insufficient cpu, 2 Preemption is not helpful for scheduling.")
    }

    @Test func picksTheNodeWithTheLowestHighestVictimPriority() {
        let cluster = snapshot(
            nodes: [TestNode("node1", cpu: "1"), TestNode("node2", cpu: "1")],
            pods: [TestPod("p1").priority(high).requests(cpu: "1").node("node1"), TestPod("p3").priority(mid).requests(cpu: "1").node("node2")])
        for seed in 1...5 {
            let outcome = preempt(TestPod("p").priority(veryHigh).requests(cpu: "1"), in: cluster, seed: UInt64(seed))
            #expect(outcome?.result?.nominatedNode == "node2")
        }
    }

    @Test func tiesGoToFewerVictimsThenLaterStart() {
        let fewer = snapshot(
            nodes: [TestNode("two", cpu: "2"), TestNode("one", cpu: "2")],
            pods: [
                TestPod("a").priority(low).requests(cpu: "1").node("two"), TestPod("b").priority(low).requests(cpu: "1").node("two"),
                TestPod("c").priority(low).requests(cpu: "2").node("one"),
            ])
        #expect(preempt(TestPod("p").priority(high).requests(cpu: "2"), in: fewer)?.result?.nominatedNode == "one")

        let started = snapshot(
            nodes: [TestNode("old", cpu: "1"), TestNode("new", cpu: "1")],
            pods: [
                TestPod("a").priority(low).requests(cpu: "1").node("old").status("startTime", "2024-01-01T00:00:00Z"),
                TestPod("b").priority(low).requests(cpu: "1").node("new").status("startTime", "2024-06-01T00:00:00Z"),
            ])
        #expect(preempt(TestPod("p").priority(high).requests(cpu: "1"), in: started)?.result?.nominatedNode == "new")
    }

    @Test func antiAffinityVictimsAreRemovedToo() {
        let blocker = TestPod("blocker").labels(["app": "db"]).priority(low)
        let cluster = snapshot(nodes: [TestNode("n1")], pods: [blocker.node("n1")])
        let pod = TestPod("p").priority(high).affinity(
            "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
            [podAffinityTerm(["app": "db"], topologyKey: "kubernetes.io/hostname")])
        let outcome = preempt(pod, in: cluster)
        #expect(outcome?.result?.victims.map(\.name) == ["blocker"])
    }

    @Test func nominatedPodsKeepTheRoomFreed() {
        var cluster = snapshot(nodes: [TestNode("n1", cpu: "2")], pods: [TestPod("a").priority(low).requests(cpu: "1").node("n1")])
        let preemptor = TestPod("p").priority(high).requests(cpu: "1").status("nominatedNodeName", "n1")
        cluster.nominate(preemptor.info, to: "n1")
        // A lower-priority pod may not take the nominated pod's room…
        #expect(failure(scheduleOutcome(TestPod("q").priority(low).requests(cpu: "1"), in: cluster))?.message == "0/1 nodes are available: 1 Insufficient cpu.")
        // …but a higher-priority one may, and the preemptor itself fits its own nomination.
        #expect(host(scheduleOutcome(TestPod("q").priority(veryHigh).requests(cpu: "1"), in: cluster)) == "n1")
        #expect(host(scheduleOutcome(preemptor, in: cluster)) == "n1")
        cluster.addPod(preemptor.info.bound(to: "n1"))
        #expect(cluster.nominatedNode(namespace: "default", name: "p") == nil)
    }

    @Test func waitsForItsOwnVictimsToTerminate() {
        var cluster = snapshot(nodes: [TestNode("n1", cpu: "1")])
        var victim = TestPod("v").priority(low).requests(cpu: "1").node("n1").json
        victim[path: "metadata", "deletionTimestamp"] = "2024-01-01T00:00:00Z"
        victim[path: "status", "conditions"] = [["type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"]]
        cluster.addPod(PodInfo(pod: victim))
        let pod = TestPod("p").priority(high).requests(cpu: "1").status("nominatedNodeName", "n1")
        #expect(preempt(pod, in: cluster)?.message == "preemption: not eligible due to a terminating pod on the nominated node.")
    }
}
