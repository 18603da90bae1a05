import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging
import SchedulingFramework

/// Runs one pod of each DaemonSet on every node it fits, as Kubernetes' daemonset controller: pods are pinned to
/// their node with required node affinity on `metadata.name` (the scheduler binds them), carry the DaemonSet's
/// default tolerations, follow nodes joining and leaving, and are replaced node by node on a template change
/// (RollingUpdate with `maxUnavailable` or `maxSurge`; OnDelete leaves them until deleted). Each template is recorded
/// as a ControllerRevision whose hash its pods carry, for `kubectl rollout history` and `rollout undo`.
public final class DaemonSetController: Sendable {
    static let revisionLabel = ControllerHistory.hashLabel

    private let client: KubeClient
    private let daemonSets: Informer
    private let nodes: Informer
    private let pods: Informer
    private let revisions: Informer
    private let history: ControllerHistory
    private let recorder: EventRecorder
    private let logger: Logger
    private let queue = WorkQueue<ObjectKey>()
    private let expectations = ControllerExpectations()

    public init(context: ControllerContext) {
        client = context.client
        daemonSets = context.informer(.daemonSets)
        nodes = context.informer(.nodes)
        pods = context.informer(.pods)
        revisions = context.informer(.controllerRevisions)
        history = ControllerHistory(client: client, revisions: revisions, owner: .daemonSets)
        recorder = context.recorder(component: "daemonset-controller")
        logger = context.logger
    }

    public func run() async {
        let everyDaemonSet: @Sendable (JSONValue) -> Void = { [self] _ in
            for daemonSet in daemonSets.list() { queue.add(ObjectKey(daemonSet)) }
        }
        let watches: [Watch] = [
            .own(daemonSets, into: queue),
            Watch(
                nodes,
                InformerHandler(
                    onAdd: everyDaemonSet,
                    onUpdate: { old, new in
                        if old["spec"] != new["spec"] || old[path: "metadata", "labels"] != new[path: "metadata", "labels"] { everyDaemonSet(new) }
                    }, onDelete: everyDaemonSet)),
            .createdPods(pods, by: "DaemonSet", expectations: expectations, into: queue),
            .owned(revisions, by: "DaemonSet", into: queue),
        ]
        await ControllerWorkers.run(queue, watching: watches, workers: 2, name: "daemonset", logger: logger) { key throws(APIError) in
            try await self.reconcile(key)
        }
    }


    /// The tolerations Kubernetes adds to every daemon pod, so daemons keep running on troubled nodes.
    static func defaultTolerations(hostNetwork: Bool) -> [JSONValue] {
        var tolerations: [JSONValue] = [
            ["key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"],
            ["key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"],
            ["key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"],
            ["key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"],
            ["key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"],
            ["key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"],
        ]
        if hostNetwork { tolerations.append(["key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"]) }
        return tolerations
    }

    /// The pod template with the default tolerations added (where not already tolerated) and pinned to `node`.
    static func podSpec(_ template: JSONValue, node: String) -> JSONValue {
        var spec = template["spec"] ?? .emptyObject
        var tolerations = spec["tolerations"]?.arrayValue ?? []
        for toleration in defaultTolerations(hostNetwork: spec["hostNetwork"]?.boolValue == true)
        where !tolerations.contains(where: { $0["key"] == toleration["key"] && $0["effect"] == toleration["effect"] }) {
            tolerations.append(toleration)
        }
        spec["tolerations"] = .array(tolerations)
        let pin: JSONValue = ["matchFields": [["key": "metadata.name", "operator": "In", "values": [.string(node)]]]]
        spec[path: "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"] = [pin]
        return spec
    }

    /// Whether a daemon pod belongs on the node: its selector and affinity match and every NoSchedule/NoExecute taint
    /// is tolerated (with the default tolerations).
    static func shouldRun(template: JSONValue, on node: JSONValue) -> Bool {
        placement(template: template, on: node).shouldRun
    }

    /// Where a daemon belongs (`shouldRun`) and whether one already there may stay (`shouldContinue`: only a
    /// NoExecute taint or a changed selector drives a running daemon off its node, as in Kubernetes).
    static func placement(template: JSONValue, on node: JSONValue) -> (shouldRun: Bool, shouldContinue: Bool) {
        guard !node.metadata.isDeleting else { return (false, false) }
        let tolerations = PodInfo(pod: ["spec": podSpec(template, node: "")]).tolerations
        let info = NodeInfo(node: node)
        guard PodInfo(pod: ["spec": template["spec"] ?? .emptyObject]).requiredNodeAffinity.matches(info) else { return (false, false) }
        let untolerated = info.taints.filter { taint in taint.effect != .preferNoSchedule && !tolerations.contains { $0.tolerates(taint) } }
        let evicting = untolerated.contains { $0.effect == .noExecute }
        return (untolerated.isEmpty, !evicting)
    }

