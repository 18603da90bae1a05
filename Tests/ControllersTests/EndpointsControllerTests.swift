import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import Controllers
import Foundation
import HollowNodes
import KubeClient
import Testing

/// The Endpoints and EndpointSlice controllers against a real in-process API server, with hollow nodes running the
/// pods (they get IPs once node IPAM has given their node a range).
@Suite("endpoint controllers")
struct EndpointsControllerTests {
    static func pod(_ name: String, node: String, app: String = "web") -> JSONValue {
        [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": "default", "labels": ["app": .string(app)]],
            "spec": [
                "nodeName": .string(node),
                "containers": [["name": "app", "image": "nginx", "ports": [["name": "http", "containerPort": 8080]]]],
            ],
        ]
    }

    static func service(_ name: String, clusterIP: String? = nil) -> JSONValue {
        var service: JSONValue = [
            "apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name), "namespace": "default"],
            "spec": ["selector": ["app": "web"], "ports": [["name": "web", "port": 80, "targetPort": "http"]]],
        ]
        if let clusterIP { service[path: "spec", "clusterIP"] = .string(clusterIP) }
        return service
    }

    static func readyIPs(_ endpoints: JSONValue) -> [String] {
        (endpoints["subsets"]?.arrayValue ?? []).flatMap { $0["addresses"]?.arrayValue ?? [] }.compactMap { $0["ip"]?.stringValue }.sorted()
    }

    static func notReadyIPs(_ endpoints: JSONValue) -> [String] {
        (endpoints["subsets"]?.arrayValue ?? []).flatMap { $0["notReadyAddresses"]?.arrayValue ?? [] }.compactMap { $0["ip"]?.stringValue }
            .sorted()
    }

