import APIMachinery
import CRI
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging
import Synchronization

/// How a node agent runs.
public struct NodeAgentOptions: Sendable {
    public var nodeName: String
    /// The node's InternalIP (pods' `hostIP`).
    public var nodeIP: String
    /// Where the agent keeps containerd's files, pod volumes and logs.
    public var directory: String
    /// An existing CRI socket (`unix:///run/containerd/containerd.sock`); nil starts a containerd of the agent's own.
    public var runtimeEndpoint: String?
    /// A k3s-style registries.yaml.
    public var privateRegistryFile: String?
    /// The image of every pod sandbox's pause container, in the agent's own containerd (k3s' `--pause-image`).
    public var pauseImage = Self.defaultPauseImage
    /// containerd 1.6's own default.
    public static let defaultPauseImage = "registry.k8s.io/pause:3.6"
    /// Stop every pod's containers when the agent stops (tests; a real node keeps them running, as k3s does).
    public var stopPodsOnExit: Bool
    public var labels: [String: String]
    /// How often every pod is synced even when nothing about it changed (the kubelet's `--sync-frequency`): what a
    /// pod reads from the API, such as its file volumes' ConfigMaps and Secrets, is brought up to date this often.
    public var syncFrequency: Duration
    /// A running container's log is rotated past this size, keeping this many files (the kubelet's
    /// `containerLogMaxSize`, 10Mi, and `containerLogMaxFiles`, 5).
    public var containerLogMaxSize: Int64 = 10 * 1024 * 1024
    public var containerLogMaxFiles: Int = 5
    /// The kubelet's `--eviction-hard`.
    public var evictionThresholds = EvictionThresholds.defaults
    /// The port of the agent's kubelet endpoint (`KubeletServer`), published in the Node's `daemonEndpoints`.
    public var kubeletPort: Int
    /// Name resolution in pods: the cluster DNS, the cluster domain and the node's own resolver configuration.
    public var podDNS = PodDNS(clusterDNS: [], clusterDomain: "cluster.local", host: ResolverConfiguration())
    /// The node's own `/etc/hosts`, which host-network pods get.
    public var nodeHostsFile = "/etc/hosts"

    public init(
        nodeName: String, nodeIP: String, directory: String, runtimeEndpoint: String? = nil, privateRegistryFile: String? = nil,
        stopPodsOnExit: Bool = false, labels: [String: String] = [:], syncFrequency: Duration = .seconds(60),
        kubeletPort: Int = 10250
    ) {
        self.syncFrequency = syncFrequency
        self.kubeletPort = kubeletPort
        self.nodeName = nodeName
        self.nodeIP = nodeIP
        self.directory = directory
        self.runtimeEndpoint = runtimeEndpoint
        self.privateRegistryFile = privateRegistryFile
        self.stopPodsOnExit = stopPodsOnExit
        self.labels = labels
    }
}

/// The kubelet: registers its Node and keeps its Lease, and turns the pods bound to it into sandboxes and
/// containers through the container runtime (CRI), reporting their status back as the kubelet does.
public final class NodeAgent: Sendable {
    static let kubeletVersion = "v1.32.0"
    /// Pods this node takes, its `pods` capacity (the kubelet's `--max-pods` default).
    static let maxPods = 110
    static let leaseRenewInterval: Duration = .seconds(10)
    static let statusReportInterval: Duration = .seconds(60)
    /// How often the runtime is listed for changes (the kubelet's PLEG relist period).
    static let relistInterval: Duration = .seconds(1)
    /// How long the runtime may take to answer after the agent starts it (or connects to it).
    static let runtimeStartTimeout: Duration = .seconds(30)

    let client: KubeClient
    let options: NodeAgentOptions
    let logger: Logger
    let recorder: EventRecorder
    let pods: Informer
    /// Every Service, for the variables the kubelet gives containers (`MYAPP_SERVICE_HOST`, ...).
    let services: Informer
    let queue: WorkQueue<ObjectKey>
    let podStates = Mutex<[String: PodState]>([:])
    let probeManager = ProbeManager()
    let cgroups = ContainerCgroups()
    let serviceAccountTokens: ServiceAccountTokenManager
    let referenceWatches: ReferencedObjectWatches
    private let runtimeBox = Mutex<(any ContainerRuntime)?>(nil)
    private let podCIDR = Mutex<String?>(nil)
    let machine: MachineInfo

    /// Waits (briefly) until the node's service proxy sends no new connection to a pod address any more.
    let drainTraffic: (@Sendable (_ podIP: String) async -> Void)?