    private func reconcile(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard let daemonSet = daemonSets.get(key), !daemonSet.metadata.isDeleting,
            let uid = daemonSet[path: "metadata", "uid"]?.stringValue, expectations.satisfied(key)
        else { return .done }
        let template = daemonSet[path: "spec", "template"] ?? .emptyObject
        let hash = DeploymentRollout.podTemplateHash(template: template, collisionCount: nil)
        let revision = try await history.record(daemonSet, hash: hash)[path: "metadata", "labels", Self.revisionLabel]?.stringValue ?? hash
        let owned = pods.list { $0.metadata.controllerRef?.uid == uid }
        var byNode: [String: [JSONValue]] = [:]
        for pod in owned where !pod.metadata.isDeleting && !JobController.isFinished(pod) {
            byNode[Self.targetNode(pod), default: []].append(pod)
        }
        for (node, running) in byNode { byNode[node] = running.sorted(by: Self.olderFirst) }
        let allNodes = nodes.list()
        let placements = allNodes.map { node in
            (name: node.metadata.name, placement: Self.placement(template: template, on: node))
        }
        let daemons = placements.filter { $0.placement.shouldRun || ($0.placement.shouldContinue && byNode[$0.name] != nil) }.count
        let rolling = (daemonSet[path: "spec", "updateStrategy", "type"]?.stringValue ?? "RollingUpdate") == "RollingUpdate"
        let budgets = Self.rollingBudgets(daemonSet, daemons: daemons)
        let surging = rolling && budgets.maxSurge > 0
        var toCreate: [String] = []
        var toDelete: [JSONValue] = []
        var desired = 0
        var misscheduled = 0
        var placed: [String: [JSONValue]] = [:]
        for (name, placement) in placements {
            let running = byNode[name] ?? []
            if placement.shouldRun || (placement.shouldContinue && !running.isEmpty) {
                desired += 1
                // One daemon per node; while surging, the oldest updated one may run beside the oldest old one.
                let keep = surging
                    ? [running.first { Self.revision(of: $0) == revision }, running.first { Self.revision(of: $0) != revision }].compactMap { $0 }
                    : Array(running.prefix(1))
                if running.isEmpty { toCreate.append(name) }
                toDelete += running.filter { pod in !keep.contains { $0[path: "metadata", "uid"] == pod[path: "metadata", "uid"] } }
                if !keep.isEmpty { placed[name] = keep }
            } else {
                misscheduled += running.isEmpty ? 0 : 1
                toDelete += running
            }
        }
        // Pods for nodes that no longer exist go too.
        let known = Set(allNodes.compactMap { $0.metadata.name })
        for (node, running) in byNode where !known.contains(node) { toDelete += running }

        let current = byNode.values.compactMap(\.first)
        if surging {
            // RollingUpdate with maxSurge: start the updated daemon beside the old one, and stop the old one once the
            // new one is available; an unavailable old daemon is replaced at once.
            var surged = 0
            var candidates: [String] = []
            for (node, pods) in placed.sorted(by: { $0.key < $1.key }) {
                let updated = pods.first { Self.revision(of: $0) == revision }
                guard let old = pods.first(where: { Self.revision(of: $0) != revision }) else { continue }
                if let updated {
                    if DisruptionBudget.isHealthy(updated) { toDelete.append(old) } else { surged += 1 }
                } else if !DisruptionBudget.isHealthy(old) {
                    toCreate.append(node)
                } else {
                    candidates.append(node)
                }
            }
            toCreate += candidates.prefix(max(0, Int(budgets.maxSurge) - surged))
        } else if rolling {
            // RollingUpdate: replace out-of-date pods while no more than maxUnavailable daemons are unavailable.
            let unavailable = Int64(toCreate.count + current.filter { !DisruptionBudget.isHealthy($0) }.count)
            var budget = max(0, budgets.maxUnavailable - unavailable)
            for pod in current where budget > 0 && Self.revision(of: pod) != revision && DisruptionBudget.isHealthy(pod) {
                toDelete.append(pod)
                budget -= 1
            }
        }

        if !toCreate.isEmpty {
            expectations.expectCreations(key, toCreate.count)
            for node in toCreate { try await createPod(for: daemonSet, node: node, revision: revision, key: key) }
        }
        for pod in toDelete { try await deletePod(pod, daemonSet: daemonSet) }
        // Revisions its pods still run are kept beyond the history limit, as `cleanupHistory`.
        let liveHashes = Set(owned.compactMap(Self.revision(of:)) + [revision])
        try await history.truncate(daemonSet, live: Set(liveHashes.map { ControllerHistory.name(owner: key.name, hash: $0) }))

        let live = current.filter { pod in !toDelete.contains { $0[path: "metadata", "uid"] == pod[path: "metadata", "uid"] } }
        var status = daemonSet["status"] ?? .emptyObject
        status["desiredNumberScheduled"] = .integer(Int64(desired))
        status["currentNumberScheduled"] = .integer(Int64(live.count))
        status["numberMisscheduled"] = .integer(Int64(misscheduled))
        status["numberReady"] = .integer(Int64(live.filter(DisruptionBudget.isHealthy).count))
        status["numberAvailable"] = .integer(Int64(live.filter(DisruptionBudget.isHealthy).count))
        status["numberUnavailable"] = .integer(Int64(max(0, desired - live.filter(DisruptionBudget.isHealthy).count)))
        status["updatedNumberScheduled"] = .integer(Int64(live.filter { Self.revision(of: $0) == revision }.count))
        status["observedGeneration"] = daemonSet[path: "metadata", "generation"] ?? 1
        if status != daemonSet["status"] {
            var updated = daemonSet
            updated["status"] = status
            _ = try await client.update(.daemonSets, updated, subresource: "status")
        }
        return .done
    }

