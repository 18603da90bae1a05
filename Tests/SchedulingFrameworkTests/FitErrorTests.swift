import Testing

@testable import SchedulingFramework

/// Kubernetes' `FitError.Error()` format, with the cases of its `TestFitError_Error` and the preemption tests.
struct FitErrorTests {
    private func statuses(_ reasons: [String: String]) -> [String: FilterStatus] {
        reasons.mapValues { FilterStatus(code: .unschedulable, reasons: [$0], plugin: "FalseFilter") }
    }

    @Test func preFilterMessageReplacesTheNodeReasons() {
        let same = statuses([
            "node1": "Node(s) failed PreFilter plugin FalsePreFilter", "node2": "Node(s) failed PreFilter plugin FalsePreFilter",
            "node3": "Node(s) failed PreFilter plugin FalsePreFilter",
        ])
        var error = FitError(numAllNodes: 3, nodeStatuses: same, preFilterMessage: "Node(s) failed PreFilter plugin FalsePreFilter")
        #expect(error.message == "0/3 nodes are available: Node(s) failed PreFilter plugin FalsePreFilter.")
        error.postFilterMessage = "Error running PostFilter plugin FailedPostFilter"
        #expect(
            error.message
                == "0/3 nodes are available: Node(s) failed PreFilter plugin FalsePreFilter. Error running PostFilter plugin FailedPostFilter")
    }

    @Test func reasonsAreCountedAndSortedAsStrings() {
        let one = FitError(numAllNodes: 3, nodeStatuses: statuses([
            "node1": "Node(s) failed Filter plugin FalseFilter-1", "node2": "Node(s) failed Filter plugin FalseFilter-1",
            "node3": "Node(s) failed Filter plugin FalseFilter-1",
        ]))
        #expect(one.message == "0/3 nodes are available: 3 Node(s) failed Filter plugin FalseFilter-1.")
        var two = FitError(numAllNodes: 3, nodeStatuses: statuses([
            "node1": "Node(s) failed Filter plugin FalseFilter-1", "node2": "Node(s) failed Filter plugin FalseFilter-1",
            "node3": "Node(s) failed Filter plugin FalseFilter-2",
        ]))
        #expect(two.message == "0/3 nodes are available: 1 Node(s) failed Filter plugin FalseFilter-2, 2 Node(s) failed Filter plugin FalseFilter-1.")
        two.postFilterMessage = "Error running PostFilter plugin FailedPostFilter"
        #expect(
            two.message
                == "0/3 nodes are available: 1 Node(s) failed Filter plugin FalseFilter-2, 2 Node(s) failed Filter plugin FalseFilter-1. Error running PostFilter plugin FailedPostFilter")
    }

    /// Go's sort.Strings compares bytes: "10 x" comes before "9 y".
    @Test func countsSortAsTextNotNumbers() {
        var reasons: [String: FilterStatus] = [:]
        for index in 0..<10 { reasons["a\(index)"] = FilterStatus(code: .unschedulable, reasons: ["Insufficient memory"], plugin: "NodeResourcesFit") }
        for index in 0..<9 { reasons["b\(index)"] = FilterStatus(code: .unschedulable, reasons: ["Insufficient cpu"], plugin: "NodeResourcesFit") }
        #expect(FitError(numAllNodes: 19, nodeStatuses: reasons).message == "0/19 nodes are available: 10 Insufficient memory, 9 Insufficient cpu.")
    }

    @Test func severalReasonsOfOneNodeEachCount() {
        let error = FitError(numAllNodes: 2, nodeStatuses: [
            "n1": FilterStatus(code: .unschedulable, reasons: ["Insufficient cpu", "Insufficient memory"], plugin: "NodeResourcesFit"),
            "n2": FilterStatus(code: .unschedulable, reasons: ["Insufficient cpu"], plugin: "NodeResourcesFit"),
        ])
        #expect(error.reasonCounts == ["Insufficient cpu": 2, "Insufficient memory": 1])
        #expect(error.message == "0/2 nodes are available: 1 Insufficient memory, 2 Insufficient cpu.")
    }

    @Test func theIssueExample() {
        let cluster = snapshot(
            nodes: [
                TestNode("cp", cpu: "8").taint("node-role.kubernetes.io/control-plane", effect: "NoSchedule"),
                TestNode("w1", cpu: "1"), TestNode("w2", cpu: "1"),
            ])
        let pod = TestPod("big").requests(cpu: "2")
        var error = failure(scheduleOutcome(pod, in: cluster))
        #expect(error?.message == "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.")
        var preemption = Preemption(random: SeededGenerator(seed: 1))
        if let fitError = error {
            error?.postFilterMessage = preemption.preempt(pod.info, after: fitError, in: cluster).message
        }
        #expect(
            error?.message
                == "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.")
    }

    @Test func noNodesAtAll() {
        let error = failure(scheduleOutcome(TestPod("p"), in: ClusterSnapshot()))
        #expect(error?.numAllNodes == 0)
        #expect(error?.message == "no nodes available to schedule pods")
    }
}
