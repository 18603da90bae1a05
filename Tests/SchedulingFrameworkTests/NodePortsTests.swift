import Testing

@testable import SchedulingFramework

struct NodePortsTests {
    private let rejection = FilterStatus(
        code: .unschedulable, reasons: ["node(s) didn't have free ports for the requested pod ports"], plugin: "NodePorts")

    @Test func takenPortRejects() {
        let cluster = snapshot(nodes: [TestNode("n1")], pods: [TestPod("a").hostPort(8080).node("n1")])
        #expect(filterStatus(TestPod("b").hostPort(8080), node: "n1", in: cluster) == rejection)
        #expect(filterStatus(TestPod("b").hostPort(8081), node: "n1", in: cluster) == nil)
        #expect(filterStatus(TestPod("b").hostPort(8080, protocol: "UDP"), node: "n1", in: cluster) == nil)
    }

    @Test func addressesConflictLikeHostPortInfo() {
        let specific = snapshot(nodes: [TestNode("n1")], pods: [TestPod("a").hostPort(80, hostIP: "10.0.0.1").node("n1")])
        // 0.0.0.0 binds every address, so it clashes with any address using the port.
        #expect(filterStatus(TestPod("b").hostPort(80), node: "n1", in: specific) == rejection)
        #expect(filterStatus(TestPod("b").hostPort(80, hostIP: "10.0.0.1"), node: "n1", in: specific) == rejection)
        #expect(filterStatus(TestPod("b").hostPort(80, hostIP: "10.0.0.2"), node: "n1", in: specific) == nil)

        let wildcard = snapshot(nodes: [TestNode("n1")], pods: [TestPod("a").hostPort(80).node("n1")])
        #expect(filterStatus(TestPod("b").hostPort(80, hostIP: "10.0.0.2"), node: "n1", in: wildcard) == rejection)
    }

    @Test func removingOneOfTwoUsersKeepsThePortTaken() {
        var cluster = snapshot(
            nodes: [TestNode("n1")], pods: [TestPod("a").hostPort(80).node("n1"), TestPod("b").hostPort(80).node("n1")])
        cluster.removePod(namespace: "default", name: "a")
        #expect(filterStatus(TestPod("c").hostPort(80), node: "n1", in: cluster) == rejection)
        cluster.removePod(namespace: "default", name: "b")
        #expect(filterStatus(TestPod("c").hostPort(80), node: "n1", in: cluster) == nil)
    }
}
