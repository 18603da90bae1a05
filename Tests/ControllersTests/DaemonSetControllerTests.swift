import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import Controllers
import Foundation
import KubeClient
import Testing

/// The daemonset controller against a real in-process API server. No scheduler runs: each daemon pod is pinned to
/// its node by required node affinity on `metadata.name`, and that node is what these tests read.
@Suite("daemonset controller")
struct DaemonSetControllerTests {
    static func node(_ name: String, labels: [String: String] = [:], taints: [JSONValue] = []) -> JSONValue {
        var metadata: JSONValue = ["name": .string(name)]
        if !labels.isEmpty { metadata["labels"] = .object(labels.mapValues { .string($0) }) }
        var node: JSONValue = [
            "apiVersion": "v1", "kind": "Node", "metadata": metadata,
            "status": ["conditions": [["type": "Ready", "status": "True", "reason": "KubeletReady", "message": "ready"]]],
        ]
        if !taints.isEmpty { node["spec"] = ["taints": .array(taints)] }
        return node
    }

    static func daemonSet(_ name: String, nodeSelector: [String: String]? = nil, tolerations: [JSONValue]? = nil) -> JSONValue {
        let labels: JSONValue = ["app": .string(name)]
        var podSpec: JSONValue = ["containers": [["name": "agent", "image": "busybox"]]]
        if let nodeSelector { podSpec["nodeSelector"] = .object(nodeSelector.mapValues { .string($0) }) }
        if let tolerations { podSpec["tolerations"] = .array(tolerations) }
        return [
            "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": ["name": .string(name), "namespace": "default"],
            "spec": ["selector": ["matchLabels": labels], "template": ["metadata": ["labels": labels], "spec": podSpec]],
        ]
    }

    static let dedicated: JSONValue = ["key": "dedicated", "value": "infra", "effect": "NoSchedule"]

    static func start(_ cluster: InProcessCluster) -> Task<Void, Never> {
        let client = cluster.client()
        let context = ControllerContext(client: client, logger: cluster.logger)
        let controller = DaemonSetController(context: context)
        return Workloads.start([context.run, controller.run])
    }

    /// The node each live daemon pod of `daemonSet` is for, sorted (a node twice means two pods there).
    static func placements(_ client: KubeClient, _ daemonSet: String) async throws -> [String] {
        try await Workloads.list(client, .pods, selector: "app=\(daemonSet)").filter { !Workloads.isTerminating($0) }.map { pod in
            let terms = pod[path: "spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]
            let field = terms?.arrayValue?.first?["matchFields"]?.arrayValue?.first
            return field?["key"] == "metadata.name" ? field?["values"]?.arrayValue?.first?.stringValue ?? "?" : "?"
        }.sorted()
    }

    static func placed(_ client: KubeClient, _ daemonSet: String, on nodes: [String]) async throws -> Bool {
        let status = try await client.get(.daemonSets, namespace: "default", name: daemonSet)["status"]
        return try await placements(client, daemonSet) == nodes.sorted() && status?["desiredNumberScheduled"] == .integer(Int64(nodes.count))
            && status?["currentNumberScheduled"] == .integer(Int64(nodes.count))
    }

    @Test func onePodPerNodeFollowingNodesThatJoinAndLeave() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let running = Self.start(cluster)
        defer { running.cancel() }
        for name in ["a", "b"] { _ = try await client.create(.nodes, Self.node(name)) }

        let created = try await client.create(.daemonSets, namespace: "default", Self.daemonSet("agent"))
        let two = try await eventually(timeout: .seconds(30)) { try await Self.placed(client, "agent", on: ["a", "b"]) }
        #expect(two)
        let pods = try await Workloads.list(client, .pods, selector: "app=agent")
        #expect(pods.allSatisfy { Workloads.name($0).hasPrefix("agent-") })
        #expect(pods.allSatisfy { $0[path: "metadata", "ownerReferences"]?.arrayValue?.first?["uid"] == created[path: "metadata", "uid"] })
        // Daemons tolerate a node in trouble, so they are not evicted from it.
        let tolerations = pods.first?[path: "spec", "tolerations"]?.arrayValue ?? []
        #expect(tolerations.contains { $0["key"] == "node.kubernetes.io/unreachable" && $0["effect"] == "NoExecute" })

        _ = try await client.create(.nodes, Self.node("c"))
        let joined = try await eventually(timeout: .seconds(30)) { try await Self.placed(client, "agent", on: ["a", "b", "c"]) }
        #expect(joined)

        try await client.delete(.nodes, name: "b")
        let left = try await eventually(timeout: .seconds(30)) { try await Self.placed(client, "agent", on: ["a", "c"]) }
        #expect(left)
    }

