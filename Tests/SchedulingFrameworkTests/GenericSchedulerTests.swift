import Testing

@testable import SchedulingFramework

struct GenericSchedulerTests {
    @Test func numFeasibleNodesToFindAdaptsToClusterSize() {
        let scheduler = GenericScheduler()
        #expect(scheduler.numFeasibleNodesToFind(10) == 10)
        #expect(scheduler.numFeasibleNodesToFind(99) == 99)
        // 50% - 100/125 = 50%, but never below 100 nodes.
        #expect(scheduler.numFeasibleNodesToFind(100) == 100)
        #expect(scheduler.numFeasibleNodesToFind(1000) == 420)
        #expect(scheduler.numFeasibleNodesToFind(5000) == 500)
        // The percentage bottoms out at 5%.
        #expect(scheduler.numFeasibleNodesToFind(6000) == 300)
        #expect(scheduler.numFeasibleNodesToFind(10000) == 500)
        #expect(GenericScheduler(percentageOfNodesToScore: 30).numFeasibleNodesToFind(1000) == 300)
        #expect(GenericScheduler(percentageOfNodesToScore: 1).numFeasibleNodesToFind(1000) == 100)
    }

    @Test func searchStartRotatesAcrossPods() {
        var nodes: [TestNode] = []
        for index in 0..<1000 { nodes.append(TestNode(String(format: "n%04d", index))) }
        let cluster = snapshot(nodes: nodes)
        var scheduler = GenericScheduler(random: SeededGenerator(seed: 1))
        guard case .success(let first) = scheduler.schedule(TestPod("p").info, in: cluster) else {
            Issue.record("did not schedule")
            return
        }
        #expect(first.feasibleNodes == 420)
        #expect(first.evaluatedNodes == 420)
        #expect(scheduler.nextStartNodeIndex == 420)
        _ = scheduler.schedule(TestPod("q").info, in: cluster)
        #expect(scheduler.nextStartNodeIndex == 840)
        _ = scheduler.schedule(TestPod("r").info, in: cluster)
        #expect(scheduler.nextStartNodeIndex == 260)
    }

    @Test func evaluatedNodesCountsRejections() {
        let cluster = snapshot(nodes: [TestNode("n1").unschedulable(), TestNode("n2"), TestNode("n3")])
        guard case .success(let result) = scheduleOutcome(TestPod("p"), in: cluster) else {
            Issue.record("did not schedule")
            return
        }
        #expect(result.evaluatedNodes == 3)
        #expect(result.feasibleNodes == 2)
    }

    @Test func tiesAreBrokenAtRandom() {
        let cluster = snapshot(nodes: [TestNode("a"), TestNode("b"), TestNode("c")])
        var scheduler = GenericScheduler(random: SeededGenerator(seed: 42))
        var counts: [String: Int] = [:]
        for _ in 0..<300 {
            if case .success(let result) = scheduler.schedule(TestPod("p").info, in: cluster) { counts[result.suggestedHost, default: 0] += 1 }
        }
        #expect(counts.count == 3)
        #expect(counts.values.allSatisfy { $0 > 60 })
    }

    /// 2000 pods onto 500 nodes, binding each before the next: they spread evenly and never overcommit.
    @Test func schedulesManyPodsEvenly() {
        var cluster = ClusterSnapshot()
        for index in 0..<500 {
            cluster.upsertNode(TestNode("node-\(index)", cpu: "2", memory: "16Gi", pods: 110).zone("zone-\(index % 3)").json)
        }
        var scheduler = GenericScheduler(random: SeededGenerator(seed: 9))
        let template = TestPod("template").requests(cpu: "250m", memory: "512Mi")
        func schedule(_ range: Range<Int>) -> Bool {
            for index in range {
                var pod = template
                pod.json[path: "metadata", "name"] = .string("pod-\(index)")
                guard case .success(let result) = scheduler.schedule(pod.info, in: cluster) else {
                    Issue.record("pod \(index) did not schedule")
                    return false
                }
                cluster.addPod(pod.info.bound(to: result.suggestedHost))
            }
            return true
        }
        guard schedule(0..<2000) else { return }
        let counts = cluster.nodes.map(\.pods.count)
        #expect(counts.reduce(0, +) == 2000)
        // Each pod only looks at the 46% of the nodes after the previous search, so one node may run a pod ahead.
        #expect((counts.max() ?? 0) - (counts.min() ?? 0) <= 2)
        // Eight pods of 250m fill a node's 2 CPUs: 2000 more fit exactly, and then nothing does.
        guard schedule(2000..<4000) else { return }
        #expect(cluster.nodes.allSatisfy { $0.requested.milliCPU == 2000 && $0.pods.count == 8 })
        #expect(failure(scheduler.schedule(template.info, in: cluster))?.message == "0/500 nodes are available: 500 Insufficient cpu.")
    }
}
