import APIMachinery
import ControllerRuntime
import Testing

@testable import Controllers

@Suite("service load balancer")
struct ServiceLoadBalancerTests {
    static func service(_ name: String, created: String, ports: [Int64], type: String = "LoadBalancer", className: String? = nil) -> JSONValue {
        var spec: JSONValue = ["type": .string(type), "ports": .array(ports.map { ["port": .integer($0), "protocol": "TCP"] })]
        if let className { spec["loadBalancerClass"] = .string(className) }
        return ["metadata": ["name": .string(name), "namespace": "shop", "creationTimestamp": .string(created)], "spec": spec]
    }

    @Test func theOldestServiceHoldsAPortAndAServiceMissingOneOfItsPortsHoldsNone() {
        let holders = ServiceLoadBalancerController.portHolders([
            Self.service("late", created: "2026-01-02T00:00:00Z", ports: [80, 443]),
            Self.service("first", created: "2026-01-01T00:00:00Z", ports: [80]),
            Self.service("other-class", created: "2025-01-01T00:00:00Z", ports: [443], className: "example.com/lb"),
            Self.service("plain", created: "2025-01-01T00:00:00Z", ports: [443], type: "ClusterIP"),
        ])
        #expect(holders == ["80/TCP": ObjectKey(namespace: "shop", name: "first")])
    }

    @Test func aServiceThatHasItsAddressesKeepsItsPortsFromAnOlderOrSameSecondOne() {
        var serving = Self.service("zz-serving", created: "2026-01-01T00:00:00Z", ports: [80])
        serving["status"] = ["loadBalancer": ["ingress": [["ip": "192.0.2.2"]]]]
        let holders = ServiceLoadBalancerController.portHolders([Self.service("aa-new", created: "2026-01-01T00:00:00Z", ports: [80]), serving])
        #expect(holders == ["80/TCP": ObjectKey(namespace: "shop", name: "zz-serving")])
    }
}
