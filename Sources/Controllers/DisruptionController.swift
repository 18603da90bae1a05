import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging

/// Keeps each PodDisruptionBudget's status current (healthy, desired and allowed disruptions), which is what
/// eviction — and so `kubectl drain` — consults.
public final class DisruptionController: Sendable {
    private let client: KubeClient
    private let budgets: Informer
    private let pods: Informer
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let queue = WorkQueue<ObjectKey>()
    /// Evicted pods stay counted as disrupted this long unless they disappear first (Kubernetes' 2 minutes).
    static let disruptedPodTimeout: TimeInterval = 120

    public init(context: ControllerContext, now: @escaping @Sendable () -> Date = { Date() }) {
        client = context.client
        budgets = context.informer(.podDisruptionBudgets)
        pods = context.informer(.pods)
        logger = context.logger
        self.now = now
    }

    public func run() async {
        let enqueueBudgets: @Sendable (JSONValue) -> Void = { [self] pod in
            for budget in budgetsSelecting(pod) { queue.add(ObjectKey(budget)) }
        }
        let watches: [Watch] = [
            .own(budgets, into: queue),
            Watch(
                pods,
                InformerHandler(
                    onAdd: enqueueBudgets,
                    onUpdate: { old, new in
                        enqueueBudgets(new)
                        if old[path: "metadata", "labels"] != new[path: "metadata", "labels"] { enqueueBudgets(old) }
                    },
                    onDelete: enqueueBudgets)),
        ]
        await ControllerWorkers.run(queue, watching: watches, workers: 1, name: "disruption", logger: logger) { key throws(APIError) in
            try await self.reconcile(key)
        }
    }

    private func budgetsSelecting(_ pod: JSONValue) -> [JSONValue] {
        let namespace = pod.metadata.namespace
        let labels = pod.metadata.labels
        return budgets.list { budget in
            guard budget.metadata.namespace == namespace else { return false }
            return Self.selector(budget).map { $0.matches(labels) } ?? false
        }
    }

    private func reconcile(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard var budget = budgets.get(key) else { return .done }
        let spec = budget["spec"] ?? .emptyObject
        let selector = Self.selector(budget) ?? .nothing
        let matching = pods.list { pod in
            pod.metadata.namespace == key.namespace && selector.matches(pod.metadata.labels)
        }
        var disrupted = budget[path: "status", "disruptedPods"]?.objectValue ?? [:]
        let current = now()
        let live = Set(matching.compactMap { !$0.metadata.isDeleting ? $0.metadata.name : nil })
        disrupted = disrupted.filter { name, stamp in
            guard live.contains(name), let evicted = stamp.stringValue.flatMap(KubeTime.parse) else { return false }
            return current.timeIntervalSince(evicted) < Self.disruptedPodTimeout
        }
        let healthy = Int64(
            matching.filter { pod in
                DisruptionBudget.isHealthy(pod) && disrupted[pod.metadata.name] == nil
            }.count)
        var expected = Int64(matching.count)
        if DisruptionBudget.needsScale(spec) {
            expected = try await expectedReplicas(of: matching)
        }
        let counts = DisruptionBudget.counts(spec: spec, healthy: healthy, expected: expected)
        var status = budget["status"] ?? .emptyObject
        status["observedGeneration"] = budget[path: "metadata", "generation"] ?? 1
        status["expectedPods"] = .integer(counts.expectedPods)
        status["currentHealthy"] = .integer(counts.currentHealthy)
        status["desiredHealthy"] = .integer(counts.desiredHealthy)
        status["disruptionsAllowed"] = .integer(counts.disruptionsAllowed)
        status["disruptedPods"] = disrupted.isEmpty ? JSONValue?.none : .object(disrupted)
        let allowed = counts.disruptionsAllowed > 0
        let previous = status["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "DisruptionAllowed" }
        let conditionStatus: JSONValue = allowed ? "True" : "False"
        var condition: JSONValue = [
            "type": "DisruptionAllowed", "status": conditionStatus, "reason": allowed ? "SufficientPods" : "InsufficientPods", "message": "",
            "observedGeneration": status["observedGeneration"] ?? 1,
            "lastTransitionTime": previous?["status"] == conditionStatus ? previous?["lastTransitionTime"] ?? .string(KubeTime.format(current)) : .string(KubeTime.format(current)),
        ]
        if previous?["status"] == conditionStatus, let message = previous?["message"] { condition["message"] = message }
        status["conditions"] = [condition]
        guard status != budget["status"] else { return .done }
        budget["status"] = status
        _ = try await client.update(.podDisruptionBudgets, budget, subresource: "status")
        // Disrupted-pod entries expire: look again when the oldest one does.
        return disrupted.isEmpty ? .done : .requeue(after: .seconds(Int64(Self.disruptedPodTimeout)))
    }

    /// The replicas the pods' controllers ask for (a ReplicaSet's Deployment counts as the controller), as
    /// Kubernetes' `getExpectedScale`; pods without a controller count as one each.
    private func expectedReplicas(of pods: [JSONValue]) async throws(APIError) -> Int64 {
        var counted: Set<String> = []
        var total: Int64 = 0
        for pod in pods {
            guard let owner = pod.metadata.controllerRef else {
                total += 1
                continue
            }
            guard !counted.contains(owner.uid) else { continue }
            counted.insert(owner.uid)
            let namespace = pod.metadata.namespace
            let resource: ResourceType
            switch owner.kind {
            case "ReplicaSet": resource = .replicaSets
            case "StatefulSet": resource = .statefulSets
            case "ReplicationController": resource = .replicationControllers
            case "Deployment": resource = .deployments
            default:
                total += 1
                continue
            }
            do throws(APIError) {
                var object = try await client.get(resource, namespace: namespace, name: owner.name)
                if resource == .replicaSets, let deployment = object.metadata.controller(kind: "Deployment") {
                    guard !counted.contains(deployment.uid) else { continue }
                    counted.insert(deployment.uid)
                    object = try await client.get(.deployments, namespace: namespace, name: deployment.name)
                }
                total += object[path: "spec", "replicas"]?.integerValue ?? 1
            } catch where error.isNotFound {
                continue
            }
        }
        return total
    }

    static func selector(_ budget: JSONValue) -> LabelSelector? {
        guard let selector = budget[path: "spec", "selector"] else { return nil }
        return try? LabelSelector(object: selector)
    }
}
