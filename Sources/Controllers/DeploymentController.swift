import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging

/// Rolls Deployments out through ReplicaSets, as Kubernetes' deployment controller: one ReplicaSet per pod template
/// (`<name>-<pod-template-hash>`), revisions in `deployment.kubernetes.io/revision`, RollingUpdate within
/// `maxSurge`/`maxUnavailable` or Recreate, `paused`, `revisionHistoryLimit`, and the status and conditions
/// (`Available`, `Progressing` with `ProgressDeadlineExceeded`) that `kubectl rollout status` reads.
public final class DeploymentController: Sendable {
    static let hashLabel = "pod-template-hash"
    static let revisionAnnotation = "deployment.kubernetes.io/revision"
    static let desiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
    static let maxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"
    /// Deployment annotations that are not copied to its ReplicaSets (Kubernetes' skip list).
    static let uncopiedAnnotations: Set<String> = [
        "kubectl.kubernetes.io/last-applied-configuration", revisionAnnotation, "deployment.kubernetes.io/revision-history",
        desiredReplicasAnnotation, maxReplicasAnnotation, "deprecated.deployment.rollback.to",
    ]

    let client: KubeClient
    private let deployments: Informer
    private let replicaSets: Informer
    /// Pods, so that Recreate starts new pods only once the old ones are gone (terminating ones included).
    private let pods: Informer
    private let recorder: EventRecorder
    private let logger: Logger
    let now: @Sendable () -> Date
    private let queue = WorkQueue<ObjectKey>()

    public init(context: ControllerContext, now: @escaping @Sendable () -> Date = { Date() }) {
        client = context.client
        deployments = context.informer(.deployments)
        replicaSets = context.informer(.replicaSets)
        pods = context.informer(.pods)
        recorder = context.recorder(component: "deployment-controller")
        logger = context.logger
        self.now = now
    }

    public func run() async {
        let watches: [Watch] = [
            .own(deployments, into: queue), .owned(replicaSets, by: "Deployment", into: queue),
            // A Recreate rollout waits for the old pods to go: each one that does is a reason to look again.
            Watch(pods, InformerHandler(onDelete: { [self] pod in recreateKey(waitingFor: pod).map(queue.add) })),
        ]
        await ControllerWorkers.run(queue, watching: watches, workers: 2, name: "deployment", logger: logger) { key throws(APIError) in
            try await self.reconcile(key)
        }
    }

    /// The Recreate Deployment whose ReplicaSet owned `pod`, if any.
    private func recreateKey(waitingFor pod: JSONValue) -> ObjectKey? {
        guard let setKey = ObjectKey.owner(of: pod, kind: "ReplicaSet"), let replicaSet = replicaSets.get(setKey),
            let key = ObjectKey.owner(of: replicaSet, kind: "Deployment")
        else { return nil }
        return deployments.get(key).map { Deployment($0).spec.strategyType } == "Recreate" ? key : nil
    }

    static func revision(_ replicaSet: JSONValue) -> Int64 {
        replicaSet.metadata.annotations[revisionAnnotation].flatMap { Int64($0) } ?? 0
    }
    static func statusCount(_ replicaSet: JSONValue, _ field: String) -> Int64 { replicaSet[path: "status", field]?.integerValue ?? 0 }

    /// A template with the hash label removed, to compare a ReplicaSet's template with the Deployment's.
    static func withoutHash(_ template: JSONValue) -> JSONValue {
        var template = template
        template[path: "metadata", "labels", hashLabel] = nil
        // Go clients send `creationTimestamp: null` in templates; to Kubernetes that is the same as leaving it out.
        if template[path: "metadata", "creationTimestamp"] == .null { template[path: "metadata", "creationTimestamp"] = nil }
        if template[path: "metadata", "labels"]?.objectValue?.isEmpty == true { template[path: "metadata", "labels"] = nil }
        return template
    }

