import Testing

@testable import SchedulingFramework

struct TaintTolerationTests {
    @Test func untoleratedNoScheduleTaintRejects() {
        let cluster = snapshot(nodes: [TestNode("cp").taint("node-role.kubernetes.io/control-plane", effect: "NoSchedule")])
        #expect(
            filterStatus(TestPod("p"), node: "cp", in: cluster)
                == FilterStatus(
                    code: .unschedulableAndUnresolvable,
                    reasons: ["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"],
                    plugin: "TaintToleration"))
    }

    @Test func reasonNamesTheFirstUntoleratedTaintWithItsValue() {
        let cluster = snapshot(nodes: [
            TestNode("n1").taint("dedicated", "db", effect: "NoSchedule").taint("gpu", "true", effect: "NoExecute")
        ])
        let pod = TestPod("p").toleration(key: "dedicated", value: "db", effect: "NoSchedule")
        #expect(filterStatus(pod, node: "n1", in: cluster)?.reasons == ["node(s) had untolerated taint {gpu: true}"])
    }

    @Test func tolerationsMatchLikeKubernetes() {
        let taint = Taint(key: "dedicated", value: "db", effect: .noSchedule)
        #expect(Toleration(key: "dedicated", value: "db", effect: .noSchedule).tolerates(taint))
        #expect(Toleration(key: "dedicated", value: "db").tolerates(taint))
        #expect(!Toleration(key: "dedicated", value: "web").tolerates(taint))
        #expect(Toleration(key: "dedicated", operator: .exists).tolerates(taint))
        #expect(Toleration(operator: .exists).tolerates(taint))
        #expect(!Toleration(key: "dedicated", operator: .exists, effect: .noExecute).tolerates(taint))
        #expect(!Toleration(key: "other", operator: .exists).tolerates(taint))
    }

    @Test func preferNoScheduleOnlyAffectsScoring() {
        let cluster = snapshot(nodes: [TestNode("n1").taint("spot", "true", effect: "PreferNoSchedule")])
        #expect(filterStatus(TestPod("p"), node: "n1", in: cluster) == nil)
    }

    @Test func preferNoScheduleTaintSteersPodsAway() {
        let cluster = snapshot(nodes: [TestNode("tainted").taint("spot", "true", effect: "PreferNoSchedule"), TestNode("clean")])
        for seed in 1...20 {
            #expect(host(scheduleOutcome(TestPod("p"), in: cluster, seed: UInt64(seed))) == "clean")
        }
        // Tolerating the taint makes both nodes equal again.
        let tolerant = TestPod("p").toleration(key: "spot", operator: "Exists", effect: "PreferNoSchedule")
        let hosts = Set((1...30).compactMap { host(scheduleOutcome(tolerant, in: cluster, seed: UInt64($0))) })
        #expect(hosts == ["tainted", "clean"])
    }

    @Test func scoreCountsUntoleratedPreferNoScheduleTaints() {
        let node = NodeInfo(
            node: TestNode("n").taint("a", effect: "PreferNoSchedule").taint("b", effect: "PreferNoSchedule")
                .taint("c", effect: "NoSchedule").json)
        #expect(TaintToleration.score(node, tolerations: []) == 2)
        let tolerations = TaintToleration.preferNoScheduleTolerations(
            TestPod("p").toleration(key: "a", operator: "Exists").toleration(key: "b", operator: "Exists", effect: "NoSchedule").info)
        // Only the toleration without an effect (or with PreferNoSchedule) counts.
        #expect(TaintToleration.score(node, tolerations: tolerations) == 1)
    }
}
