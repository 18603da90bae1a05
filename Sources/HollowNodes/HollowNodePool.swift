import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging
import NodeAgent
import Synchronization

/// Many simulated nodes in one process (like kubemark or KWOK): each registers a Node, renews its Lease, and plays
/// kubelet for the pods bound to it — reporting them Running and Ready, letting run-to-completion containers exit,
/// and confirming deletions — without running anything.
///
/// One shared heartbeat loop and one pod queue serve every node, so thousands fit in one process.
public final class HollowNodePool: Sendable {
    private struct NodeState: Sendable {
        var index: Int
        var uid: String?
        var lease: JSONValue?
        var podCIDR: String?
        var nextPodAddress: UInt32 = 2
    }

    private let client: KubeClient
    private let options: HollowNodeOptions
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let nodes: Mutex<[String: NodeState]>
    /// When each pod was first seen bound here, so its start delay counts from then.
    private let firstSeen = Mutex<[ObjectKey: ContinuousClock.Instant]>([:])
    private let stopRequested = Mutex<[ObjectKey: ContinuousClock.Instant]>([:])
    private let pods: Informer
    private let nodeInformer: Informer
    private let podQueue = WorkQueue<ObjectKey>()
    private let nodeQueue = WorkQueue<String>()

    public init(client: KubeClient, options: HollowNodeOptions, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.options = options
        self.logger = logger
        self.now = now
        var states: [String: NodeState] = [:]
        for index in options.firstIndex..<(options.firstIndex + options.count) {
            states[options.nodeName(index)] = NodeState(index: index)
        }
        self.nodes = Mutex(states)
        self.pods = Informer(client: client, resource: .pods, selectors: ListOptions(fieldSelector: "spec.nodeName!="), logger: logger)
        self.nodeInformer = Informer(client: client, resource: .nodes, selectors: ListOptions(labelSelector: "skiff.dev/hollow=true"), logger: logger)
    }

    public var nodeNames: [String] { options.nodeNames }

