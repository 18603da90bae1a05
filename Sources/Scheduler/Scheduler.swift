import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging
import Metrics
import SchedulingFramework
import Synchronization

/// kube-scheduler: watches pods without a node, picks a node by filtering and scoring (SchedulingFramework), and
/// binds through `pods/binding`; pods that fit nowhere get `PodScheduled=False` with Kubernetes' message, a
/// FailedScheduling event, and a preemption of lower-priority pods when that would help.
///
/// The cluster snapshot is kept current by informer events and never rebuilt; a pod is "assumed" onto its node in
/// the snapshot before its binding is written, so the next pod already sees the resources it takes.
public final class Scheduler: Sendable {
    public static let defaultName = "default-scheduler"
    /// Bindings (and unschedulable reports) written at once, so the loop need not wait for each store write.
    static let bindingsInFlight = 128

    private struct Shared {
        var snapshot = ClusterSnapshot()
        var algorithm = GenericScheduler()
        var preemption = Preemption()
        /// Pods placed in the snapshot whose binding the informer has not yet shown.
        var assumed: Set<ObjectKey> = []
    }

    private enum Decision {
        case bind(node: String)
        case unschedulable(FitError, PreemptionResult?)
    }

    private let client: KubeClient
    private let pods: Informer
    private let nodes: Informer
    private let namespaces: Informer
    private let claims: Informer
    private let volumes: Informer
    private let storageClasses: Informer
    private let recorder: EventRecorder
    private let logger: Logger
    private let name: String
    private let shared = Mutex(Shared())
    private let queue = SchedulingQueue()

    /// - Parameter context: the informers the scheduler shares, acting as the scheduler's user (it binds pods and
    ///   records events as `name`).
    public init(context: ControllerContext, name: String = Scheduler.defaultName) {
        client = context.client
        pods = context.informer(.pods)
        nodes = context.informer(.nodes)
        namespaces = context.informer(.namespaces)
        claims = context.informer(.persistentVolumeClaims)
        volumes = context.informer(.persistentVolumes)
        storageClasses = context.informer(.storageClasses)
        recorder = context.recorder(component: name)
        logger = context.logger
        self.name = name
    }

