import APIMachinery
import ControllerRuntime
import Foundation
import KubeObjects
import KubeClient
import Logging
import NFTables
import Synchronization

/// How the service proxy programs this node.
public struct ServiceProxyOptions: Sendable {
    /// The node this proxy runs for: its table is `skiff-<hash of the name>`.
    public var nodeName: String
    /// The Service range (the server's `--service-cidr`).
    public var serviceCIDR: String
    /// The pods' range (the server's `--cluster-cidr`).
    public var clusterCIDR: String
    var table: String { "skiff-" + NFTables.shortHash(nodeName).lowercased() }

    /// Remove the rules when the proxy stops (with `--stop-pods-on-exit`: otherwise the node's pods keep running and
    /// their Services keep working, as with kube-proxy).
    public var removeRulesOnExit: Bool

    public init(nodeName: String, serviceCIDR: String, clusterCIDR: String, removeRulesOnExit: Bool) {
        self.nodeName = nodeName
        self.serviceCIDR = serviceCIDR
        self.clusterCIDR = clusterCIDR
        self.removeRulesOnExit = removeRulesOnExit
    }
}

/// kube-proxy in nftables mode: follows Services and EndpointSlices through shared informers and keeps the node's
/// `ip skiff-<node hash>` table in step, each change applied as one atomic nft transaction of what changed.
public final class ServiceProxy: Sendable {
    private let services: Informer
    private let slices: Informer
    private let options: ServiceProxyOptions
    private let logger: Logger
    private let queue = WorkQueue<String>()
    /// The Services whose rules may have changed since the last sync (their own or their slices' events).
    private let changed = Mutex<Set<ObjectKey>>([])
    /// The rules the caches call for, and what the kernel holds as last applied: nil before the first sync or after
    /// a failed one (the next sync then replaces the table whole).
    private let rules: Mutex<(desired: ProxyRules, applied: ProxyRules?)>
    /// The sync durations and rule count `/metrics` reports.
    public let metrics = ProxyMetrics()
    static let syncKey = "sync"
    /// kube-proxy's `--min-sync-period` (1 s): a burst of changes (a rollout, 10 000 Services created) is applied in a
    /// few syncs rather than one per change.
    private let spacing = SyncSpacing(interval: .seconds(1))

    public init(context: ControllerContext, options: ServiceProxyOptions) {
        services = context.informer(.services)
        slices = context.informer(.endpointSlices)
        self.options = options
        logger = context.logger
        rules = Mutex((
            ProxyRules(
                options: .init(table: options.table, nodeName: options.nodeName, serviceCIDR: options.serviceCIDR, clusterCIDR: options.clusterCIDR)),
            nil
        ))
    }

    /// Returns once the kernel no longer sends new Service connections to `ip` (its pod is going away and its
    /// endpoints have left the rules), or after `timeout`. The node agent waits for this before it stops a deleted
    /// pod's containers, so that a rolling update drops no request.
    public func waitUntilNotRouting(to ip: String, timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, rules.withLock({ $0.applied?.routes(to: ip) ?? false }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Syncs until cancelled; then removes the table when asked to.
    public func run() async {
        // Node ports answer on 127.0.0.1 as well (kube-proxy's --nodeport-addresses default): a DNATed loopback
        // packet may then leave lo; the table's filter-input keeps loopback addresses from being reached from outside.
        do {
            try "1".write(toFile: "/proc/sys/net/ipv4/conf/all/route_localnet", atomically: false, encoding: .utf8)
        } catch {
            logger.warning("node ports will not answer on 127.0.0.1", metadata: ["error": "\(error)"])
        }
        let serviceChanged = InformerHandler(
            onAdd: { [weak self] in self?.changed(ObjectKey($0)) }, onUpdate: { [weak self] _, new in self?.changed(ObjectKey(new)) },
            onDelete: { [weak self] in self?.changed(ObjectKey($0)) })
        let sliceChanged = InformerHandler(
            onAdd: { [weak self] in self?.changed(Self.service(ofSlice: $0)) },
            onUpdate: { [weak self] old, new in self?.changed(Self.service(ofSlice: old), Self.service(ofSlice: new)) },
            onDelete: { [weak self] in self?.changed(Self.service(ofSlice: $0)) })
        queue.add(Self.syncKey)
        await ControllerWorkers.run(
            queue, watching: [Watch(services, serviceChanged), Watch(slices, sliceChanged)], workers: 1, name: "service-proxy", logger: logger
        ) { _ throws(APIError) in
            await self.sync()
        }
        if options.removeRulesOnExit {
            await Task { [options] in _ = try? await NFTables.apply("delete table ip \(options.table)\n") }.value
        }
    }

    private func changed(_ keys: ObjectKey?...) {
        changed.withLock { $0.formUnion(keys.compactMap { $0 }) }
        queue.add(Self.syncKey)
    }

    private static func service(ofSlice slice: JSONValue) -> ObjectKey? {
        EndpointSlice(slice).serviceName.map { ObjectKey(namespace: slice.metadata.namespace, name: $0) }
    }

    /// Rebuilds the rules of the Services that changed and programs the kernel with the difference; a failure is
    /// retried after a second, replacing the table whole.
    private func sync() async -> ReconcileResult {
        let start = ContinuousClock.now
        if let wait = spacing.delay(at: start) { return .requeue(after: wait) }
        let keys = changed.withLock { keys in
            defer { keys.removeAll() }
            return keys
        }
        let ports = Dictionary(
            grouping: ProxiedPort.all(
                services: keys.compactMap { services.get($0) },
                slices: keys.isEmpty ? [] : slices.list(where: { Self.service(ofSlice: $0).map(keys.contains) ?? false })),
            by: \.serviceKey)
        let (desired, previous) = rules.withLock { rules in
            for key in keys { rules.desired.update(service: key.description, ports: ports[key.description] ?? []) }
            return (rules.desired, rules.applied)
        }
        guard let script = desired.transaction(from: previous) else { return .done }
        do {
            try await NFTables.apply(script)
            rules.withLock { $0.applied = desired }
            metrics.recordSync(duration: ContinuousClock.now - start, rules: desired.ruleCount)
            return .done
        } catch {
            logger.warning("service rules not applied; retrying", metadata: ["error": "\(error)"])
            rules.withLock { $0.applied = nil }
            return .requeue(after: .seconds(1))
        }
    }
}