    private func reconcile(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard let deployment = deployments.get(key), !deployment.metadata.isDeleting,
            let uid = deployment[path: "metadata", "uid"]?.stringValue
        else { return .done }
        let spec = deployment["spec"] ?? .emptyObject
        let desired = Deployment(deployment).spec.replicas
        let template = spec["template"] ?? .emptyObject
        var owned = replicaSets.list { $0.metadata.controllerRef?.uid == uid }
        owned.sort { Self.revision($0) < Self.revision($1) }
        let paused = spec["paused"]?.boolValue == true
        var newSet = owned.first { Self.withoutHash(ReplicaSet($0).spec.template ?? .emptyObject) == Self.withoutHash(template) }
        let maxOldRevision = owned.filter { $0[path: "metadata", "uid"] != newSet?[path: "metadata", "uid"] }.map(Self.revision).max() ?? 0
        var createdName: String?

        if newSet == nil && !paused {
            newSet = try await createReplicaSet(for: deployment, key: key, revision: maxOldRevision + 1, owned: owned)
            createdName = newSet?.metadata.name
            if let newSet { owned.append(newSet) }
        } else if var existing = newSet, Self.revision(existing) <= maxOldRevision, !paused {
            // A rollback to an earlier template makes its ReplicaSet the newest revision again.
            existing[path: "metadata", "annotations", Self.revisionAnnotation] = .string(String(maxOldRevision + 1))
            newSet = try await client.update(.replicaSets, existing)
            return .done
        }
        // The new ReplicaSet follows the Deployment's annotations (e.g. `kubernetes.io/change-cause` for rollout history).
        if var current = newSet, !paused {
            var annotations = current[path: "metadata", "annotations"]?.objectValue ?? [:]
            for (name, value) in deployment[path: "metadata", "annotations"]?.objectValue ?? [:] where !Self.uncopiedAnnotations.contains(name) {
                annotations[name] = value
            }
            if JSONValue.object(annotations) != current[path: "metadata", "annotations"] ?? .emptyObject {
                current[path: "metadata", "annotations"] = .object(annotations)
                _ = try await client.update(.replicaSets, current)
                return .done
            }
        }
        // The Deployment carries its current revision too (kubectl's rollout undo and history read it).
        if let current = newSet, !paused {
            let revision = JSONValue.string(String(Self.revision(current)))
            if deployment[path: "metadata", "annotations", Self.revisionAnnotation] != revision {
                var annotated = deployment
                annotated[path: "metadata", "annotations", Self.revisionAnnotation] = revision
                _ = try await client.update(.deployments, annotated)
                return .done
            }
        }
        let newUID = newSet?[path: "metadata", "uid"]
        let old = owned.filter { $0[path: "metadata", "uid"] != newUID }

        // A changed replica count (`kubectl scale`, an autoscaler) is applied to the sets as they are before any
        // further rollout step, and is all that happens to a paused Deployment.
        let scaled = ([newSet].compactMap { $0 } + old).contains { replicaSet in
            ReplicaSet(replicaSet).spec.replicas > 0
                && replicaSet.metadata.annotations[Self.desiredReplicasAnnotation].flatMap { Int64($0) }
                    .map { $0 != desired } == true
        }
        if paused || scaled {
            try await scaleSets(deployment, newSet: newSet, old: old, desired: desired)
            if paused { try await cleanUpHistory(deployment, old: old) }
        } else if let current = newSet {
            if (spec[path: "strategy", "type"]?.stringValue ?? "RollingUpdate") == "Recreate" {
                try await recreate(deployment, newSet: current, old: old, desired: desired)
            } else {
                try await roll(deployment, newSet: current, old: old, desired: desired)
            }
            try await cleanUpHistory(deployment, old: old)
        }
        return try await writeStatus(deployment, newSet: newSet, all: owned, desired: desired, created: createdName, paused: paused)
    }

