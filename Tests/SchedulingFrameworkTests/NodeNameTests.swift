import Testing

@testable import SchedulingFramework

struct NodeNameTests {
    @Test func podNamingAnotherNodeIsRejected() {
        let cluster = snapshot(nodes: [TestNode("n1"), TestNode("n2")])
        let pod = TestPod("p").node("n2")
        #expect(
            filterStatus(pod, node: "n1", in: cluster)
                == FilterStatus(
                    code: .unschedulableAndUnresolvable, reasons: ["node(s) didn't match the requested node name"],
                    plugin: "NodeName"))
        #expect(filterStatus(pod, node: "n2", in: cluster) == nil)
    }

    @Test func podWithoutNodeNameFitsAnyNode() {
        let cluster = snapshot(nodes: [TestNode("n1")])
        #expect(filterStatus(TestPod("p"), node: "n1", in: cluster) == nil)
    }
}
