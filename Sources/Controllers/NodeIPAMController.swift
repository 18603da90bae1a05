import APIMachinery
import ControllerRuntime
import KubeClient
import KubeObjects
import Logging
import Synchronization

/// Gives each node a pod range (`spec.podCIDR`) carved from the cluster CIDR, as kube-controller-manager's range
/// allocator does (k3s: 10.42.0.0/16, a /24 per node).
public final class NodeIPAMController: Sendable {
    private let client: KubeClient
    private let nodes: Informer
    private let recorder: EventRecorder
    private let clusterCIDR: IPv4CIDR
    private let nodeMaskSize: Int
    private let logger: Logger
    private let queue = WorkQueue<String>()
    /// Subnet index → node, including allocations written but not yet seen back through the informer.
    private let allocated = Mutex<[Int: String]>([:])

    public init(context: ControllerContext, clusterCIDR: IPv4CIDR, nodeMaskSize: Int = 24) {
        client = context.client
        nodes = context.informer(.nodes)
        recorder = context.recorder(component: "node-controller")
        self.clusterCIDR = clusterCIDR
        self.nodeMaskSize = max(nodeMaskSize, clusterCIDR.prefixLength)
        logger = context.logger
    }

    public func run() async {
        let watch = Watch(
            nodes,
            InformerHandler(
                onAdd: { [self] node in track(node) },
                onUpdate: { [self] _, node in track(node) },
                onDelete: { [self] node in
                    let name = node.metadata.name
                    allocated.withLock { table in
                        for (index, owner) in table where owner == name { table[index] = nil }
                    }
                }))
        await ControllerWorkers.run(queue, watching: [watch], workers: 1, name: "node-ipam", logger: logger) { name throws(APIError) in
            try await self.reconcile(name)
        }
    }

    private func track(_ node: JSONValue) {
        let name = node.metadata.name
        if let cidr = Node(node).spec.podCIDR.flatMap(IPv4CIDR.init), let index = clusterCIDR.subnetIndex(of: cidr) {
            allocated.withLock { $0[index] = name }
        } else {
            queue.add(name)
        }
    }

    private func reconcile(_ name: String) async throws(APIError) -> ReconcileResult {
        guard let node = nodes.get(ObjectKey(namespace: nil, name: name)), Node(node).spec.podCIDR == nil else { return .done }
        let capacity = 1 << (nodeMaskSize - clusterCIDR.prefixLength)
        let reserved: Int? = allocated.withLock { table in
            if let mine = table.first(where: { $0.value == name })?.key { return mine }
            guard let free = (0..<capacity).first(where: { table[$0] == nil }) else { return nil }
            table[free] = name
            return free
        }
        guard let index = reserved, let subnet = clusterCIDR.subnet(index, prefixLength: nodeMaskSize) else {
            recorder.record(node, type: .normal, reason: "CIDRNotAvailable", message: "Node \(name) status is now: CIDRNotAvailable")
            return .done
        }
        let patch: JSONValue = ["spec": ["podCIDR": .string(subnet.description), "podCIDRs": [.string(subnet.description)]]]
        do throws(APIError) {
            _ = try await client.patch(.nodes, name: name, type: .merge, patch)
        } catch {
            allocated.withLock { table in
                if table[index] == name { table[index] = nil }
            }
            if error.isNotFound { return .done }
            throw error
        }
        return .done
    }
}
