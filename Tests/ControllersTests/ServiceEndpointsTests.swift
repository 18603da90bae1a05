import APIMachinery
import Testing

@testable import Controllers

/// Which pods back a Service, on which ports, and how they are packed into Endpoints subsets and EndpointSlices.
@Suite("service endpoints")
struct ServiceEndpointsTests {
    static func service(
        _ name: String = "web", selector: JSONValue? = ["app": "web"], ports: JSONValue = [["name": "http", "port": 80, "targetPort": 8080]],
        clusterIP: String? = nil
    ) -> JSONValue {
        var service: JSONValue = [
            "apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name), "namespace": "default", "uid": "svc-uid"],
            "spec": ["ports": ports],
        ]
        if let selector { service[path: "spec", "selector"] = selector }
        if let clusterIP { service[path: "spec", "clusterIP"] = .string(clusterIP) }
        return service
    }

    static func pod(
        _ name: String, ip: String? = nil, ready: Bool = true, labels: JSONValue = ["app": "web"], containerPorts: JSONValue = [],
        deleting: Bool = false, phase: String = "Running"
    ) -> JSONValue {
        var pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": "default", "uid": .string("uid-\(name)"), "labels": labels],
            "spec": ["nodeName": "node-a", "containers": [["name": "app", "image": "nginx", "ports": containerPorts]]],
            "status": [
                "phase": .string(phase), "conditions": [["type": "Ready", "status": ready ? "True" : "False"]],
            ],
        ]
        if let ip { pod[path: "status", "podIP"] = .string(ip) }
        if deleting { pod[path: "metadata", "deletionTimestamp"] = "2026-01-01T00:00:00Z" }
        return pod
    }

    @Test func readyAndNotReadyPodsShareASubsetWhenTheyServeTheSamePorts() {
        let service = Self.service()
        let pods = [
            Self.pod("b", ip: "10.42.0.3"), Self.pod("a", ip: "10.42.0.2", ready: false), Self.pod("pending"),
            Self.pod("other", ip: "10.42.0.4", labels: ["app": "db"]), Self.pod("done", ip: "10.42.0.5", phase: "Succeeded"),
            Self.pod("leaving", ip: "10.42.0.6", deleting: true),
        ]
        let endpoints = ServiceEndpoints.endpoints(for: service, pods: pods, includeTerminating: false)
        let subsets = ServiceEndpoints.subsets(for: service, endpoints: endpoints)
        #expect(subsets.count == 1)
        #expect(subsets.first?["addresses"]?.arrayValue?.compactMap { $0["ip"]?.stringValue } == ["10.42.0.3"])
        #expect(subsets.first?["notReadyAddresses"]?.arrayValue?.compactMap { $0["ip"]?.stringValue } == ["10.42.0.2"])
        #expect(subsets.first?["ports"] == [["name": "http", "port": 8080, "protocol": "TCP"]])
        let address = subsets.first?["addresses"]?.arrayValue?.first
        #expect(address?["nodeName"] == "node-a")
        #expect(address?["targetRef"] == ["kind": "Pod", "namespace": "default", "name": "b", "uid": "uid-b"])
    }

    @Test func publishingNotReadyAddressesListsEveryPodAsReady() {
        var service = Self.service()
        service[path: "spec", "publishNotReadyAddresses"] = true
        let endpoints = ServiceEndpoints.endpoints(for: service, pods: [Self.pod("a", ip: "10.42.0.2", ready: false)], includeTerminating: false)
        let subsets = ServiceEndpoints.subsets(for: service, endpoints: endpoints)
        #expect(subsets.first?["addresses"]?.arrayValue?.count == 1)
        #expect(subsets.first?["notReadyAddresses"] == nil)
    }

    @Test func aNamedTargetPortResolvesPerPodAndPodsWithoutItFormTheirOwnSubset() {
        let service = Self.service(ports: [
            ["name": "http", "port": 80, "targetPort": "web"], ["name": "metrics", "port": 9090, "targetPort": 9090],
        ])
        let pods = [
            Self.pod("a", ip: "10.42.0.2", containerPorts: [["name": "web", "containerPort": 8080]]),
            Self.pod("b", ip: "10.42.0.3", containerPorts: [["name": "web", "containerPort": 8081]]),
            Self.pod("c", ip: "10.42.0.4"),
        ]
        let subsets = ServiceEndpoints.subsets(for: service, endpoints: ServiceEndpoints.endpoints(for: service, pods: pods, includeTerminating: false))
        let byIP = Dictionary(
            subsets.flatMap { subset in (subset["addresses"]?.arrayValue ?? []).map { ($0["ip"]?.stringValue ?? "", subset["ports"] ?? []) } },
            uniquingKeysWith: { first, _ in first })
        #expect(subsets.count == 3)
        #expect(byIP["10.42.0.2"]?.arrayValue?.compactMap { $0["port"]?.integerValue }.sorted() == [8080, 9090])
        #expect(byIP["10.42.0.3"]?.arrayValue?.compactMap { $0["port"]?.integerValue }.sorted() == [8081, 9090])
        #expect(byIP["10.42.0.4"] == [["name": "metrics", "port": 9090, "protocol": "TCP"]], "pod c lacks the named port")
    }

    @Test func aNamedPortMustMatchTheProtocolToo() {
        let service = Self.service(ports: [["name": "dns", "port": 53, "targetPort": "dns", "protocol": "UDP"]])
        let pod = Self.pod("a", ip: "10.42.0.2", containerPorts: [["name": "dns", "containerPort": 5353, "protocol": "TCP"]])
        #expect(ServiceEndpoints.ports(of: service, for: pod).isEmpty)
    }

    @Test func aHeadlessServiceWithoutPortsStillListsAddresses() {
        let service = Self.service(ports: [], clusterIP: "None")
        let endpoints = ServiceEndpoints.endpoints(for: service, pods: [Self.pod("a", ip: "10.42.0.2")], includeTerminating: false)
        let subsets = ServiceEndpoints.subsets(for: service, endpoints: endpoints)
        #expect(subsets.count == 1)
        #expect(subsets.first?["addresses"]?.arrayValue?.compactMap { $0["ip"]?.stringValue } == ["10.42.0.2"])
        #expect(subsets.first?["ports"] == nil)
        #expect(ServiceEndpoints.inheritedLabels(service)[ServiceEndpoints.headlessLabel] == "")
    }

    @Test func servicesWithoutASelectorSelectNothing() {
        #expect(!ServiceEndpoints.selects(Self.service(selector: nil), Self.pod("a", ip: "10.42.0.2")))
        #expect(!ServiceEndpoints.selects(Self.service(selector: .emptyObject), Self.pod("a", ip: "10.42.0.2")))
    }

    @Test func terminatingPodsAppearInSlicesAsTerminatingAndNotReady() throws {
        let service = Self.service()
        let endpoints = ServiceEndpoints.endpoints(
            for: service, pods: [Self.pod("a", ip: "10.42.0.2"), Self.pod("b", ip: "10.42.0.3", deleting: true)], includeTerminating: true)
        let plan = EndpointSlicePlan.plan(service: service, endpoints: endpoints, existing: [], stamp: "2026-01-01T00:00:00Z")
        #expect(plan.creates.count == 1 && plan.updates.isEmpty && plan.deletes.isEmpty)
        let slice = try #require(plan.creates.first)
        #expect(slice[path: "metadata", "generateName"] == "web-")
        #expect(slice[path: "metadata", "labels", EndpointSlicePlan.serviceNameLabel] == "web")
        #expect(slice[path: "metadata", "labels", EndpointSlicePlan.managedByLabel] == "endpointslice-controller.k8s.io")
        #expect(slice[path: "metadata", "ownerReferences"]?.arrayValue?.first?["uid"] == "svc-uid")
        #expect(slice["ports"] == [["name": "http", "port": 8080, "protocol": "TCP"]])
        let conditions = slice["endpoints"]?.arrayValue?.map { $0["conditions"] }
        #expect(
            conditions == [
                ["ready": true, "serving": true, "terminating": false], ["ready": false, "serving": true, "terminating": true],
            ])
    }

    @Test func slicesHoldAtMostTheLimitAndAnUnchangedPlanWritesNothing() {
        let service = Self.service()
        let pods = (0..<5).map { Self.pod("p\($0)", ip: "10.42.0.\($0 + 10)") }
        let endpoints = ServiceEndpoints.endpoints(for: service, pods: pods, includeTerminating: true)
        let first = EndpointSlicePlan.plan(service: service, endpoints: endpoints, existing: [], maxEndpointsPerSlice: 2, stamp: "t1")
        #expect(first.creates.map { $0["endpoints"]?.arrayValue?.count } == [2, 2, 1])
        let stored = first.creates.enumerated().map { index, slice in
            var slice = slice
            slice[path: "metadata", "name"] = .string("web-\(index)")
            return slice
        }
        let again = EndpointSlicePlan.plan(service: service, endpoints: endpoints, existing: stored, maxEndpointsPerSlice: 2, stamp: "t2")
        #expect(again.isEmpty)

        // One pod goes: only its slice changes; a newcomer then fills the gap rather than making a new slice.
        let fewer = EndpointSlicePlan.plan(
            service: service, endpoints: endpoints.filter { $0.ip != "10.42.0.10" }, existing: stored, maxEndpointsPerSlice: 2, stamp: "t2")
        #expect(fewer.creates.isEmpty && fewer.deletes.isEmpty)
        #expect(fewer.updates.map { $0[path: "metadata", "name"] } == ["web-0"])
    }

    @Test func aServiceWithoutEndpointsKeepsOnePlaceholderSlice() {
        let service = Self.service()
        let plan = EndpointSlicePlan.plan(service: service, endpoints: [], existing: [], stamp: "t")
        #expect(plan.creates.count == 1)
        #expect(plan.creates.first?["endpoints"] == [])
    }

    @Test func endpointsBeyondAThousandAddressesAreTruncatedNotReadyFirst() {
        func addresses(_ count: Int, from start: Int) -> JSONValue {
            .array((start..<(start + count)).map { ["ip": .string("10.42.\($0 / 250).\($0 % 250 + 1)")] })
        }
        func count(_ subsets: [JSONValue], _ field: String) -> [Int] { subsets.map { $0[field]?.arrayValue?.count ?? 0 } }
        let mixed: [JSONValue] = [
            ["addresses": addresses(600, from: 0), "notReadyAddresses": addresses(200, from: 600), "ports": [["port": 80]]],
            ["addresses": addresses(300, from: 800), "notReadyAddresses": addresses(100, from: 1100), "ports": [["port": 81]]],
        ]
        let (cut, truncated) = ServiceEndpoints.truncated(mixed)
        #expect(truncated)
        #expect(count(cut, "addresses") == [600, 300])
        #expect(count(cut, "notReadyAddresses") == [67, 33])

        let allReady: [JSONValue] = [["addresses": addresses(1500, from: 0), "notReadyAddresses": addresses(10, from: 1500)]]
        let (onlyReady, _) = ServiceEndpoints.truncated(allReady)
        #expect(count(onlyReady, "addresses") == [1000])
        #expect(onlyReady.first?["notReadyAddresses"] == nil)

        let small: [JSONValue] = [["addresses": addresses(1000, from: 0)]]
        #expect(ServiceEndpoints.truncated(small).truncated == false)
    }
}