    /// Registers the nodes, then heartbeats and serves their pods until cancelled.
    public func run() async {
        let owned = Set(options.nodeNames)
        pods.addHandler(
            .enqueue(podQueue) { pod in
                owned.contains(Pod(pod).spec.nodeName ?? "") ? ObjectKey(pod) : nil
            })
        nodeInformer.addHandler(
            .enqueue(nodeQueue) { node in
                let name = node.metadata.name
                return owned.contains(name) ? name : nil
            })
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.registerAll() }
            group.addTask { await self.pods.run() }
            group.addTask { await self.nodeInformer.run() }
            group.addTask {
                await self.pods.waitForSync()
                await ControllerWorkers.run(self.podQueue, workers: 4, name: "hollow-pods", logger: self.logger) { key throws(APIError) in
                    try await self.reconcilePod(key)
                }
            }
            group.addTask {
                await self.nodeInformer.waitForSync()
                await ControllerWorkers.run(self.nodeQueue, workers: 1, name: "hollow-nodes", logger: self.logger) { name throws(APIError) in
                    try await self.reconcileNode(name)
                }
            }
            group.addTask { await self.heartbeat() }
            await group.waitForAll()
        }
    }

    // MARK: Registration and heartbeats

    private func registerAll() async {
        let names = options.nodeNames
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for name in names {
                if running >= 8 {
                    await group.next()
                    running -= 1
                }
                group.addTask { await self.register(name) }
                running += 1
            }
        }
        logger.info("hollow nodes registered", metadata: ["count": "\(names.count)"])
    }

    private func register(_ name: String) async {
        guard let index = nodes.withLock({ $0[name]?.index }) else { return }
        var attempt = 0
        while !Task.isCancelled {
            do throws(APIError) {
                let node: JSONValue
                do throws(APIError) {
                    node = try await client.create(.nodes, HollowNodeObjects.node(name: name, index: index, options: options, now: now()))
                } catch where error.isAlreadyExists {
                    // A returning node: report it ready again.
                    var existing = try await client.get(.nodes, name: name)
                    existing[path: "status", "conditions"] = .array(NodeAgent.conditions(now: now()))
                    node = try await client.update(.nodes, existing, subresource: "status")
                }
                remember(node)
                try await renewLease(name)
                return
            } catch {
                attempt += 1
                logger.debug("hollow node registration retrying", metadata: ["node": "\(name)", "error": "\(error.message)"])
                try? await Task.sleep(for: .milliseconds(min(200 * attempt, 5000)))
            }
        }
    }

    private func remember(_ node: JSONValue) {
        let name = node.metadata.name
        nodes.withLock { states in
            states[name]?.uid = node.metadata.uid
            if let cidr = Node(node).spec.podCIDR { states[name]?.podCIDR = cidr }
        }
    }

    /// Renews every node's Lease once per interval, paced across the interval so writes do not come in one burst.
    private func heartbeat() async {
        let names = options.nodeNames
        let batch = 50
        while !Task.isCancelled {
            let started = ContinuousClock.now
            try? await Task.sleep(for: options.leaseRenewInterval * 0.5)
            let batches = max(1, (names.count + batch - 1) / batch)
            let pace = options.leaseRenewInterval * 0.4 / batches
            for start in stride(from: 0, to: names.count, by: batch) {
                let slice = names[start..<min(start + batch, names.count)]
                await withTaskGroup(of: Void.self) { group in
                    for name in slice where nodes.withLock({ $0[name]?.uid != nil }) {
                        group.addTask {
                            do throws(APIError) {
                                try await self.renewLease(name)
                            } catch {
                                self.logger.debug("lease renewal failed", metadata: ["node": "\(name)", "error": "\(error.message)"])
                            }
                        }
                    }
                }
                try? await Task.sleep(for: pace)
            }
            let elapsed = ContinuousClock.now - started
            if elapsed < options.leaseRenewInterval {
                try? await Task.sleep(for: options.leaseRenewInterval - elapsed)
            }
        }
    }

    private func renewLease(_ name: String) async throws(APIError) {
        let (uid, known) = nodes.withLock { ($0[name]?.uid, $0[name]?.lease) }
        var lease = HollowNodeObjects.lease(node: name, uid: uid, options: options, now: now())
        if var known {
            known["spec"] = lease["spec"]
            do throws(APIError) {
                lease = try await client.update(.leases, known)
            } catch where error.isConflict || error.isNotFound {
                nodes.withLock { $0[name]?.lease = nil }
                throw error
            }
        } else {
            do throws(APIError) {
                lease = try await client.create(.leases, namespace: "kube-node-lease", lease)
            } catch where error.isAlreadyExists {
                var existing = try await client.get(.leases, namespace: "kube-node-lease", name: name)
                existing["spec"] = lease["spec"]
                lease = try await client.update(.leases, existing)
            }
        }
        nodes.withLock { $0[name]?.lease = lease }
    }

    /// Puts a node's conditions back to Ready when the control plane marked it otherwise (it was unreachable).
    private func reconcileNode(_ name: String) async throws(APIError) -> ReconcileResult {
        guard var node = nodeInformer.get(ObjectKey(namespace: nil, name: name)) else { return .done }
        remember(node)
        let ready = node[path: "status", "conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }
        guard ready?["status"]?.stringValue != "True" else { return .done }
        node[path: "status", "conditions"] = .array(NodeAgent.conditions(now: now()))
        _ = try await client.update(.nodes, node, subresource: "status")
        return .done
    }

    // MARK: Pods

    private func reconcilePod(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard let pod = pods.get(key), let nodeName = Pod(pod).spec.nodeName else {
            _ = firstSeen.withLock { $0.removeValue(forKey: key) }
            _ = stopRequested.withLock { $0.removeValue(forKey: key) }
            return .done
        }
        if pod.metadata.isDeleting {
            // Stopping takes a moment, as real containers do after SIGTERM. Confirming at once would let a StatefulSet
            // recreate its same-named pod before `kubectl delete` starts watching for the old one to go, and it would
            // wait for ever.
            let asked = stopRequested.withLock { $0[key, default: ContinuousClock.now] }
            stopRequested.withLock { $0[key] = asked }
            let grace = Duration.seconds(pod[path: "metadata", "deletionGracePeriodSeconds"]?.integerValue ?? 30)
            let stopping = min(options.stopDelay, grace) - (ContinuousClock.now - asked)
            if stopping > .zero { return .requeue(after: stopping) }
            // The containers are gone: confirm the deletion as the kubelet does.
            let options: JSONValue = ["gracePeriodSeconds": 0, "preconditions": ["uid": pod[path: "metadata", "uid"] ?? .null]]
            do throws(APIError) {
                try await client.delete(.pods, namespace: key.namespace, name: key.name, options: options)
            } catch where error.isNotFound || error.isConflict {
                return .done
            }
            return .done
        }
        let phase = Pod(pod).status.phase ?? "Pending"
        if phase == "Succeeded" || phase == "Failed" { return .done }

        let seen = firstSeen.withLock { $0[key, default: ContinuousClock.now] }
        firstSeen.withLock { $0[key] = seen }
        if phase != "Running" {
            let waited = ContinuousClock.now - seen
            if waited < options.startDelay { return .requeue(after: options.startDelay - waited) }
            let (hostIP, podIP) = addresses(forPodOn: nodeName, pod: pod)
            var updated = pod
            updated["status"] = HollowNodeObjects.runningStatus(pod, hostIP: hostIP, podIP: podIP, now: now())
            _ = try await client.update(.pods, updated, subresource: "status")
            return HollowNodeObjects.runsToCompletion(pod) ? .requeue(after: HollowNodeObjects.runDuration(pod, default: options.runDuration)) : .done
        }
        guard HollowNodeObjects.runsToCompletion(pod) else { return .done }
        let runFor = HollowNodeObjects.runDuration(pod, default: options.runDuration)
        let started = Pod(pod).status.startTime.flatMap(KubeTime.parse) ?? now()
        let ran = now().timeIntervalSince(started)
        let required = Double(runFor.components.seconds) + Double(runFor.components.attoseconds) / 1e18
        if ran < required { return .requeue(after: .milliseconds(Int64((required - ran) * 1000) + 1)) }
        var updated = pod
        updated["status"] = HollowNodeObjects.terminatedStatus(pod, exitCode: HollowNodeObjects.exitCode(pod), now: now())
        _ = try await client.update(.pods, updated, subresource: "status")
        firstSeen.withLock { _ = $0.removeValue(forKey: key) }
        return .done
    }

    /// The node's address and the next address of its pod range (host-local style, cycling through the /24).
    private func addresses(forPodOn nodeName: String, pod: JSONValue) -> (String, String?) {
        if Pod(pod).spec.hostNetwork {
            let index = nodes.withLock { $0[nodeName]?.index ?? 0 }
            return (HollowNodeObjects.address(index: index), HollowNodeObjects.address(index: index))
        }
        return nodes.withLock { states -> (String, String?) in
            guard var state = states[nodeName] else { return ("", nil) }
            let hostIP = HollowNodeObjects.address(index: state.index)
            guard let cidr = state.podCIDR.flatMap(IPv4CIDR.init), cidr.size > 4 else { return (hostIP, nil) }
            let offset = state.nextPodAddress
            state.nextPodAddress = UInt64(offset) + 1 >= cidr.size - 1 ? 2 : offset + 1
            states[nodeName] = state
            return (hostIP, cidr.address(at: offset))
        }
    }
}
