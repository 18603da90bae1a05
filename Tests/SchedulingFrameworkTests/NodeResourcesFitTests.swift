import Testing

@testable import SchedulingFramework

struct NodeResourcesFitTests {
    @Test func insufficientCPUAndMemoryAreSeparateReasons() {
        let cluster = snapshot(
            nodes: [TestNode("n1", cpu: "2", memory: "2Gi")],
            pods: [TestPod("a").requests(cpu: "1500m", memory: "1Gi").node("n1")])
        #expect(
            filterStatus(TestPod("p").requests(cpu: "1", memory: "2Gi"), node: "n1", in: cluster)
                == FilterStatus(code: .unschedulable, reasons: ["Insufficient cpu", "Insufficient memory"], plugin: "NodeResourcesFit"))
        #expect(filterStatus(TestPod("p").requests(cpu: "500m", memory: "1Gi"), node: "n1", in: cluster) == nil)
    }

    @Test func tooManyPods() {
        let cluster = snapshot(nodes: [TestNode("n1", pods: 1)], pods: [TestPod("a").node("n1")])
        #expect(filterStatus(TestPod("p"), node: "n1", in: cluster)?.reasons == ["Too many pods"])
        #expect(filterStatus(TestPod("p"), node: "n1", in: cluster)?.code == .unschedulable)
    }

    @Test func scalarAndEphemeralResources() {
        let node = TestNode("n1").allocatable("nvidia.com/gpu", "1").allocatable("ephemeral-storage", "10Gi")
        let cluster = snapshot(nodes: [node, TestNode("n2")])
        let gpuPod = TestPod("p").requests(cpu: "100m", ["nvidia.com/gpu": "2", "ephemeral-storage": "20Gi"])
        #expect(
            filterStatus(gpuPod, node: "n1", in: cluster)?.reasons
                == ["Insufficient ephemeral-storage", "Insufficient nvidia.com/gpu"])
        #expect(
            filterStatus(TestPod("p").requests(["nvidia.com/gpu": "1"]), node: "n2", in: cluster)?.reasons
                == ["Insufficient nvidia.com/gpu"])
        #expect(filterStatus(TestPod("p").requests(["nvidia.com/gpu": "1"]), node: "n1", in: cluster) == nil)
    }

    @Test func podWithoutRequestsOnlyNeedsAPodSlot() {
        let cluster = snapshot(nodes: [TestNode("n1", cpu: "1")], pods: [TestPod("a").requests(cpu: "1").node("n1")])
        #expect(filterStatus(TestPod("p"), node: "n1", in: cluster) == nil)
    }

    @Test func allocatableFallsBackToCapacity() {
        let node = TestNode("n1").json
        var capacityOnly = node
        capacityOnly[path: "status", "capacity"] = capacityOnly[path: "status", "allocatable"]
        capacityOnly[path: "status", "allocatable"] = nil
        #expect(NodeInfo(node: capacityOnly).allocatable == NodeInfo(node: node).allocatable)
        #expect(NodeInfo(node: node).allocatable == ResourceList(milliCPU: 4000, memory: 8 * 1024 * 1024 * 1024, pods: 110))
    }

    /// `LeastAllocated` on the free share of CPU and memory, with the non-zero defaults for requestless pods.
    @Test func leastAllocatedScore() {
        let cluster = snapshot(
            nodes: [TestNode("n1", cpu: "4", memory: "10000")],
            pods: [TestPod("a").requests(cpu: "1", memory: "5000").node("n1")])
        let node = cluster.nodes[0].summary
        // cpu: (4000 - 2000) * 100 / 4000 = 50; memory: (10000 - 7500) * 100 / 10000 = 25.
        #expect(NodeResourcesFit.score(ResourceList(milliCPU: 1000, memory: 2500), node) == 37)
        // Over capacity scores zero for that resource.
        #expect(NodeResourcesFit.score(ResourceList(milliCPU: 5000, memory: 0), node) == 25)
    }

    @Test func leastAllocatedPicksTheEmptierNode() {
        let cluster = snapshot(
            nodes: [TestNode("busy"), TestNode("idle")],
            pods: [TestPod("a").requests(cpu: "2", memory: "4Gi").node("busy")])
        for seed in 1...10 {
            #expect(host(scheduleOutcome(TestPod("p").requests(cpu: "100m", memory: "128Mi"), in: cluster, seed: UInt64(seed))) == "idle")
        }
        // Requestless pods count as 100m/200Mi, so they spread too.
        #expect(host(scheduleOutcome(TestPod("p"), in: cluster)) == "idle")
    }

    @Test func balancedAllocationPrefersEvenUse() {
        let cluster = snapshot(nodes: [TestNode("n1", cpu: "10", memory: "10Gi")])
        let node = cluster.nodes[0].summary
        // Half the CPU and a tenth of the memory: deviation 0.2, score 80.
        #expect(BalancedAllocation.score(ResourceList(milliCPU: 5000, memory: 1024 * 1024 * 1024), node) == 80)
        #expect(BalancedAllocation.score(ResourceList(milliCPU: 5000, memory: 5 * 1024 * 1024 * 1024), node) == 100)
        #expect(!BalancedAllocation.applies(to: TestPod("p").info.requests))
    }
}
