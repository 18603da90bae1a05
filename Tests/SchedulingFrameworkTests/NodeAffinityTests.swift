import APIMachinery
import Testing

@testable import SchedulingFramework

struct NodeAffinityTests {
    private let rejection = FilterStatus(
        code: .unschedulableAndUnresolvable, reasons: ["node(s) didn't match Pod's node affinity/selector"],
        plugin: "NodeAffinity")

    private func required(_ terms: [JSONValue]) -> TestPod {
        TestPod("p").affinity("nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", ["nodeSelectorTerms": .array(terms)])
    }

    private func expression(_ key: String, _ op: String, _ values: [String] = []) -> JSONValue {
        ["key": .string(key), "operator": .string(op), "values": .array(values.map { .string($0) })]
    }

    @Test func nodeSelectorMustMatchEveryLabel() {
        let cluster = snapshot(nodes: [
            TestNode("ssd").labels(["disk": "ssd", "arch": "amd64"]), TestNode("hdd").labels(["disk": "hdd", "arch": "amd64"]),
        ])
        let pod = TestPod("p").spec("nodeSelector", ["disk": "ssd", "arch": "amd64"])
        #expect(filterStatus(pod, node: "ssd", in: cluster) == nil)
        #expect(filterStatus(pod, node: "hdd", in: cluster) == rejection)
    }

    @Test func requiredTermsAreOredAndExpressionsAnded() {
        let cluster = snapshot(nodes: [
            TestNode("a").labels(["zone": "a", "gen": "3"]), TestNode("b").labels(["zone": "b", "gen": "5"]),
            TestNode("c").labels(["zone": "c"]),
        ])
        let pod = required([
            ["matchExpressions": [expression("zone", "In", ["a", "b"]), expression("gen", "Gt", ["4"])]],
            ["matchExpressions": [expression("gen", "DoesNotExist")]],
        ])
        #expect(filterStatus(pod, node: "a", in: cluster) == rejection)
        #expect(filterStatus(pod, node: "b", in: cluster) == nil)
        #expect(filterStatus(pod, node: "c", in: cluster) == nil)

        let notIn = required([["matchExpressions": [expression("zone", "NotIn", ["a"]), expression("gen", "Lt", ["4"])]]])
        #expect(filterStatus(notIn, node: "a", in: cluster) == rejection)
        #expect(filterStatus(notIn, node: "b", in: cluster) == rejection)
        #expect(filterStatus(TestPod("p").affinity("nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", ["nodeSelectorTerms": [["matchExpressions": [expression("zone", "Exists")]]]]), node: "c", in: cluster) == nil)
    }

    @Test func emptyOrMalformedTermsMatchNothing() {
        let cluster = snapshot(nodes: [TestNode("a").labels(["zone": "a"])])
        #expect(filterStatus(required([[:]]), node: "a", in: cluster) == rejection)
        #expect(filterStatus(required([["matchExpressions": [expression("zone", "In")]]]), node: "a", in: cluster) == rejection)
        #expect(filterStatus(required([["matchExpressions": [expression("zone", "Bogus", ["a"])]]]), node: "a", in: cluster) == rejection)
        // A broken term does not spoil a good one next to it.
        let mixed = required([["matchExpressions": [expression("zone", "Gt", ["x"])]], ["matchExpressions": [expression("zone", "In", ["a"])]]])
        #expect(filterStatus(mixed, node: "a", in: cluster) == nil)
    }

    @Test func matchFieldsOnMetadataName() {
        let cluster = snapshot(nodes: [TestNode("n1"), TestNode("n2"), TestNode("n3")])
        let pinned = required([["matchFields": [expression("metadata.name", "In", ["n2"])]]])
        #expect(filterStatus(pinned, node: "n1", in: cluster) == rejection)
        #expect(filterStatus(pinned, node: "n2", in: cluster) == nil)
        #expect(host(scheduleOutcome(pinned, in: cluster)) == "n2")
        let excluded = required([["matchFields": [expression("metadata.name", "NotIn", ["n2"])]]])
        #expect(filterStatus(excluded, node: "n2", in: cluster) == rejection)
        #expect(filterStatus(excluded, node: "n3", in: cluster) == nil)
    }

    /// PreFilter narrows a pod pinned by name to its nodes; the others are reported as not satisfying the plugin.
    @Test func pinnedPodOnlyEvaluatesItsNodes() {
        let cluster = snapshot(
            nodes: [TestNode("n1", cpu: "1"), TestNode("n2"), TestNode("n3")],
            pods: [TestPod("big").requests(cpu: "1").node("n1")])
        let pinned = required([["matchFields": [expression("metadata.name", "In", ["n1"])]]]).requests(cpu: "500m")
        let error = failure(scheduleOutcome(pinned, in: cluster))
        #expect(error?.message == "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].")
        #expect(error?.nodeStatuses.keys.sorted() == ["n1"])
        #expect(error?.status(ofNode: "n2")?.code == .unschedulableAndUnresolvable)
    }

    @Test func contradictoryNamePinsFailInPreFilter() {
        let cluster = snapshot(nodes: [TestNode("n1"), TestNode("n2")])
        let pod = required([
            ["matchFields": [expression("metadata.name", "In", ["n1"]), expression("metadata.name", "In", ["n2"])]]
        ])
        let error = failure(scheduleOutcome(pod, in: cluster))
        #expect(error?.message == "0/2 nodes are available: pod affinity terms conflict.")
        #expect(error?.preFilterMessage == "pod affinity terms conflict")
    }

    @Test func preferredAffinityChangesTheChoice() {
        let cluster = snapshot(nodes: [TestNode("a").labels(["disk": "hdd"]), TestNode("b").labels(["disk": "ssd"])])
        let pod = TestPod("p").affinity(
            "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution",
            [["weight": 10, "preference": ["matchExpressions": [expression("disk", "In", ["ssd"])]]]])
        for seed in 1...20 {
            #expect(host(scheduleOutcome(pod, in: cluster, seed: UInt64(seed))) == "b")
        }
    }

    @Test func preferredScoreSumsMatchingWeights() {
        let node = NodeInfo(node: TestNode("n").labels(["a": "1", "b": "2"]).json)
        let terms = TestPod("p").affinity(
            "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution",
            [
                ["weight": 3, "preference": ["matchExpressions": [expression("a", "Exists")]]],
                ["weight": 5, "preference": ["matchExpressions": [expression("b", "In", ["2"])]]],
                ["weight": 7, "preference": ["matchExpressions": [expression("c", "Exists")]]],
                ["weight": 0, "preference": ["matchExpressions": [expression("a", "Exists")]]],
            ]
        ).info.preferredNodeAffinity
        #expect(terms.count == 3)
        #expect(NodeAffinity.score(terms, node) == 8)
    }
}