    private func createReplicaSet(for deployment: JSONValue, key: ObjectKey, revision: Int64, owned: [JSONValue]) async throws(APIError) -> JSONValue {
        let collisionCount = deployment[path: "status", "collisionCount"]?.integerValue
        var template = Self.withoutHash(Deployment(deployment).spec.template)
        let hash = DeploymentRollout.podTemplateHash(template: template, collisionCount: collisionCount)
        template[path: "metadata", "labels", Self.hashLabel] = .string(hash)
        var selector = Deployment(deployment).spec.selector ?? .emptyObject
        selector[path: "matchLabels", Self.hashLabel] = .string(hash)
        var annotations: [String: JSONValue] = [:]
        for (name, value) in deployment[path: "metadata", "annotations"]?.objectValue ?? [:] where !Self.uncopiedAnnotations.contains(name) {
            annotations[name] = value
        }
        let desired = Deployment(deployment).spec.replicas
        let (surge, _) = DeploymentRollout.fenceposts(of: deployment)
        annotations[Self.revisionAnnotation] = .string(String(revision))
        annotations[Self.desiredReplicasAnnotation] = .string(String(desired))
        annotations[Self.maxReplicasAnnotation] = .string(String(desired + surge))
        let name = "\(key.name)-\(hash)"
        let replicaSet: JSONValue = [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": [
                "name": .string(name), "namespace": .string(key.namespace ?? "default"),
                "labels": template[path: "metadata", "labels"] ?? .emptyObject, "annotations": .object(annotations),
                "ownerReferences": [
                    [
                        "apiVersion": "apps/v1", "kind": "Deployment", "name": .string(key.name), "uid": deployment[path: "metadata", "uid"] ?? .null,
                        "controller": true, "blockOwnerDeletion": true,
                    ]
                ],
            ],
            "spec": [
                "replicas": 0, "selector": selector, "template": template,
                "minReadySeconds": deployment[path: "spec", "minReadySeconds"] ?? 0,
            ],
        ]
        do throws(APIError) {
            return try await client.create(.replicaSets, namespace: key.namespace, replicaSet)
        } catch where error.isAlreadyExists {
            // A ReplicaSet of that name with another template is a hash collision: bump the count and try again.
            let existing = try await client.get(.replicaSets, namespace: key.namespace, name: name)
            if Self.withoutHash(ReplicaSet(existing).spec.template ?? .emptyObject) != Self.withoutHash(Deployment(deployment).spec.template) {
                var bumped = deployment
                bumped[path: "status", "collisionCount"] = .integer((collisionCount ?? 0) + 1)
                _ = try await client.update(.deployments, bumped, subresource: "status")
            }
            throw APIError.conflict(.init(group: "apps", resource: "replicasets"), name: name, detail: "replica set name in use; retrying")
        }
    }

    private func roll(_ deployment: JSONValue, newSet: JSONValue, old: [JSONValue], desired: Int64) async throws(APIError) {
        let (surge, unavailable) = DeploymentRollout.fenceposts(of: deployment)
        let total = ([newSet] + old).map { ReplicaSet($0).spec.replicas }.reduce(0, +)
        let activeOld = old.filter { ReplicaSet($0).spec.replicas > 0 }
        var target = DeploymentRollout.newReplicaSetReplicas(desired: desired, surge: surge, currentTotal: total, newReplicas: ReplicaSet(newSet).spec.replicas)
        if activeOld.isEmpty || ReplicaSet(newSet).spec.replicas > desired { target = desired }
        if target != ReplicaSet(newSet).spec.replicas {
            try await scale(newSet, to: target, deployment: deployment)
            return
        }
        // Old pods may go while at least `desired - maxUnavailable` pods stay available, counting the new set's
        // unavailable pods against that; old pods that are not available anyway go first (Kubernetes'
        // `reconcileOldReplicaSets`, `cleanupUnhealthyReplicas`, `scaleDownOldReplicaSetsForRollingUpdate`).
        let maxScaledDown = DeploymentRollout.oldReplicasToScaleDown(
            allReplicas: total, desired: desired, unavailable: unavailable, newReplicas: ReplicaSet(newSet).spec.replicas,
            newAvailable: Self.statusCount(newSet, "availableReplicas"))
        guard maxScaledDown > 0 else { return }
        // A set whose status counts more available pods than its spec asks for has not caught up with its last
        // scale-down: its controller has not looked since, or reported the pods it listed before deleting the
        // surplus. Taking those departing pods for available ones would take more old pods down than
        // `maxUnavailable` allows, so nothing goes until the status is current; its update brings the Deployment
        // back here. (Kubernetes' `cleanupUnhealthyReplicas` refuses such an old set and the sync scales nothing
        // down; every set is checked here, as every set's count goes into the available pods below.)
        guard ([newSet] + old).allSatisfy({ Self.statusCount($0, "availableReplicas") <= ReplicaSet($0).spec.replicas }) else { return }
        var sizes = activeOld.map { ReplicaSet($0).spec.replicas }
        var cleaned: Int64 = 0
        for (index, replicaSet) in activeOld.enumerated() where cleaned < maxScaledDown {
            let unhealthy = sizes[index] - Self.statusCount(replicaSet, "availableReplicas")
            guard unhealthy > 0 else { continue }
            let down = min(maxScaledDown - cleaned, unhealthy)
            try await scale(replicaSet, to: sizes[index] - down, deployment: deployment)
            sizes[index] -= down
            cleaned += down
        }
        guard cleaned == 0 else { return }
        let minAvailable = desired - unavailable
        let available = ([newSet] + old).map { Self.statusCount($0, "availableReplicas") }.reduce(0, +)
        var budget = available - minAvailable
        for (index, replicaSet) in activeOld.enumerated() where budget > 0 && sizes[index] > 0 {
            let down = min(budget, sizes[index])
            try await scale(replicaSet, to: sizes[index] - down, deployment: deployment)
            budget -= down
        }
    }

    private func recreate(_ deployment: JSONValue, newSet: JSONValue, old: [JSONValue], desired: Int64) async throws(APIError) {
        let activeOld = old.filter { ReplicaSet($0).spec.replicas > 0 }
        for replicaSet in activeOld { try await scale(replicaSet, to: 0, deployment: deployment) }
        // The new pods start only once every old pod is gone: terminating ones too, as they may still be running.
        guard activeOld.isEmpty, old.allSatisfy({ Self.statusCount($0, "replicas") == 0 }) else { return }
        let oldUIDs = Set(old.compactMap { $0.metadata.uid })
        let oldPodsRunning = pods.list { pod in
            guard let owner = pod.metadata.controllerRef?.uid, oldUIDs.contains(owner) else { return false }
            let phase = Pod(pod).status.phase
            return phase != "Succeeded" && phase != "Failed"
        }
        guard oldPodsRunning.isEmpty else { return }
        if ReplicaSet(newSet).spec.replicas != desired { try await scale(newSet, to: desired, deployment: deployment) }
    }

    /// Kubernetes' `scale` step: one active (or else the newest) ReplicaSet takes the whole count; a saturated new
    /// set means the old ones go; otherwise a rolling Deployment shares the change in proportion.
    private func scaleSets(_ deployment: JSONValue, newSet: JSONValue?, old: [JSONValue], desired: Int64) async throws(APIError) {
        let sets = old + [newSet].compactMap { $0 }
        let active = sets.filter { ReplicaSet($0).spec.replicas > 0 }
        if active.count <= 1 {
            guard let only = active.first ?? newSet ?? old.last else { return }
            try await scale(only, to: desired, deployment: deployment)
            return
        }
        if let current = newSet, ReplicaSet(current).spec.replicas == desired, Self.statusCount(current, "availableReplicas") == desired,
            current.metadata.annotations[Self.desiredReplicasAnnotation] == String(desired)
        {
            for replicaSet in old where ReplicaSet(replicaSet).spec.replicas > 0 { try await scale(replicaSet, to: 0, deployment: deployment) }
            return
        }
        guard Deployment(deployment).spec.strategyType == "RollingUpdate" else { return }
        let (surge, _) = DeploymentRollout.fenceposts(of: deployment)
        let sizes = DeploymentRollout.proportionalSizes(
            replicas: active.map { ReplicaSet($0).spec.replicas },
            maxReplicasBefore: active.map { $0.metadata.annotations[Self.maxReplicasAnnotation].flatMap { Int64($0) } },
            desired: desired, surge: surge, statusReplicas: deployment[path: "status", "replicas"]?.integerValue ?? 0)
        let total = active.map { ReplicaSet($0).spec.replicas }.reduce(0, +)
        let direction = sizes.reduce(0, +) > total ? "up" : "down"
        for (replicaSet, size) in zip(active, sizes) { try await scale(replicaSet, to: size, deployment: deployment, direction: direction) }
    }

    /// Sets a ReplicaSet's size and the Deployment size it was scaled for (the annotations proportional scaling reads);
    /// a size change is a `ScalingReplicaSet` event.
    private func scale(_ replicaSet: JSONValue, to replicas: Int64, deployment: JSONValue, direction: String? = nil) async throws(APIError) {
        let from = ReplicaSet(replicaSet).spec.replicas
        var updated = replicaSet
        updated[path: "spec", "replicas"] = .integer(replicas)
        let desired = Deployment(deployment).spec.replicas
        let (surge, _) = DeploymentRollout.fenceposts(of: deployment)
        updated[path: "metadata", "annotations", Self.desiredReplicasAnnotation] = .string(String(desired))
        updated[path: "metadata", "annotations", Self.maxReplicasAnnotation] = .string(String(desired + surge))
        guard updated != replicaSet else { return }
        _ = try await client.update(.replicaSets, updated)
        guard replicas != from else { return }
        let name = replicaSet.metadata.name
        let direction = direction ?? (replicas > from ? "up" : "down")
        recorder.record(deployment, type: .normal, reason: "ScalingReplicaSet", message: "Scaled \(direction) replica set \(name) from \(from) to \(replicas)")
    }

    /// Deletes the oldest scaled-down ReplicaSets beyond `revisionHistoryLimit` (10).
    private func cleanUpHistory(_ deployment: JSONValue, old: [JSONValue]) async throws(APIError) {
        let limit = Int(Deployment(deployment).spec.revisionHistoryLimit)
        let idle = old.filter { ReplicaSet($0).spec.replicas == 0 && Self.statusCount($0, "replicas") == 0 && !$0.metadata.isDeleting }
        guard idle.count > limit else { return }
        for replicaSet in idle.sorted(by: { Self.revision($0) < Self.revision($1) }).prefix(idle.count - limit) {
            let options: JSONValue = ["propagationPolicy": "Background", "preconditions": ["uid": replicaSet[path: "metadata", "uid"] ?? .null]]
            do throws(APIError) {
                try await client.delete(
                    .replicaSets, namespace: replicaSet.metadata.namespace,
                    name: replicaSet.metadata.name, options: options)
            } catch where error.isNotFound || error.isConflict {
                continue
            }
        }
    }
}
