import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging
import NFTables
import Synchronization

/// How the enforcer programs this node.
public struct NetworkPolicyOptions: Sendable {
    /// The node whose pods it guards: its table is `skiff-policy-<hash of the name>`.
    public var nodeName: String
    /// Remove the table when the enforcer stops (with `--stop-pods-on-exit`; otherwise the node's pods keep running
    /// and stay guarded).
    public var removeRulesOnExit: Bool

    public init(nodeName: String, removeRulesOnExit: Bool) {
        self.nodeName = nodeName
        self.removeRulesOnExit = removeRulesOnExit
    }

    var table: String { "skiff-policy-" + NFTables.shortHash(nodeName).lowercased() }
}

/// NetworkPolicy enforced in the kernel for the pods of one node, as kube-router's network policy controller
/// enforces it for k3s: pod, namespace and policy informers keep the node's nftables table in step (`PolicyTable`),
/// each change applied as one atomic transaction of what it changed, so that no packet is judged in user space.
/// A change to a pod or a namespace recomputes only the policies it can matter to.
public final class NetworkPolicyEnforcer: Sendable {
    /// What the informers' handlers keep.
    private struct State {
        var world: PolicyWorld
        /// Every policy as last read, by `namespace/name`, without those too malformed to enforce.
        var policies: [String: PolicySpec] = [:]
        /// The policies whose rules may have changed since the last sync.
        var changed: Set<String> = []
    }

    /// What the sync keeps (one sync runs at a time).
    private struct Table {
        /// The table the caches call for, and what the kernel holds as last applied (nil before the first sync or
        /// after a failed one: the next sync replaces the table whole).
        var desired: PolicyTable
        var applied: PolicyTable?
        /// The problems already reported, by policy, so that each is reported once.
        var reported: [String: [String]] = [:]
    }

    private let pods: Informer
    private let namespaces: Informer
    private let networkPolicies: Informer
    private let options: NetworkPolicyOptions
    private let clusterDNSAddress: @Sendable () async -> String?
    private let recorder: EventRecorder
    private let logger: Logger
    private let queue = WorkQueue<String>()
    private let state: Mutex<State>
    private let table: Mutex<Table>
    static let syncKey = "sync"
    /// Changes arriving together (a Deployment's pods starting) are applied together, still well within a second.
    private let spacing = SyncSpacing(interval: .milliseconds(100))

    /// `clusterDNSAddress` is where the node's cluster DNS answers its pods (nil: the node serves none), which
    /// policies select as the kube-dns pod of kube-system.
    public init(context: ControllerContext, options: NetworkPolicyOptions, clusterDNSAddress: @escaping @Sendable () async -> String?) {
        pods = context.informer(.pods, pruning: "network-policy", transform: PolicyPod.cachedFields)
        namespaces = context.informer(.namespaces)
        networkPolicies = context.informer(.networkPolicies)
        self.options = options
        self.clusterDNSAddress = clusterDNSAddress
        recorder = context.recorder(component: "network-policy")
        logger = context.logger
        state = Mutex(State(world: PolicyWorld(nodeName: options.nodeName)))
        table = Mutex(Table(desired: PolicyTable(name: options.table)))
    }

    /// Enforces until cancelled; then removes the table when asked to.
    public func run() async {
        if !Self.bridgedTrafficIsFiltered() {
            logger.warning(
                "bridged traffic skips the firewall (net.bridge.bridge-nf-call-iptables is not 1; is br_netfilter loaded?): pods of this node reach each other whatever the network policies say")
        }
        let podChanged = InformerHandler(
            onAdd: { [weak self] in self?.podChanged(old: nil, new: $0) }, onUpdate: { [weak self] in self?.podChanged(old: $0, new: $1) },
            onDelete: { [weak self] in self?.podChanged(old: $0, new: nil) })
        let namespaceChanged = InformerHandler(
            onAdd: { [weak self] in self?.namespaceChanged($0, deleted: false) }, onUpdate: { [weak self] in self?.namespaceChanged($1, deleted: false) },
            onDelete: { [weak self] in self?.namespaceChanged($0, deleted: true) })
        let policyChanged = InformerHandler(
            onAdd: { [weak self] in self?.policyChanged($0, deleted: false) }, onUpdate: { [weak self] in self?.policyChanged($1, deleted: false) },
            onDelete: { [weak self] in self?.policyChanged($0, deleted: true) })
        queue.add(Self.syncKey)
        await ControllerWorkers.run(
            queue, watching: [Watch(networkPolicies, policyChanged), Watch(namespaces, namespaceChanged), Watch(pods, podChanged)], workers: 1,
            name: "network-policy", logger: logger
        ) { _ throws(APIError) in
            await self.sync()
        }
        if options.removeRulesOnExit {
            await Task { [options] in _ = try? await NFTables.apply("delete table ip \(options.table)\n") }.value
        }
    }

    /// Writes "1" where the kernel exposes the switch that makes traffic between ports of one bridge pass through
    /// the IP firewall hooks; true when it is on.
    private static func bridgedTrafficIsFiltered() -> Bool {
        let path = "/proc/sys/net/bridge/bridge-nf-call-iptables"
        try? "1".write(toFile: path, atomically: false, encoding: .utf8)
        return (try? String(contentsOfFile: path, encoding: .utf8))?.hasPrefix("1") == true
    }