    @Test func taintsWithoutTolerationAndNodeSelectorsKeepDaemonsOff() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let running = Self.start(cluster)
        defer { running.cancel() }
        _ = try await client.create(.nodes, Self.node("plain"))
        _ = try await client.create(.nodes, Self.node("fast", labels: ["disk": "ssd"]))
        _ = try await client.create(.nodes, Self.node("reserved", taints: [Self.dedicated]))

        _ = try await client.create(.daemonSets, namespace: "default", Self.daemonSet("everywhere"))
        let toleration: JSONValue = ["key": "dedicated", "operator": "Equal", "value": "infra", "effect": "NoSchedule"]
        _ = try await client.create(.daemonSets, namespace: "default", Self.daemonSet("tolerant", tolerations: [toleration]))
        _ = try await client.create(.daemonSets, namespace: "default", Self.daemonSet("ssd", nodeSelector: ["disk": "ssd"]))

        let untolerated = try await eventually(timeout: .seconds(30)) { try await Self.placed(client, "everywhere", on: ["fast", "plain"]) }
        #expect(untolerated, "the tainted node gets no pod of a set without the toleration")
        let tolerated = try await eventually(timeout: .seconds(30)) { try await Self.placed(client, "tolerant", on: ["fast", "plain", "reserved"]) }
        #expect(tolerated)
        let selected = try await eventually(timeout: .seconds(30)) { try await Self.placed(client, "ssd", on: ["fast"]) }
        #expect(selected)

        // A node that gains the label gets the daemon; one that loses it loses the daemon.
        _ = try await client.patch(.nodes, name: "plain", type: .merge, ["metadata": ["labels": ["disk": "ssd"]]])
        let gained = try await eventually(timeout: .seconds(30)) { try await Self.placed(client, "ssd", on: ["fast", "plain"]) }
        #expect(gained)
        _ = try await client.patch(.nodes, name: "fast", type: .merge, ["metadata": ["labels": ["disk": .null]]])
        let lost = try await eventually(timeout: .seconds(30)) { try await Self.placed(client, "ssd", on: ["plain"]) }
        #expect(lost)
        #expect(try await Self.placements(client, "everywhere") == ["fast", "plain"])
    }

    @Test func eachTemplateIsRecordedAsARevisionAndGoingBackRenumbersIt() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let running = Self.start(cluster)
        defer { running.cancel() }
        _ = try await client.create(.nodes, Self.node("a"))
        _ = try await client.create(.daemonSets, namespace: "default", Self.daemonSet("agent"))

        /// The revisions' names by number.
        @Sendable func revisionNames() async throws -> [Int64: String] {
            let items = try await Workloads.list(client, .controllerRevisions, selector: "app=agent")
            return Dictionary(items.map { ($0["revision"]?.integerValue ?? 0, Workloads.name($0)) }, uniquingKeysWith: { a, _ in a })
        }
        func revisions(_ count: Int) async throws -> [Int64: String] {
            _ = try await eventually(timeout: .seconds(30)) { try await revisionNames().count == count }
            return try await revisionNames()
        }
        func setImage(_ image: String) async throws {
            let patch: JSONValue = ["spec": ["template": ["spec": ["containers": [["name": "agent", "image": .string(image)]]]]]]
            _ = try await client.patch(.daemonSets, namespace: "default", name: "agent", type: .merge, patch)
        }

        let first = try await revisions(1)
        let placed = try await eventually(timeout: .seconds(30)) { try await Self.placed(client, "agent", on: ["a"]) }
        #expect(placed)
        let pod = try await Workloads.list(client, .pods, selector: "app=agent").first
        #expect(first[1] == "agent-\(pod?[path: "metadata", "labels", "controller-revision-hash"]?.stringValue ?? "")")

        try await setImage("busybox:2")
        let second = try await revisions(2)
        #expect(second[1] == first[1] && second[2] != nil)
        try await setImage("busybox")
        let renumbered = try await eventually(timeout: .seconds(30)) { try await revisionNames() == [2: second[2] ?? "", 3: first[1] ?? ""] }
        #expect(renumbered, "going back to the first template makes its revision the third")
    }
}
