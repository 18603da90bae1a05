import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging
import Synchronization

/// Notices lost nodes and moves their pods away, as Kubernetes' node lifecycle controller and taint manager do.
///
/// A node whose Lease (or Ready heartbeat) has not changed for the grace period gets `Ready=Unknown` and the
/// `node.kubernetes.io/unreachable` NoSchedule and NoExecute taints; a node reporting `Ready=False` gets `not-ready`
/// ones; a cordoned node gets `node.kubernetes.io/unschedulable:NoSchedule`. Pods on a node with NoExecute taints
/// are deleted when their tolerations run out (DefaultTolerationSeconds gives every pod 300 s).
public final class NodeLifecycleController: Sendable {
    public struct Options: Sendable {
        /// How long a node may stay silent before it is considered lost (kube-controller-manager's
        /// `--node-monitor-grace-period`, 50 s in 1.32).
        public var gracePeriod: Duration
        /// How often node health is checked.
        public var monitorPeriod: Duration

        public init(gracePeriod: Duration = .seconds(50), monitorPeriod: Duration = .seconds(5)) {
            self.gracePeriod = gracePeriod
            self.monitorPeriod = monitorPeriod
        }
    }

    /// When the controller last saw a sign of life from a node: its own clock, so skewed node clocks do not matter.
    private struct Health {
        var probed: Date
        var leaseRenewTime: JSONValue?
        var readyHeartbeat: JSONValue?
    }

    private let client: KubeClient
    private let nodes: Informer
    private let leases: Informer
    private let pods: Informer
    private let recorder: EventRecorder
    private let options: Options
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let health = Mutex<[String: Health]>([:])
    private let nodeQueue = WorkQueue<String>()
    private let podQueue = WorkQueue<ObjectKey>()

    public init(context: ControllerContext, options: Options = Options(), now: @escaping @Sendable () -> Date = { Date() }) {
        client = context.client
        nodes = context.informer(.nodes)
        leases = context.informer(.leases, namespace: "kube-node-lease")
        pods = context.informer(.pods)
        recorder = context.recorder(component: "node-controller")
        self.options = options
        logger = context.logger
        self.now = now
    }