    private func podChanged(old: JSONValue?, new: JSONValue?) {
        guard let key = (new ?? old).map({ ObjectKey($0).description }) else { return }
        let namespace = (new ?? old)?.metadata.namespace ?? "default"
        let pod = new.flatMap(PolicyPod.init)
        // Most pod updates (status, annotations) change nothing a policy reads, and are not worth a sync.
        let matters = state.withLock { state in
            let previous = state.world.pods[namespace]?[key]
            guard previous != pod else { return false }
            state.world.pods[namespace, default: [:]][key] = pod
            if state.world.pods[namespace]?.isEmpty == true { state.world.pods[namespace] = nil }
            let involved = state.policies.filter { _, policy in [previous, pod].contains { $0.map { policy.involves($0, in: state.world) } ?? false } }
            state.changed.formUnion(involved.keys)
            return !involved.isEmpty
        }
        if matters { queue.add(Self.syncKey) }
    }

    private func namespaceChanged(_ namespace: JSONValue, deleted: Bool) {
        let name = namespace.metadata.name
        let labels = deleted ? nil : namespace.metadata.labels
        let matters = state.withLock { state in
            guard state.world.namespaceLabels[name] != labels else { return false }
            state.world.namespaceLabels[name] = labels
            let involved = state.policies.filter { $0.value.selectsNamespaces }
            state.changed.formUnion(involved.keys)
            return !involved.isEmpty
        }
        if matters { queue.add(Self.syncKey) }
    }

    private func policyChanged(_ policy: JSONValue, deleted: Bool) {
        let key = ObjectKey(policy).description
        let spec = deleted ? nil : PolicySpec(policy)
        if !deleted, spec == nil { logger.warning("network policy not enforced: it could not be read", metadata: ["policy": "\(key)"]) }
        state.withLock { state in
            state.policies[key] = spec
            state.changed.insert(key)
        }
        queue.add(Self.syncKey)
    }

    /// Recomputes the policies that changed and programs the kernel with the difference; a failure is retried after
    /// a second, replacing the table whole.
    private func sync() async -> ReconcileResult {
        let start = ContinuousClock.now
        if let wait = spacing.delay(at: start) { return .requeue(after: wait) }
        let dnsAddress = await clusterDNSAddress()
        // The informers' view is copied (copy on write) and the rules computed outside the lock, which the informers'
        // handlers wait for.
        let (world, policies, changed) = state.withLock { state in
            let dns = dnsAddress.map { PolicyPod.clusterDNS(ip: $0, nodeName: options.nodeName) }
            let dnsKey = "kube-system/skiff-cluster-dns"
            if state.world.pods["kube-system"]?[dnsKey] != dns {
                state.world.pods["kube-system", default: [:]][dnsKey] = dns
                state.changed.formUnion(state.policies.keys)
            }
            defer { state.changed.removeAll() }
            return (state.world, state.policies, state.changed)
        }
        if changed.isEmpty, table.withLock({ $0.applied != nil }) { return .done }
        var rules: [String: PolicyRules?] = [:]
        // `updateValue` keeps a gone policy's nil, which a subscript assignment would drop.
        for key in changed { rules.updateValue(policies[key].map { PolicyRules($0, in: world) }, forKey: key) }
        let (desired, previous, problems) = table.withLock { table in
            table.desired.update(rules)
            var problems: [(String, String)] = []
            for (key, policyRules) in rules {
                let found = policyRules?.problems ?? []
                problems += found.filter { !(table.reported[key] ?? []).contains($0) }.map { (key, $0) }
                table.reported[key] = found.isEmpty ? nil : found
            }
            return (table.desired, table.applied, problems)
        }
        for (key, problem) in problems {
            logger.warning("network policy rule can never match", metadata: ["policy": "\(key)", "problem": "\(problem)"])
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            if parts.count == 2, let policy = networkPolicies.get(ObjectKey(namespace: parts[0], name: parts[1])) {
                recorder.record(policy, type: .warning, reason: "NamedPortNotFound", message: problem)
            }
        }
        guard let script = desired.transaction(from: previous) else { return .done }
        do {
            try await NFTables.apply(script)
            table.withLock { $0.applied = desired }
            logger.debug(
                "network policy rules synced",
                metadata: ["duration": "\(ContinuousClock.now - start)", "rules": "\(desired.ruleCount)"])
            return .done
        } catch {
            logger.warning("network policy rules not applied; retrying", metadata: ["error": "\(error)"])
            table.withLock { $0.applied = nil }
            return .requeue(after: .seconds(1))
        }
    }
}

extension PolicySpec {
    /// Whether a change to `pod` can change this policy's rules: it is one of the policy's pods, one of its peers,
    /// or a pod whose named ports an egress rule open to every pod resolves.
    func involves(_ pod: PolicyPod, in world: PolicyWorld) -> Bool {
        if pod.namespace == namespace && podSelector.matches(pod.labels) { return true }
        for direction in PolicySpec.Direction.allCases {
            for rule in rules(direction) ?? [] {
                if let peers = rule.peers {
                    if peers.contains(where: { world.selects($0, policyNamespace: namespace, pod: pod) }) { return true }
                } else if direction == .egress, rule.ports?.contains(where: { if case .named = $0.number { true } else { false } }) == true {
                    return true
                }
            }
        }
        return false
    }

    /// Whether a namespace's labels can change what the policy selects.
    var selectsNamespaces: Bool {
        [ingress, egress].contains { rules in
            (rules ?? []).contains { rule in
                (rule.peers ?? []).contains { if case .pods(_, let namespaces) = $0 { namespaces != nil } else { false } }
            }
        }
    }
}