    /// - Parameters:
    ///   - context: the informers the agent shares with the node's other parts (the service proxy), run by whoever
    ///     runs the context.
    ///   - drainTraffic: called with a deleted pod's address before its containers are stopped, so that Services
    ///     stop sending it connections first and a rolling update drops no request.
    public init(context: ControllerContext, options: NodeAgentOptions, drainTraffic: (@Sendable (_ podIP: String) async -> Void)? = nil) {
        self.drainTraffic = drainTraffic
        let client = context.client
        let logger = context.logger
        self.client = client
        self.options = options
        self.logger = logger
        let queue = WorkQueue<ObjectKey>()
        self.queue = queue
        referenceWatches = ReferencedObjectWatches(client: client, logger: logger) { queue.add($0) }
        recorder = EventRecorder(client: client, component: "kubelet", host: options.nodeName, logger: logger)
        pods = context.informer(.pods, selectors: ListOptions(fieldSelector: "spec.nodeName=\(options.nodeName)"))
        services = context.informer(.services)
        machine = MachineInfo.read(directory: options.directory)
        serviceAccountTokens = ServiceAccountTokenManager { [client] request throws(APIError) in
            try await Self.requestServiceAccountToken(request, client: client)
        }
    }

    var runtime: any ContainerRuntime {
        get throws(AgentError) {
            guard let runtime = runtimeBox.withLock({ $0 }) else { throw AgentError("the container runtime is not connected") }
            return runtime
        }
    }

    var paths: Containerd.Paths { Containerd.Paths(directory: options.directory) }

    /// Runs until cancelled: containerd (unless an endpoint was given), the CRI connection, node registration and
    /// heartbeats, the pod workers and the runtime relist.
    public func run() async throws {
        var registries = RegistryConfiguration()
        if let file = options.privateRegistryFile {
            registries = try RegistryConfiguration(yaml: try String(contentsOfFile: file, encoding: .utf8))
        }
        let containerd =
            try options.runtimeEndpoint == nil
            ? Containerd(directory: options.directory, registries: registries, pauseImage: options.pauseImage, logger: logger) : nil
        defer { containerd?.stop() }
        let client = try CRIClient(endpoint: options.runtimeEndpoint ?? containerd?.endpoint ?? "")
        runtimeBox.withLock { $0 = client }
        // The connection is not this task's child, so it outlives this task's cancellation and pods can still be
        // stopped at shutdown; it ends with the graceful shutdown below, which is awaited.
        let connection = Task { try? await client.run() }
        defer { client.beginGracefulShutdown() }
        // An agent stopped before it registered still stops its pods (those of an earlier run) when asked to.
        var interruption: (any Error)?
        do {
            let version = try await waitForRuntime(client, containerd: containerd)
            try await registerNode(runtimeVersion: "\(version.runtimeName)://\(version.runtimeVersion)")
            await withTaskGroup(of: Void.self) { work in
                work.addTask { await self.recorder.run() }
                work.addTask { await self.heartbeat() }
                work.addTask { await self.runPodWorkers() }
                work.addTask { await self.relist() }
                work.addTask { await self.rotateContainerLogs() }
                work.addTask { await self.runEvictionManager() }
                await withTaskCancellationHandler {
                    await work.next()
                } onCancel: {
                    self.queue.shutDown()
                }
                work.cancelAll()
            }
        } catch {
            interruption = error
        }
        probeManager.stopAllWorkers()
        await probeManager.prober.shutDown()
        if options.stopPodsOnExit {
            // A task of its own: this one is cancelled by now, and the runtime calls must still go through.
            await Task { await self.stopAllPods() }.value
        }
        client.beginGracefulShutdown()
        await connection.value
        // Stopped while it waited for the runtime or registered: a shutdown like any other.
        if let interruption, !(interruption is CancellationError) { throw interruption }
    }

