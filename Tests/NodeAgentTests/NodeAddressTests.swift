import Testing

@testable import NodeAgent

@Suite("Node address")
struct NodeAddressTests {
    static let header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT"

    @Test func theDefaultRouteWithTheLowestMetricPicksTheInterface() {
        let table = """
            \(Self.header)
            skiff8ba74715\t00002A0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
            wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
            eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
            eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
            """
        #expect(NodeAddress.defaultRouteInterface(routeTable: table) == "eth0")
    }

    @Test func withoutAnUpDefaultRouteThereIsNoInterface() {
        let table = """
            \(Self.header)
            eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
            eth1\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\t0\t0\t0
            """
        #expect(NodeAddress.defaultRouteInterface(routeTable: table) == nil)
        #expect(NodeAddress.defaultRouteInterface(routeTable: "") == nil)
    }
}