    public func run() async {
        await Watch.start([
            Watch(
                nodes,
                InformerHandler(
                    onAdd: { [self] node in observe(node: node) },
                    onUpdate: { [self] old, node in
                        observe(node: node)
                        // The taint manager looks at a node's pods when its NoExecute taints change (read from the
                        // cache the pods' reconciles will see).
                        if Taint.taints(of: old).filter({ $0.effect == "NoExecute" }) != Taint.taints(of: node).filter({ $0.effect == "NoExecute" }) {
                            let name = node.metadata.name
                            for pod in pods.list(where: { Pod($0).spec.nodeName == name }) {
                                podQueue.add(ObjectKey(pod))
                            }
                        }
                    },
                    onDelete: { [self] node in
                        let name = node.metadata.name
                        _ = health.withLock { $0.removeValue(forKey: name) }
                    })),
            Watch(
                leases,
                InformerHandler(
                    onAdd: { [self] lease in observe(lease: lease) },
                    onUpdate: { [self] _, lease in observe(lease: lease) })),
            .mapped(pods, into: podQueue) { pod in Pod(pod).spec.nodeName.map { _ in ObjectKey(pod) } },
        ])
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await ControllerWorkers.run(self.nodeQueue, workers: 2, name: "node-lifecycle", logger: self.logger) { name throws(APIError) in
                    try await self.reconcileNode(name)
                }
            }
            group.addTask {
                await ControllerWorkers.run(self.podQueue, workers: 2, name: "taint-eviction", logger: self.logger) { key throws(APIError) in
                    try await self.reconcilePod(key)
                }
            }
            group.addTask { await self.monitor() }
            await group.waitForAll()
        }
    }

    private func observe(node: JSONValue) {
        let name = node.metadata.name
        let heartbeat = Self.condition("Ready", of: node)?["lastHeartbeatTime"]
        let time = now()
        health.withLock { health in
            var entry = health[name] ?? Health(probed: time)
            if entry.readyHeartbeat != heartbeat {
                entry.readyHeartbeat = heartbeat
                entry.probed = time
            }
            health[name] = entry
        }
        nodeQueue.add(name)
    }

    private func observe(lease: JSONValue) {
        guard lease.metadata.namespace == "kube-node-lease",
            let name = lease[path: "metadata", "name"]?.stringValue
        else { return }
        let renewed = lease[path: "spec", "renewTime"]
        let time = now()
        let changed = health.withLock { health -> Bool in
            var entry = health[name] ?? Health(probed: time)
            guard entry.leaseRenewTime != renewed else { return false }
            entry.leaseRenewTime = renewed
            entry.probed = time
            health[name] = entry
            return true
        }
        // Only a node that is not currently Ready needs attention when its lease moves.
        if changed, let node = nodes.get(ObjectKey(namespace: nil, name: name)), Self.readyStatus(of: node) != "True" {
            nodeQueue.add(name)
        }
    }

    /// Looks at every node each monitor period; a node needs work only when its silence crossed the grace period.
    private func monitor() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: options.monitorPeriod)
            let stale = health.withLock { health in
                let limit = now().addingTimeInterval(-Self.seconds(options.gracePeriod))
                return health.filter { $0.value.probed < limit }.map(\.key)
            }
            for name in stale {
                if let node = nodes.get(ObjectKey(namespace: nil, name: name)), Self.readyStatus(of: node) != "Unknown" {
                    nodeQueue.add(name)
                }
            }
        }
    }

    // MARK: Nodes

    private func reconcileNode(_ name: String) async throws(APIError) -> ReconcileResult {
        guard var node = nodes.get(ObjectKey(namespace: nil, name: name)) else { return .done }
        let silentSince = health.withLock { $0[name]?.probed } ?? now()
        let silent = now().timeIntervalSince(silentSince) > Self.seconds(options.gracePeriod)
        var ready = Self.readyStatus(of: node) ?? "Unknown"

        if silent && ready != "Unknown" {
            node = try await markUnknown(node)
            ready = "Unknown"
            recorder.record(node, type: .normal, reason: "NodeNotReady", message: "Node \(name) status is now: NodeNotReady")
            try await markPodsNotReady(onNode: name)
        }

        var desired = Taint.taints(of: node).filter { ![Taint.unreachable, Taint.notReady, Taint.unschedulable].contains($0.key) }
        let stamp = KubeTime.format(now())
        let existing = Taint.taints(of: node)
        func keep(_ taint: Taint) -> Taint {
            existing.first(where: taint.sameTaint) ?? taint
        }
        switch ready {
        case "Unknown":
            desired += [keep(Taint(key: Taint.unreachable, effect: "NoSchedule")), keep(Taint(key: Taint.unreachable, effect: "NoExecute", timeAdded: stamp))]
        case "False":
            desired += [keep(Taint(key: Taint.notReady, effect: "NoSchedule")), keep(Taint(key: Taint.notReady, effect: "NoExecute", timeAdded: stamp))]
        default:
            break
        }
        if Node(node).spec.unschedulable {
            desired.append(keep(Taint(key: Taint.unschedulable, effect: "NoSchedule", timeAdded: stamp)))
        }
        if desired != existing {
            node[path: "spec", "taints"] = desired.isEmpty ? JSONValue?.none : .array(desired.map(\.json))
            _ = try await client.update(.nodes, node)
        }
        return .done
    }

    /// Sets every kubelet-owned condition to Unknown, as Kubernetes does for a node that stopped reporting.
    private func markUnknown(_ node: JSONValue) async throws(APIError) -> JSONValue {
        var node = node
        let stamp = JSONValue.string(KubeTime.format(now()))
        let conditions = (node[path: "status", "conditions"]?.arrayValue ?? []).map { condition -> JSONValue in
            var condition = condition
            guard condition["status"]?.stringValue != "Unknown" else { return condition }
            condition["status"] = "Unknown"
            condition["reason"] = "NodeStatusUnknown"
            condition["message"] = "Kubelet stopped posting node status."
            condition["lastTransitionTime"] = stamp
            return condition
        }
        node[path: "status", "conditions"] = .array(conditions)
        return try await client.update(.nodes, node, subresource: "status")
    }

    /// Turns the Ready condition of the node's pods False, so Services stop sending them traffic.
    private func markPodsNotReady(onNode name: String) async throws(APIError) {
        let stamp = JSONValue.string(KubeTime.format(now()))
        for pod in pods.list(where: { Pod($0).spec.nodeName == name }) {
            guard var conditions = pod[path: "status", "conditions"]?.arrayValue,
                let index = conditions.firstIndex(where: { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" })
            else { continue }
            conditions[index]["status"] = "False"
            conditions[index]["lastTransitionTime"] = stamp
            var updated = pod
            updated[path: "status", "conditions"] = .array(conditions)
            do throws(APIError) {
                _ = try await client.update(.pods, updated, subresource: "status")
            } catch where error.isConflict || error.isNotFound {
                continue
            }
        }
    }

    // MARK: Pods

    private func reconcilePod(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard let pod = pods.get(key), !pod.metadata.isDeleting,
            let nodeName = Pod(pod).spec.nodeName,
            let node = nodes.get(ObjectKey(namespace: nil, name: nodeName))
        else { return .done }
        let phase = Pod(pod).status.phase
        if phase == "Succeeded" || phase == "Failed" { return .done }
        let decision = TaintEviction.decision(
            tolerations: pod[path: "spec", "tolerations"]?.arrayValue ?? [], taints: Taint.taints(of: node), now: now())
        switch decision {
        case .keep:
            return .done
        case .evict(let at):
            return .requeue(after: .milliseconds(Int64(max(0, at.timeIntervalSince(now())) * 1000) + 10))
        case .evictNow:
            recorder.record(pod, type: .normal, reason: "TaintManagerEviction", message: "Marking for deletion Pod \(key)")
            let options: JSONValue = ["preconditions": ["uid": pod[path: "metadata", "uid"] ?? .null]]
            do throws(APIError) {
                try await client.delete(.pods, namespace: key.namespace, name: key.name, options: options)
            } catch where error.isNotFound || error.isConflict {
                return .done
            }
            return .done
        }
    }

    // MARK: Helpers

    static func condition(_ type: String, of node: JSONValue) -> JSONValue? {
        node[path: "status", "conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }

    static func readyStatus(of node: JSONValue) -> String? {
        condition("Ready", of: node)?["status"]?.stringValue
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