    /// `maxSurge` and `maxUnavailable` scaled to the number of nodes that should run a daemon (both round up); never both zero.
    static func rollingBudgets(_ daemonSet: JSONValue, daemons: Int) -> (maxSurge: Int64, maxUnavailable: Int64) {
        let strategy = daemonSet[path: "spec", "updateStrategy", "rollingUpdate"]
        let maxSurge = IntOrPercent.scaled(strategy?["maxSurge"] ?? 0, total: Int64(daemons), roundUp: true) ?? 0
        let maxUnavailable = IntOrPercent.scaled(strategy?["maxUnavailable"] ?? 1, total: Int64(daemons), roundUp: true) ?? 1
        return (maxSurge, maxSurge == 0 && maxUnavailable == 0 ? 1 : maxUnavailable)
    }

    static func olderFirst(_ a: JSONValue, _ b: JSONValue) -> Bool {
        let (aTime, bTime) = (a[path: "metadata", "creationTimestamp"]?.stringValue ?? "", b[path: "metadata", "creationTimestamp"]?.stringValue ?? "")
        return aTime != bTime ? aTime < bTime : (a.metadata.name) < (b.metadata.name)
    }

    static func revision(of pod: JSONValue) -> String? {
        pod.metadata.labels[revisionLabel]
    }

    /// The node a daemon pod is for: where it is bound, else the node its affinity pins it to.
    static func targetNode(_ pod: JSONValue) -> String {
        if let node = Pod(pod).spec.nodeName, !node.isEmpty { return node }
        let terms = pod[path: "spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]
        return terms?.arrayValue?.first?["matchFields"]?.arrayValue?.first?["values"]?.arrayValue?.first?.stringValue ?? ""
    }

    private func createPod(for daemonSet: JSONValue, node: String, revision: String, key: ObjectKey) async throws(APIError) {
        let template = daemonSet[path: "spec", "template"] ?? .emptyObject
        var labels = template[path: "metadata", "labels"]?.objectValue ?? [:]
        labels[Self.revisionLabel] = .string(revision)
        var metadata: [String: JSONValue] = [
            "generateName": .string("\(key.name)-"), "namespace": .string(key.namespace ?? "default"), "labels": .object(labels),
            "ownerReferences": [
                [
                    "apiVersion": "apps/v1", "kind": "DaemonSet", "name": .string(key.name), "uid": daemonSet[path: "metadata", "uid"] ?? .null,
                    "controller": true, "blockOwnerDeletion": true,
                ]
            ],
        ]
        metadata["annotations"] = template[path: "metadata", "annotations"]
        let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": Self.podSpec(template, node: node)]
        do throws(APIError) {
            let created = try await client.create(.pods, namespace: key.namespace, pod)
            recorder.record(daemonSet, type: .normal, reason: "SuccessfulCreate", message: "Created pod: \(created.metadata.name)")
        } catch {
            expectations.creationObserved(key)
            recorder.record(daemonSet, type: .warning, reason: "FailedCreate", message: "Error creating: \(error.message)")
            throw error
        }
    }

    private func deletePod(_ pod: JSONValue, daemonSet: JSONValue) async throws(APIError) {
        let name = pod.metadata.name
        let options: JSONValue = ["preconditions": ["uid": pod[path: "metadata", "uid"] ?? .null]]
        do throws(APIError) {
            try await client.delete(.pods, namespace: pod.metadata.namespace, name: name, options: options)
            recorder.record(daemonSet, type: .normal, reason: "SuccessfulDelete", message: "Deleted pod: \(name)")
        } catch where error.isNotFound || error.isConflict {
            return
        }
    }
}
