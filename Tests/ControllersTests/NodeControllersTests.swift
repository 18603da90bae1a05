import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import Controllers
import Foundation
import HollowNodes
import KubeClient
import Testing

/// The node controllers and hollow nodes against a real in-process API server.
@Suite("node controllers")
struct NodeControllersTests {
    static func node(_ name: String) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name)],
            "status": ["conditions": [["type": "Ready", "status": "True", "reason": "KubeletReady", "message": "ready"]]],
        ]
    }

    static func pod(_ name: String, node: String, tolerationSeconds: Int64? = nil) -> JSONValue {
        var spec: JSONValue = ["nodeName": .string(node), "containers": [["name": "app", "image": "nginx"]]]
        if let tolerationSeconds {
            spec["tolerations"] = [
                ["key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": .integer(tolerationSeconds)]
            ]
        }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "default"], "spec": spec]
    }

    @Test func aSilentNodeBecomesUnknownAndTaintedAndItsPodsLeaveWhenTolerationsRunOut() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let clock = ManualClock()
        let context = ControllerContext(client: client, logger: cluster.logger, now: clock.source)
        let controller = NodeLifecycleController(
            context: context, options: .init(gracePeriod: .seconds(50), monitorPeriod: .milliseconds(20)), now: clock.source)
        _ = try await client.create(.nodes, Self.node("quiet"))
        _ = try await client.create(.pods, namespace: "default", Self.pod("brief", node: "quiet", tolerationSeconds: 1))
        _ = try await client.create(.pods, namespace: "default", Self.pod("patient", node: "quiet", tolerationSeconds: 3600))
        let running = Workloads.start([context.run, controller.run])
        defer { running.cancel() }

        try await Task.sleep(for: .milliseconds(200))
        #expect(try await client.get(.nodes, name: "quiet")[path: "spec", "taints"] == nil, "within the grace period nothing happens")

        clock.advance(by: 51)
        let tainted = try await eventually {
            let node = try await client.get(.nodes, name: "quiet")
            return (node[path: "spec", "taints"]?.arrayValue?.count ?? 0) == 2
        }
        #expect(tainted)
        let node = try await client.get(.nodes, name: "quiet")
        let ready = node[path: "status", "conditions"]?.arrayValue?.first { $0["type"] == "Ready" }
        #expect(ready?["status"] == "Unknown" && ready?["reason"] == "NodeStatusUnknown")
        let effects = Set(node[path: "spec", "taints"]?.arrayValue?.compactMap { $0["effect"]?.stringValue } ?? [])
        #expect(effects == ["NoSchedule", "NoExecute"])

        // The pods' tolerations decide when they go: after one second versus after an hour.
        clock.advance(by: 2)
        let evicted = try await eventually {
            try await client.get(.pods, namespace: "default", name: "brief")[path: "metadata", "deletionTimestamp"] != nil
        }
        #expect(evicted)
        #expect(try await client.get(.pods, namespace: "default", name: "patient")[path: "metadata", "deletionTimestamp"] == nil)
    }

    @Test func eachNodeGetsItsOwnPodRangeUntilTheClusterRangeRunsOut() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let context = ControllerContext(client: client, logger: cluster.logger)
        let cidr = try #require(IPv4CIDR("10.42.0.0/23"))
        // Generous: other suites run alongside on two cores.
        let controller = NodeIPAMController(context: context, clusterCIDR: cidr)
        let running = Workloads.start([context.run, controller.run])
        defer { running.cancel() }
        for name in ["a", "b", "c"] { _ = try await client.create(.nodes, Self.node(name)) }
        // Nodes are served in whatever order the informer hands them over: any two of the three get a range.
        let assigned = try await eventually(timeout: .seconds(30)) {
            var count = 0
            for name in ["a", "b", "c"] where try await client.get(.nodes, name: name)[path: "spec", "podCIDR"] != nil { count += 1 }
            return count == 2
        }
        #expect(assigned)
        var ranges: [String] = []
        for name in ["a", "b", "c"] {
            if let range = try await client.get(.nodes, name: name)[path: "spec", "podCIDR"]?.stringValue { ranges.append(range) }
        }
        #expect(ranges.sorted() == ["10.42.0.0/24", "10.42.1.0/24"], "a /23 holds two /24s; the third node gets none")
        let exhausted = try await eventually {
            let events = try await client.list(.events, namespace: "default")
            return events["items"]?.arrayValue?.contains { $0["reason"] == "CIDRNotAvailable" } ?? false
        }
        #expect(exhausted)
    }

    @Test func hollowNodesRegisterHeartbeatAndRunPods() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let pool = HollowNodePool(
            client: client, options: HollowNodeOptions(count: 3, runDuration: .milliseconds(100), leaseRenewInterval: .milliseconds(200)),
            logger: cluster.logger)
        let running = Task { await pool.run() }
        defer { running.cancel() }
        let registered = try await eventually {
            let leases = try await client.list(.leases, namespace: "kube-node-lease")
            return leases["items"]?.arrayValue?.count == 3
        }
        #expect(registered)
        let node = try await client.get(.nodes, name: "hollow-node-1")
        #expect(node[path: "metadata", "labels", "kubernetes.io/hostname"] == "hollow-node-1")
        #expect(node[path: "status", "allocatable", "pods"] == "110")
        let firstRenewal = try await client.get(.leases, namespace: "kube-node-lease", name: "hollow-node-1")[path: "spec", "renewTime"]
        let renewed = try await eventually {
            try await client.get(.leases, namespace: "kube-node-lease", name: "hollow-node-1")[path: "spec", "renewTime"] != firstRenewal
        }
        #expect(renewed)

        _ = try await client.create(.pods, namespace: "default", Self.pod("server", node: "hollow-node-0"))
        var job = Self.pod("job", node: "hollow-node-2")
        job[path: "spec", "restartPolicy"] = "Never"
        job[path: "metadata", "annotations"] = ["hollow.skiff.dev/exit-code": "2"]
        _ = try await client.create(.pods, namespace: "default", job)
        let started = try await eventually {
            try await client.get(.pods, namespace: "default", name: "server")[path: "status", "phase"] == "Running"
        }
        #expect(started)
        let failed = try await eventually {
            try await client.get(.pods, namespace: "default", name: "job")[path: "status", "phase"] == "Failed"
        }
        #expect(failed)
        let exit = try await client.get(.pods, namespace: "default", name: "job")[path: "status", "containerStatuses"]?.arrayValue?.first
        #expect(exit?[path: "state", "terminated", "exitCode"] == 2)

        try await client.delete(.pods, namespace: "default", name: "server")
        let gone = try await eventually {
            do {
                _ = try await client.get(.pods, namespace: "default", name: "server")
                return false
            } catch let error as APIError {
                return error.isNotFound
            }
        }
        #expect(gone, "the hollow kubelet confirms a graceful deletion")
    }
}