    /// Waits, cancellably, until the runtime answers CRI `Version`: containerd takes a moment to open its socket.
    /// A containerd of the agent's own that exits meanwhile ends the wait with its log.
    private func waitForRuntime(_ client: CRIClient, containerd: Containerd?) async throws -> Runtime_V1_VersionResponse {
        let deadline = ContinuousClock.now + Self.runtimeStartTimeout
        while true {
            do {
                return try await client.version()
            } catch {
                if let failure = containerd?.failure { throw failure }
                guard ContinuousClock.now < deadline else { throw error }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    // MARK: Node

    private func nodeObject(runtimeVersion: String, images: JSONValue?) -> JSONValue {
        var labels: [String: JSONValue] = [
            "beta.kubernetes.io/arch": .string(machine.architecture), "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": .string(machine.architecture), "kubernetes.io/hostname": .string(options.nodeName), "kubernetes.io/os": "linux",
        ]
        for (key, value) in options.labels { labels[key] = .string(value) }
        let resources: JSONValue = [
            "cpu": .string(String(machine.cpus)), "memory": .string("\(machine.memoryBytes / 1024)Ki"), "pods": .string(String(Self.maxPods)),
            "ephemeral-storage": .string("\(machine.storageBytes / 1024)Ki"),
        ]
        var node: JSONValue = [
            "apiVersion": "v1", "kind": "Node",
            "metadata": ["name": .string(options.nodeName), "labels": .object(labels)],
            "spec": .emptyObject,
            "status": [
                "capacity": resources, "allocatable": resources, "conditions": .array(currentConditions(previous: [])),
                "addresses": [["type": "InternalIP", "address": .string(options.nodeIP)], ["type": "Hostname", "address": .string(options.nodeName)]],
                "daemonEndpoints": ["kubeletEndpoint": ["Port": .integer(Int64(options.kubeletPort))]],
                "nodeInfo": [
                    "machineID": .string(machine.machineID), "systemUUID": .string(machine.machineID), "bootID": .string(machine.bootID),
                    "kernelVersion": .string(machine.kernelVersion), "osImage": .string(machine.osImage),
                    "containerRuntimeVersion": .string(runtimeVersion), "kubeletVersion": .string(Self.kubeletVersion),
                    "kubeProxyVersion": .string(Self.kubeletVersion), "operatingSystem": "linux", "architecture": .string(machine.architecture),
                ],
            ],
        ]
        if let images { node[path: "status", "images"] = images }
        return node
    }

    /// The four conditions of a healthy node, as the kubelet words them (hollow nodes report the same).
    package static func conditions(now: Date) -> [JSONValue] {
        NodePressure().conditions(previous: [], now: now)
    }

    /// The conditions this machine's readings give now; `previous` keeps the transition times of those that stay.
    func currentConditions(previous: [JSONValue]) -> [JSONValue] {
        NodePressure(options.evictionThresholds.met(NodeResourceReadings.read(directory: options.directory)))
            .conditions(previous: previous, now: Date())
    }

    /// The runtime's images for `status.images`; nil when the runtime cannot list them now.
    func currentImages() async -> JSONValue? {
        guard let images = try? await runtime.listImages(filter: nil) else { return nil }
        return .array(NodeImages.status(images))
    }

    private func registerNode(runtimeVersion: String) async throws {
        var attempt = 0
        while true {
            let images = await currentImages()
            do throws(APIError) {
                let wanted = nodeObject(runtimeVersion: runtimeVersion, images: images)
                var node: JSONValue
                do throws(APIError) {
                    node = try await client.create(.nodes, wanted)
                } catch where error.isAlreadyExists {
                    // A restarted agent: its node comes back Ready with what this machine has now.
                    node = try await client.get(.nodes, name: options.nodeName)
                    // The labels this agent sets (hostname, os, arch, its roles) are set again, as k3s does at start.
                    let labels = node[path: "metadata", "labels"]?.objectValue ?? [:]
                    let merged = labels.merging(wanted[path: "metadata", "labels"]?.objectValue ?? [:]) { $1 }
                    if merged != labels {
                        node[path: "metadata", "labels"] = .object(merged)
                        node = try await client.update(.nodes, node)
                    }
                    node["status"] = wanted["status"]
                    node = try await client.update(.nodes, node, subresource: "status")
                }
                try await renewLease(nodeUID: node.metadata.uid)
                logger.info("node registered", metadata: ["node": "\(options.nodeName)"])
                return
            } catch {
                attempt += 1
                logger.warning("node registration failed; retrying", metadata: ["error": "\(error.message)"])
                try await Task.sleep(for: .milliseconds(min(200 * attempt, 5000)))
            }
        }
    }

    private func renewLease(nodeUID: String?) async throws(APIError) {
        let now = KubeTime.formatMicro(Date())
        do throws(APIError) {
            var lease = try await client.get(.leases, namespace: "kube-node-lease", name: options.nodeName)
            lease[path: "spec", "renewTime"] = .string(now)
            lease[path: "spec", "holderIdentity"] = .string(options.nodeName)
            _ = try await client.update(.leases, lease)
        } catch where error.isNotFound {
            var metadata: [String: JSONValue] = ["name": .string(options.nodeName), "namespace": "kube-node-lease"]
            if let nodeUID {
                metadata["ownerReferences"] = [["apiVersion": "v1", "kind": "Node", "name": .string(options.nodeName), "uid": .string(nodeUID)]]
            }
            let lease: JSONValue = [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": .object(metadata),
                "spec": ["holderIdentity": .string(options.nodeName), "leaseDurationSeconds": 40, "renewTime": .string(now)],
            ]
            _ = try await client.create(.leases, namespace: "kube-node-lease", lease)
        }
    }

    /// Renews the Lease every 10 s and re-reads the machine's pressure and the runtime's images; writes the node's
    /// status when a condition or the images changed, and at least every minute; writes the pod network config once
    /// the node has its pod range.
    private func heartbeat() async {
        var sinceReport: Duration = .zero
        while !Task.isCancelled {
            let images = await currentImages()
            do throws(APIError) {
                try await renewLease(nodeUID: nil)
                var node = try await client.get(.nodes, name: options.nodeName)
                if let cidr = Node(node).spec.podCIDR, podCIDR.withLock({ $0 }) != cidr {
                    try? writeNetworkConfig(podCIDR: cidr)
                }
                let previous = node[path: "status", "conditions"]?.arrayValue ?? []
                let conditions = currentConditions(previous: previous)
                let imagesChanged = images != nil && images != node[path: "status", "images"]
                if sinceReport >= Self.statusReportInterval || imagesChanged || Self.statuses(conditions) != Self.statuses(previous) {
                    node[path: "status", "conditions"] = .array(conditions)
                    if let images { node[path: "status", "images"] = images }
                    let updated = try await client.update(.nodes, node, subresource: "status")
                    sinceReport = .zero
                    for reason in NodePressure.transitionEvents(previous: previous, current: conditions) {
                        recorder.record(updated, type: .normal, reason: reason, message: "Node \(options.nodeName) status is now: \(reason)")
                    }
                }
            } catch {
                logger.debug("node heartbeat failed", metadata: ["error": "\(error.message)"])
            }
            let interval = podCIDR.withLock { $0 } == nil ? Duration.milliseconds(500) : Self.leaseRenewInterval
            try? await Task.sleep(for: interval)
            sinceReport += interval
        }
    }

    /// Condition type → status: what a status update must carry at once when it changes.
    private static func statuses(_ conditions: [JSONValue]) -> [String: String] {
        Dictionary(conditions.map { ($0["type"]?.stringValue ?? "", $0["status"]?.stringValue ?? "") }, uniquingKeysWith: { _, last in last })
    }

    /// The CNI network for the node's pod range: containerd reads it before it can network a sandbox.
    private func writeNetworkConfig(podCIDR cidr: String) throws {
        let conflist = PodNetworkConfig.conflist(node: options.nodeName, podCIDR: cidr, ipamDataDirectory: paths.cniIPAM)
        try FileManager.default.createDirectory(atPath: paths.cniConfig, withIntermediateDirectories: true)
        try conflist.serializedString().write(toFile: "\(paths.cniConfig)/10-skiff.conflist", atomically: true, encoding: .utf8)
        if options.runtimeEndpoint == nil {
            do {
                try PodNetworkConfig.ensureBridge(node: options.nodeName, podCIDR: cidr)
            } catch {
                logger.warning("pod bridge not made ahead of the first pod", metadata: ["error": "\(error)"])
            }
        }
        do {
            try PodMasquerade.install(node: options.nodeName, podCIDR: cidr)
        } catch {
            // Pods still reach each other and the node; only traffic beyond the machine's own networks needs this.
            logger.warning("pods' masquerade rule not installed", metadata: ["error": "\(error)"])
        }
        podCIDR.withLock { $0 = cidr }
        logger.info("pod network configured", metadata: ["podCIDR": "\(cidr)"])
        for pod in pods.list() { queue.add(ObjectKey(pod)) }
    }

    var networkReady: Bool { podCIDR.withLock { $0 } != nil || options.runtimeEndpoint != nil }

    /// The pods' gateway on this node's bridge, once the node has its pod range: an address of the node's own that
    /// every pod reaches directly, where node-local services (the cluster DNS) listen.
    /// Nil when cancelled first.
    public func podGateway() async -> String? {
        while !Task.isCancelled {
            if let cidr = podCIDR.withLock({ $0 }), let gateway = PodNetworkConfig.gateway(podCIDR: cidr) { return gateway }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }
}

struct AgentError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