    @Test func endpointsAndSlicesFollowTheSelectedPods() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let logger = cluster.logger
        let context = ControllerContext(client: client, logger: logger)
        let ipam = NodeIPAMController(context: context, clusterCIDR: try #require(IPv4CIDR("10.42.0.0/16")))
        let endpointsController = EndpointsController(context: context)
        let sliceController = EndpointSliceController(context: context)
        let pool = HollowNodePool(client: client, options: HollowNodeOptions(count: 2), logger: logger)
        let running = Workloads.start([context.run, ipam.run, endpointsController.run, sliceController.run, pool.run])
        defer { running.cancel() }

        // A pod started before its node has a range gets no IP: wait for the ranges first.
        let ranged = try await eventually(timeout: .seconds(30)) {
            let nodes = try await client.list(.nodes)["items"]?.arrayValue ?? []
            return nodes.count == 2 && nodes.allSatisfy { $0[path: "spec", "podCIDR"] != nil }
        }
        try #require(ranged)
        _ = try await client.create(.services, namespace: "default", Self.service("web"))
        _ = try await client.create(.services, namespace: "default", Self.service("headless", clusterIP: "None"))
        _ = try await client.create(.pods, namespace: "default", Self.pod("a", node: "hollow-node-0"))
        _ = try await client.create(.pods, namespace: "default", Self.pod("b", node: "hollow-node-1"))
        _ = try await client.create(.pods, namespace: "default", Self.pod("stranger", node: "hollow-node-1", app: "db"))

        // Generous: other suites run alongside on two cores.
        let listed = try await eventually(timeout: .seconds(30)) {
            Self.readyIPs(try await client.get(.endpoints, namespace: "default", name: "web")).count == 2
        }
        #expect(listed)
        let ipA = try #require(try await client.get(.pods, namespace: "default", name: "a")[path: "status", "podIP"]?.stringValue)
        let web = try await client.get(.endpoints, namespace: "default", name: "web")
        #expect(web["subsets"]?.arrayValue?.first?["ports"] == [["name": "web", "port": 8080, "protocol": "TCP"]], "the named port resolves")
        #expect(web[path: "metadata", "annotations", "endpoints.kubernetes.io/last-change-trigger-time"] != nil)
        let headless = try await eventually(timeout: .seconds(30)) {
            let endpoints = try await client.get(.endpoints, namespace: "default", name: "headless")
            return Self.readyIPs(endpoints).count == 2 && endpoints[path: "metadata", "labels", "service.kubernetes.io/headless"] == ""
        }
        #expect(headless)

        let sliced = try await eventually(timeout: .seconds(30)) {
            let list = try await client.list(.endpointSlices, namespace: "default", options: ListOptions(labelSelector: "kubernetes.io/service-name=web"))
            let items = list["items"]?.arrayValue ?? []
            return items.count == 1 && items.first?["endpoints"]?.arrayValue?.count == 2
        }
        #expect(sliced)

        // Not ready: moves to notReadyAddresses, and the slice says so.
        var pod = try await client.get(.pods, namespace: "default", name: "a")
        pod[path: "status", "conditions"] = [["type": "Ready", "status": "False"]]
        _ = try await client.update(.pods, pod, subresource: "status")
        let demoted = try await eventually(timeout: .seconds(30)) {
            Self.notReadyIPs(try await client.get(.endpoints, namespace: "default", name: "web")) == [ipA]
        }
        #expect(demoted)
        let sliceSaysNotReady = try await eventually(timeout: .seconds(30)) {
            let list = try await client.list(.endpointSlices, namespace: "default", options: ListOptions(labelSelector: "kubernetes.io/service-name=web"))
            let entry = list["items"]?.arrayValue?.first?["endpoints"]?.arrayValue?.first { $0["addresses"] == [.string(ipA)] }
            return entry?[path: "conditions", "ready"] == false
        }
        #expect(sliceSaysNotReady)

        // Deleting a pod removes it once it is gone (Endpoints drops it already while it terminates).
        try await client.delete(.pods, namespace: "default", name: "b")
        let removed = try await eventually(timeout: .seconds(30)) {
            let endpoints = try await client.get(.endpoints, namespace: "default", name: "web")
            return Self.readyIPs(endpoints).isEmpty && Self.notReadyIPs(endpoints) == [ipA]
        }
        #expect(removed)

        // Content that has not changed is not written again.
        let webSlices = ListOptions(labelSelector: "kubernetes.io/service-name=web")
        let settled = try await eventually(timeout: .seconds(30)) {
            let slices = try await client.list(.endpointSlices, namespace: "default", options: webSlices)["items"]?.arrayValue ?? []
            return slices.count == 1 && slices.first?["endpoints"]?.arrayValue?.count == 1
        }
        #expect(settled)
        let version = try await client.get(.endpoints, namespace: "default", name: "web")[path: "metadata", "resourceVersion"]
        let sliceVersions = try await client.list(.endpointSlices, namespace: "default", options: webSlices)["items"]?.arrayValue?.map {
            $0[path: "metadata", "resourceVersion"]
        }
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await client.get(.endpoints, namespace: "default", name: "web")[path: "metadata", "resourceVersion"] == version)
        let slicesLater = try await client.list(.endpointSlices, namespace: "default", options: webSlices)["items"]?.arrayValue?.map {
            $0[path: "metadata", "resourceVersion"]
        }
        #expect(slicesLater == sliceVersions)

        // A relabelled pod leaves the Service: the change is seen through its old labels.
        _ = try await client.patch(.pods, namespace: "default", name: "a", type: .merge, ["metadata": ["labels": ["app": "other"]]])
        let left = try await eventually(timeout: .seconds(30)) {
            let endpoints = try await client.get(.endpoints, namespace: "default", name: "web")
            return endpoints["subsets"] == nil
        }
        #expect(left)

        // The Service goes, and its Endpoints and slices with it.
        try await client.delete(.services, namespace: "default", name: "web")
        let cleaned = try await eventually(timeout: .seconds(30)) {
            let slices = try await client.list(.endpointSlices, namespace: "default", options: ListOptions(labelSelector: "kubernetes.io/service-name=web"))
            do {
                _ = try await client.get(.endpoints, namespace: "default", name: "web")
                return false
            } catch let error as APIError {
                return error.isNotFound && (slices["items"]?.arrayValue ?? []).isEmpty
            }
        }
        #expect(cleaned)
    }
}
