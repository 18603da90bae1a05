import APIMachinery
import Testing

@testable import SchedulingFramework

struct PodTopologySpreadTests {
    private let zones = [
        TestNode("a1").zone("a"), TestNode("a2").zone("a"), TestNode("b1").zone("b"), TestNode("c1").zone("c"),
    ]

    private func web(_ name: String, on node: String) -> TestPod {
        TestPod(name).labels(["app": "web"]).node(node)
    }

    @Test func skewAboveMaxSkewRejects() {
        let cluster = snapshot(nodes: zones, pods: [web("w1", on: "a1"), web("w2", on: "b1")])
        let pod = TestPod("p").labels(["app": "web"]).spread(topologyKey: "topology.kubernetes.io/zone", matchLabels: ["app": "web"])
        // Zone c is empty, so a or b would make a skew of 2.
        #expect(
            filterStatus(pod, node: "a2", in: cluster)
                == FilterStatus(code: .unschedulable, reasons: ["node(s) didn't match pod topology spread constraints"], plugin: "PodTopologySpread"))
        #expect(filterStatus(pod, node: "b1", in: cluster)?.code == .unschedulable)
        #expect(filterStatus(pod, node: "c1", in: cluster) == nil)
        #expect(host(scheduleOutcome(pod, in: cluster)) == "c1")
    }

    @Test func nodeWithoutTheTopologyLabelIsUnresolvable() {
        let cluster = snapshot(nodes: zones + [TestNode("bare")])
        let pod = TestPod("p").labels(["app": "web"]).spread(topologyKey: "topology.kubernetes.io/zone", matchLabels: ["app": "web"])
        #expect(
            filterStatus(pod, node: "bare", in: cluster)
                == FilterStatus(
                    code: .unschedulableAndUnresolvable,
                    reasons: ["node(s) didn't match pod topology spread constraints (missing required label)"],
                    plugin: "PodTopologySpread"))
    }

    @Test func otherNamespacesAndTerminatingPodsDoNotCount() {
        let terminating = web("w2", on: "b1").json
        var deleting = terminating
        deleting[path: "metadata", "deletionTimestamp"] = "2024-01-01T00:00:00Z"
        var cluster = snapshot(nodes: zones, pods: [web("w1", on: "a1"), TestPod("x", namespace: "other").labels(["app": "web"]).node("b1")])
        cluster.addPod(PodInfo(pod: deleting))
        let pod = TestPod("p").labels(["app": "web"]).spread(topologyKey: "topology.kubernetes.io/zone", matchLabels: ["app": "web"])
        // Zone b counts no pod, so b1 is at the minimum; zone a already holds one more.
        #expect(filterStatus(pod, node: "b1", in: cluster) == nil)
        #expect(filterStatus(pod, node: "a1", in: cluster)?.code == .unschedulable)
    }

    @Test func minDomainsTreatsMissingDomainsAsEmpty() {
        let cluster = snapshot(nodes: [TestNode("a1").zone("a"), TestNode("b1").zone("b")], pods: [web("w1", on: "a1"), web("w2", on: "b1")])
        let pod = TestPod("p").labels(["app": "web"])
            .spread(topologyKey: "topology.kubernetes.io/zone", matchLabels: ["app": "web"], extra: ["minDomains": 3])
        // Only two domains exist, so the global minimum counts as 0 and each zone already has 1.
        #expect(filterStatus(pod, node: "a1", in: cluster)?.reasons == ["node(s) didn't match pod topology spread constraints"])
    }

    @Test func softConstraintsEvenOutZones() {
        var cluster = snapshot(nodes: zones)
        var scheduler = GenericScheduler(random: SeededGenerator(seed: 7))
        var perZone: [String: Int] = [:]
        for index in 0..<12 {
            let pod = TestPod("w\(index)").labels(["app": "web"])
                .spread(topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", matchLabels: ["app": "web"])
            guard case .success(let result) = scheduler.schedule(pod.info, in: cluster) else {
                Issue.record("pod \(index) did not schedule")
                return
            }
            cluster.addPod(pod.info.bound(to: result.suggestedHost))
            perZone[cluster.node(named: result.suggestedHost)?.labels["topology.kubernetes.io/zone"] ?? "", default: 0] += 1
        }
        #expect(perZone.count == 3)
        #expect((perZone.values.max() ?? 0) - (perZone.values.min() ?? 0) <= 1)
    }

    @Test func matchLabelKeysNarrowTheSelector() {
        let cluster = snapshot(nodes: zones, pods: [
            TestPod("old1").labels(["app": "web", "rev": "1"]).node("a1"), TestPod("old2").labels(["app": "web", "rev": "1"]).node("b1"),
        ])
        let pod = TestPod("p").labels(["app": "web", "rev": "2"])
            .spread(topologyKey: "topology.kubernetes.io/zone", matchLabels: ["app": "web"], extra: ["matchLabelKeys": ["rev"]])
        // Only revision 2 pods count, and there are none yet.
        #expect(filterStatus(pod, node: "a1", in: cluster) == nil)
    }
}
