import APIMachinery
import Testing

@testable import SchedulingFramework

struct ClusterSnapshotTests {
    @Test func addingAndRemovingPodsKeepsTheSumsRight() {
        var cluster = snapshot(nodes: [TestNode("n1")])
        let a = TestPod("a").requests(cpu: "500m", memory: "1Gi").hostPort(80).node("n1").info
        let b = TestPod("b").requests(["nvidia.com/gpu": "1"]).node("n1").info
        cluster.addPod(a)
        cluster.addPod(b)
        var node = cluster.node(named: "n1")
        #expect(node?.pods.count == 2)
        #expect(node?.requested == ResourceList(milliCPU: 500, memory: 1024 * 1024 * 1024, pods: 2, scalarResources: ["nvidia.com/gpu": 1]))
        #expect(node?.nonZeroRequested == ResourceList(milliCPU: 600, memory: 1024 * 1024 * 1024 + 200 * 1024 * 1024))
        #expect(node?.usedPorts.conflicts(with: HostPort(port: 80)) == true)

        #expect(cluster.removePod(namespace: "default", name: "a")?.name == "a")
        node = cluster.node(named: "n1")
        #expect(node?.requested == ResourceList(pods: 1, scalarResources: ["nvidia.com/gpu": 1]))
        #expect(node?.usedPorts.isEmpty == true)
        cluster.removePod(namespace: "default", name: "b")
        #expect(cluster.node(named: "n1")?.requested == ResourceList())
        #expect(cluster.node(named: "n1")?.nonZeroRequested == ResourceList())
        #expect(cluster.removePod(namespace: "default", name: "b") == nil)
    }

    @Test func updatingAPodReplacesItsOldVersion() {
        var cluster = snapshot(nodes: [TestNode("n1"), TestNode("n2")])
        cluster.addPod(TestPod("a").requests(cpu: "1").node("n1").info)
        cluster.updatePod(TestPod("a").requests(cpu: "2").node("n2").info)
        #expect(cluster.node(named: "n1")?.requested.milliCPU == 0)
        #expect(cluster.node(named: "n2")?.requested.milliCPU == 2000)
        #expect(cluster.pod(namespace: "default", name: "a")?.nodeName == "n2")
        // A pod that finished releases its resources.
        cluster.updatePod(TestPod("a").requests(cpu: "2").node("n2").status("phase", "Succeeded").info)
        #expect(cluster.node(named: "n2")?.requested.milliCPU == 0)
        #expect(cluster.pod(namespace: "default", name: "a") == nil)
    }

    @Test func podsOfUnknownNodesCountOnceTheNodeAppears() {
        var cluster = ClusterSnapshot()
        cluster.addPod(TestPod("early").requests(cpu: "1").node("late").info)
        #expect(cluster.nodeCount == 0)
        #expect(cluster.pod(namespace: "default", name: "early") != nil)
        cluster.upsertNode(TestNode("late").json)
        #expect(cluster.node(named: "late")?.requested.milliCPU == 1000)
        // Removing the node keeps its pods for when it returns.
        cluster.removeNode(named: "late")
        #expect(cluster.nodeCount == 0)
        cluster.upsertNode(TestNode("late").json)
        #expect(cluster.node(named: "late")?.pods.map(\.name) == ["early"])
        cluster.removeNode(named: "late")
        cluster.removePod(namespace: "default", name: "early")
        cluster.upsertNode(TestNode("late").json)
        #expect(cluster.node(named: "late")?.pods.isEmpty == true)
    }

    @Test func updatingANodeKeepsItsPods() {
        var cluster = snapshot(nodes: [TestNode("n1", cpu: "2")], pods: [TestPod("a").requests(cpu: "1").node("n1")])
        cluster.upsertNode(TestNode("n1", cpu: "8").labels(["zone": "a"]).json)
        let node = cluster.node(named: "n1")
        #expect(node?.allocatable.milliCPU == 8000)
        #expect(node?.labels["zone"] == "a")
        #expect(node?.requested.milliCPU == 1000)
        #expect(cluster.nodeCount == 1)
    }

    @Test func removingANodeKeepsTheOthersReachable() {
        var cluster = snapshot(nodes: [TestNode("n1"), TestNode("n2"), TestNode("n3")], pods: [TestPod("a").node("n3")])
        let removed = cluster.removeNode(named: "n1")
        let removedAgain = cluster.removeNode(named: "n1")
        #expect(removed)
        #expect(!removedAgain)
        #expect(cluster.nodes.map(\.name).sorted() == ["n2", "n3"])
        #expect(cluster.node(named: "n3")?.pods.map(\.name) == ["a"])
        cluster.removePod(namespace: "default", name: "a")
        #expect(cluster.node(named: "n3")?.pods.isEmpty == true)
    }

    @Test func tracksNodesWithAffinityPods() {
        let anti = TestPod("a").labels(["app": "x"]).affinity(
            "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", [podAffinityTerm(["app": "x"], topologyKey: "kubernetes.io/hostname")])
        var cluster = snapshot(nodes: [TestNode("n1"), TestNode("n2")], pods: [anti.node("n1"), TestPod("b").node("n2")])
        #expect(cluster.nodesWithRequiredAntiAffinityPods == ["n1"])
        #expect(cluster.nodesWithAffinityPods == ["n1"])
        cluster.removePod(namespace: "default", name: "a")
        #expect(cluster.nodesWithRequiredAntiAffinityPods.isEmpty)
        #expect(cluster.nodesWithAffinityPods.isEmpty)
    }

    @Test func nominations() {
        var cluster = snapshot(nodes: [TestNode("n1"), TestNode("n2")])
        let pod = TestPod("p").info
        cluster.nominate(pod, to: "n1")
        cluster.nominate(pod, to: "n2")
        #expect(cluster.nominatedNode(namespace: "default", name: "p") == "n2")
        #expect(cluster.nominatedPods["n1"] == nil)
        #expect(cluster.nominatedPodCount == 1)
        cluster.removeNomination(namespace: "default", name: "p")
        #expect(cluster.nominatedPodCount == 0)
        #expect(cluster.nominatedPods.isEmpty)
    }
}