    public func run() async {
        await Watch.start([
            Watch(
                nodes,
                InformerHandler(
                    onAdd: { [self] node in
                        shared.withLock { $0.snapshot.upsertNode(node) }
                        queue.moveAllUnschedulable()
                    },
                    onUpdate: { [self] old, node in
                        shared.withLock { $0.snapshot.upsertNode(node) }
                        if Self.schedulingRelevantChange(old: old, new: node) { queue.moveAllUnschedulable() }
                    },
                    onDelete: { [self] node in
                        _ = shared.withLock { $0.snapshot.removeNode(named: node.metadata.name) }
                    })),
            Watch(
                namespaces,
                InformerHandler(
                    onAdd: { [self] namespace in shared.withLock { $0.snapshot.upsertNamespace(namespace) } },
                    onUpdate: { [self] _, namespace in shared.withLock { $0.snapshot.upsertNamespace(namespace) } },
                    onDelete: { [self] namespace in
                        shared.withLock { $0.snapshot.removeNamespace(named: namespace.metadata.name) }
                    })),
            Watch(
                pods,
                InformerHandler(
                    onAdd: { [self] pod in podChanged(old: nil, new: pod) },
                    onUpdate: { [self] old, pod in podChanged(old: old, new: pod) },
                    onDelete: { [self] pod in podDeleted(pod) })),
            // A claim that binds, or one that appears, may let a waiting pod in.
            Watch(
                claims,
                InformerHandler(
                    onAdd: { [queue] _ in queue.moveAllUnschedulable() },
                    onUpdate: { [queue] old, new in
                        if PersistentVolumeClaim(old).volumeName != PersistentVolumeClaim(new).volumeName { queue.moveAllUnschedulable() }
                    })),
            Watch(volumes, InformerHandler(onAdd: { [queue] _ in queue.moveAllUnschedulable() })),
            Watch(storageClasses, InformerHandler(onAdd: { [queue] _ in queue.moveAllUnschedulable() })),
        ])
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(30))
                    self.queue.flushLongUnschedulable()
                }
            }
            group.addTask { await self.scheduleLoop() }
            await group.waitForAll()
        }
    }

    // MARK: Informer events

    private func isOurs(_ pod: JSONValue) -> Bool {
        (pod[path: "spec", "schedulerName"]?.stringValue ?? Self.defaultName) == name
    }

    private static func isAssigned(_ pod: JSONValue) -> Bool {
        Pod(pod).spec.nodeName != nil
    }

    private static func isFinished(_ pod: JSONValue) -> Bool {
        let phase = Pod(pod).status.phase
        return phase == "Succeeded" || phase == "Failed"
    }

    private func podChanged(old: JSONValue?, new pod: JSONValue) {
        let key = ObjectKey(pod)
        if Self.isAssigned(pod) {
            // A finished pod no longer holds its node's resources.
            if Self.isFinished(pod) {
                let removed = shared.withLock { shared in
                    shared.assumed.remove(key)
                    return shared.snapshot.removePod(namespace: key.namespace ?? "", name: key.name) != nil
                }
                if removed { queue.moveAllUnschedulable() }
                return
            }
            let info = PodInfo(pod: pod)
            shared.withLock { shared in
                shared.assumed.remove(key)
                if shared.snapshot.pod(namespace: info.namespace, name: info.name) != nil {
                    shared.snapshot.updatePod(info)
                } else {
                    shared.snapshot.addPod(info)
                }
            }
            if let old, !Self.isAssigned(old) { queue.remove(key) }
            return
        }
        guard isOurs(pod), !pod.metadata.isDeleting, !Self.isFinished(pod) else {
            queue.remove(key)
            return
        }
        if shared.withLock({ $0.assumed.contains(key) }) { return }
        // Our own status writes (the Unschedulable condition) must not retry the pod: only a new pod or a changed
        // spec or labels may make it fit.
        if let old, old["spec"] == pod["spec"], old[path: "metadata", "labels"] == pod[path: "metadata", "labels"] { return }
        queue.add(key, priority: Pod(pod).spec.priority)
    }

    private func podDeleted(_ pod: JSONValue) {
        let key = ObjectKey(pod)
        queue.remove(key)
        let freed = shared.withLock { shared in
            shared.assumed.remove(key)
            shared.snapshot.removeNomination(namespace: key.namespace ?? "", name: key.name)
            return shared.snapshot.removePod(namespace: key.namespace ?? "", name: key.name) != nil
        }
        if freed { queue.moveAllUnschedulable() }
    }

    /// Heartbeats change a node all the time; only what filters read should wake unschedulable pods.
    static func schedulingRelevantChange(old: JSONValue, new: JSONValue) -> Bool {
        old["spec"] != new["spec"] || old[path: "metadata", "labels"] != new[path: "metadata", "labels"]
            || old[path: "status", "allocatable"] != new[path: "status", "allocatable"]
    }

    // MARK: Scheduling

    private func scheduleLoop() async {
        await withTaskGroup(of: Void.self) { writes in
            var inFlight = 0
            while let entry = await queue.pop() {
                let attemptStarted = ContinuousClock.now
                let cycle = queue.currentCycle
                guard let pod = pods.get(entry.key), !Self.isAssigned(pod), isOurs(pod), !pod.metadata.isDeleting,
                    !Self.isFinished(pod)
                else { continue }
                let volumePlan = volumeBinding.plan(for: pod)
                let decision: Decision
                switch volumePlan {
                case .unschedulable(let message):
                    let nodeCount = shared.withLock { $0.snapshot.nodeCount }
                    var fitError = FitError(
                        numAllNodes: nodeCount,
                        postFilterMessage: "preemption: 0/\(nodeCount) nodes are available: \(nodeCount) Preemption is not helpful for scheduling.")
                    // Kubernetes finds these two node by node (Filter), the others before any node (PreFilter).
                    if VolumeBinding.perNodeReasons.contains(message) {
                        fitError.absentNodesStatus = FilterStatus(code: .unschedulableAndUnresolvable, reasons: [message], plugin: "VolumeBinding")
                    } else {
                        fitError.preFilterMessage = message
                    }
                    decision = .unschedulable(fitError, nil)
                case .place(let volumeTerms, _):
                    decision = decide(PodInfo(pod: VolumeBinding.constrain(pod, to: volumeTerms)), key: entry.key)
                }
                if inFlight >= Self.bindingsInFlight {
                    await writes.next()
                    inFlight -= 1
                }
                inFlight += 1
                switch decision {
                case .bind(let node):
                    let delayedClaims: [ObjectKey]
                    if case .place(_, let claims) = volumePlan { delayedClaims = claims } else { delayedClaims = [] }
                    writes.addTask {
                        await self.selectNode(node, forClaims: delayedClaims)
                        await self.bind(pod, to: node, entry: entry, cycle: cycle, attemptStarted: attemptStarted)
                    }
                case .unschedulable(let fitError, let preemption):
                    Self.recordAttempt("unschedulable", since: attemptStarted)
                    queue.requeue(entry, unschedulable: true, cycleWhenPopped: cycle)
                    writes.addTask { await self.reportUnschedulable(pod, fitError: fitError, preemption: preemption) }
                }
            }
        }
    }

    private func decide(_ info: PodInfo, key: ObjectKey) -> Decision {
        shared.withLock { shared in
            var algorithm = shared.algorithm
            defer { shared.algorithm = algorithm }
            switch algorithm.schedule(info, in: shared.snapshot) {
            case .success(let result):
                shared.snapshot.addPod(info.bound(to: result.suggestedHost))
                shared.assumed.insert(key)
                return .bind(node: result.suggestedHost)
            case .failure(var fitError):
                var preemption = shared.preemption
                defer { shared.preemption = preemption }
                let outcome = preemption.preempt(info, after: fitError, in: shared.snapshot)
                fitError.postFilterMessage = outcome.message
                if let result = outcome.result {
                    shared.snapshot.nominate(info, to: result.nominatedNode)
                }
                return .unschedulable(fitError, outcome.result)
            }
        }
    }

    private var volumeBinding: VolumeBinding {
        VolumeBinding(
            claim: { [claims] in claims.get($0) }, volume: { [volumes] in volumes.get(ObjectKey(namespace: nil, name: $0)) },
            storageClass: { [storageClasses] in storageClasses.get(ObjectKey(namespace: nil, name: $0)) },
            allVolumes: { [volumes] in volumes.list() },
            claimUsedByOtherPod: { [pods] claim, uid in
                !pods.list { pod in
                    pod.metadata.namespace == claim.namespace && pod.metadata.uid != uid && !Self.isFinished(pod)
                        && (pod[path: "spec", "volumes"]?.arrayValue ?? []).contains { $0[path: "persistentVolumeClaim", "claimName"]?.stringValue == claim.name }
                }.isEmpty
            })
    }

    /// Tells the WaitForFirstConsumer claims of a pod where it goes (VolumeBinding's PreBind): the PV controller then
    /// binds each to a volume that node reaches, or the class's provisioner makes one there. The node agent waits for
    /// the claims to bind before it starts the pod.
    private func selectNode(_ node: String, forClaims keys: [ObjectKey]) async {
        for key in keys {
            guard let claim = claims.get(key), PersistentVolumeClaim(claim).volumeName == nil,
                PersistentVolumeClaim(claim).selectedNode != node
            else { continue }
            let patch: JSONValue = ["metadata": ["annotations": [.init(stringLiteral: PersistentVolumeClaim.selectedNodeAnnotation): .string(node)]]]
            do throws(APIError) {
                _ = try await client.patch(.persistentVolumeClaims, namespace: key.namespace, name: key.name, type: .strategicMerge, patch)
            } catch {
                logger.debug("claim not told its node", metadata: ["claim": "\(key)", "node": "\(node)", "error": "\(error.message)"])
            }
        }
    }

    /// kube-scheduler's `scheduler_schedule_attempts_total` and `scheduler_scheduling_attempt_duration_seconds`.
    private static func recordAttempt(_ result: String, since started: ContinuousClock.Instant) {
        let dimensions = [("profile", "default-scheduler"), ("result", result)]
        Counter(label: "scheduler_schedule_attempts_total", dimensions: dimensions).increment()
        Metrics.Timer(label: "scheduler_scheduling_attempt_duration_seconds", dimensions: dimensions).record(duration: ContinuousClock.now - started)
    }

    private func bind(_ pod: JSONValue, to node: String, entry: SchedulingQueue.Entry, cycle: Int, attemptStarted: ContinuousClock.Instant) async {
        let key = entry.key
        let binding: JSONValue = [
            "apiVersion": "v1", "kind": "Binding",
            "metadata": ["name": .string(key.name), "namespace": .string(key.namespace ?? ""), "uid": pod[path: "metadata", "uid"] ?? .null],
            "target": ["apiVersion": "v1", "kind": "Node", "name": .string(node)],
        ]
        do throws(APIError) {
            try await client.createSubresource(.pods, namespace: key.namespace, name: key.name, subresource: "binding", binding)
            recorder.record(pod, type: .normal, reason: "Scheduled", message: "Successfully assigned \(key) to \(node)")
            Self.recordAttempt("scheduled", since: attemptStarted)
        } catch {
            Self.recordAttempt("error", since: attemptStarted)
            shared.withLock { shared in
                shared.assumed.remove(key)
                if shared.snapshot.pod(namespace: key.namespace ?? "", name: key.name)?.nodeName == node,
                    !Self.isAssigned(pods.get(key) ?? .null)
                {
                    _ = shared.snapshot.removePod(namespace: key.namespace ?? "", name: key.name)
                }
            }
            if error.isNotFound { return }
            logger.debug("binding failed", metadata: ["pod": "\(key)", "node": "\(node)", "error": "\(error.message)"])
            queue.requeue(entry, unschedulable: false, cycleWhenPopped: cycle)
        }
    }

    /// Records why the pod did not fit — condition, event, nominated node — and evicts preemption victims.
    private func reportUnschedulable(_ pod: JSONValue, fitError: FitError, preemption: PreemptionResult?) async {
        let key = ObjectKey(pod)
        let message = fitError.message
        recorder.record(pod, type: .warning, reason: "FailedScheduling", message: message)
        if let preemption {
            for victim in preemption.victims {
                await evict(victim, preemptor: pod, node: preemption.nominatedNode)
            }
        }
        let existing = pod[path: "status", "conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "PodScheduled" }
        let nominated = preemption?.nominatedNode
        if existing?["reason"]?.stringValue == "Unschedulable" && existing?["message"]?.stringValue == message
            && (nominated == nil || pod[path: "status", "nominatedNodeName"]?.stringValue == nominated)
        {
            return
        }
        var status: JSONValue = [
            "conditions": [
                [
                    "type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": .string(message), "lastProbeTime": .null,
                    "lastTransitionTime": existing?["status"]?.stringValue == "False"
                        ? existing?["lastTransitionTime"] ?? .string(KubeTime.format(Date())) : .string(KubeTime.format(Date())),
                ]
            ]
        ]
        if let nominated { status["nominatedNodeName"] = .string(nominated) }
        do throws(APIError) {
            _ = try await client.patch(
                .pods, namespace: key.namespace, name: key.name, type: .strategicMerge, ["status": status], subresource: "status")
        } catch {
            logger.debug("pod condition not written", metadata: ["pod": "\(key)", "error": "\(error.message)"])
        }
    }

    private func evict(_ victim: PodInfo, preemptor: JSONValue, node: String) async {
        let preemptorUID = preemptor.metadata.uid
        let condition: JSONValue = [
            "status": [
                "conditions": [
                    [
                        "type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler",
                        "message": .string("\(name): preempting to accommodate a higher priority pod"),
                        "lastTransitionTime": .string(KubeTime.format(Date())),
                    ]
                ]
            ]
        ]
        do throws(APIError) {
            _ = try await client.patch(.pods, namespace: victim.namespace, name: victim.name, type: .strategicMerge, condition, subresource: "status")
            try await client.delete(.pods, namespace: victim.namespace, name: victim.name, options: ["preconditions": ["uid": .string(victim.uid)]])
            recorder.record(victim.object, type: .normal, reason: "Preempted", message: "Preempted by pod \(preemptorUID) on node \(node)")
        } catch {
            logger.debug("preemption victim not deleted", metadata: ["pod": "\(victim.namespace)/\(victim.name)", "error": "\(error.message)"])
        }
    }
}
