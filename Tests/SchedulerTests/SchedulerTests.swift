import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import Foundation
import HollowNodes
import KubeClient
import Scheduler
import Testing

/// The scheduler service with hollow nodes, against a real in-process API server.
@Suite("scheduler service")
struct SchedulerTests {
    static func pod(_ name: String, cpu: String, extra: [String: JSONValue] = [:]) -> JSONValue {
        var spec: [String: JSONValue] = ["containers": [["name": "app", "image": "nginx", "resources": ["requests": ["cpu": .string(cpu)]]]]]
        for (key, value) in extra { spec[key] = value }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "default"], "spec": .object(spec)]
    }

    @Test func bindsPodsReportsUnschedulableOnesAndRetriesThemWhenANodeArrives() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client("system:kube-scheduler")
        let context = ControllerContext(client: client, logger: cluster.logger)
        let scheduler = Scheduler(context: context)
        let pool = HollowNodePool(client: cluster.client(), options: HollowNodeOptions(count: 2, cpu: "2"), logger: cluster.logger)
        let running = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await context.run() }
                group.addTask { await scheduler.run() }
                group.addTask { await pool.run() }
            }
        }
        defer { running.cancel() }

        for index in 0..<4 { _ = try await client.create(.pods, namespace: "default", Self.pod("fits-\(index)", cpu: "900m")) }
        let bound = try await eventually {
            let list = try await client.list(.pods, namespace: "default")
            return list["items"]?.arrayValue?.allSatisfy { $0[path: "spec", "nodeName"] != nil } ?? false
        }
        #expect(bound)
        var perNode: [String: Int] = [:]
        for item in try await client.list(.pods, namespace: "default")["items"]?.arrayValue ?? [] {
            perNode[item[path: "spec", "nodeName"]?.stringValue ?? "", default: 0] += 1
        }
        #expect(perNode == ["hollow-node-0": 2, "hollow-node-1": 2], "LeastAllocated spreads the pods evenly")

        _ = try await client.create(.pods, namespace: "default", Self.pod("too-big", cpu: "1"))
        let reported = try await eventually {
            let pod = try await client.get(.pods, namespace: "default", name: "too-big")
            let condition = pod[path: "status", "conditions"]?.arrayValue?.first { $0["type"] == "PodScheduled" }
            return condition?["reason"] == "Unschedulable"
        }
        #expect(reported)
        let condition = try await client.get(.pods, namespace: "default", name: "too-big")[path: "status", "conditions"]?.arrayValue?.first {
            $0["type"] == "PodScheduled"
        }
        #expect(
            condition?["message"]?.stringValue
                == "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.")

        let larger = HollowNodePool(
            client: cluster.client(), options: HollowNodeOptions(namePrefix: "large-", count: 1, cpu: "8"), logger: cluster.logger)
        let more = Task { await larger.run() }
        defer { more.cancel() }
        let retried = try await eventually {
            try await client.get(.pods, namespace: "default", name: "too-big")[path: "spec", "nodeName"] == "large-0"
        }
        #expect(retried, "a new node moves the unschedulable pod back into the queue")
    }
}
