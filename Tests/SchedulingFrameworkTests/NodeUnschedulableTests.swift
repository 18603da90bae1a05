import Testing

@testable import SchedulingFramework

struct NodeUnschedulableTests {
    @Test func cordonedNodeRejectsPods() {
        let cluster = snapshot(nodes: [TestNode("n1").unschedulable()])
        let status = filterStatus(TestPod("p"), node: "n1", in: cluster)
        #expect(status == FilterStatus(code: .unschedulableAndUnresolvable, reasons: ["node(s) were unschedulable"], plugin: "NodeUnschedulable"))
    }

    @Test func toleratingTheUnschedulableTaintPasses() {
        let cluster = snapshot(nodes: [TestNode("n1").unschedulable()])
        let pod = TestPod("p").toleration(key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule")
        #expect(filterStatus(pod, node: "n1", in: cluster) == nil)
        // A toleration of a different effect does not count.
        let other = TestPod("p").toleration(key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoExecute")
        #expect(filterStatus(other, node: "n1", in: cluster)?.plugin == "NodeUnschedulable")
    }

    @Test func schedulableNodePasses() {
        let cluster = snapshot(nodes: [TestNode("n1")])
        #expect(filterStatus(TestPod("p"), node: "n1", in: cluster) == nil)
    }
}
