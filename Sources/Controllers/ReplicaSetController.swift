import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging

/// Keeps `spec.replicas` pods running for each ReplicaSet — or, as a second instance, each ReplicationController —
/// as Kubernetes' replicaset controller does: creates missing pods from the template, deletes surplus ones, adopts
/// matching orphans, releases pods that stopped matching, and reports the counts in the status.
public final class ReplicaSetController: Sendable {
    /// The owner resource this instance manages; the two differ only in how the selector is written.
    public enum Kind: Sendable {
        case replicaSet
        case replicationController

        var resource: ResourceType {
            switch self {
            case .replicaSet: .replicaSets
            case .replicationController: .replicationControllers
            }
        }

        var name: String {
            switch self {
            case .replicaSet: "replicaset"
            case .replicationController: "replicationcontroller"
            }
        }

        /// The owner's selector: a `LabelSelector` for ReplicaSets, a label map (defaulting to the template's
        /// labels) for ReplicationControllers. An unreadable selector selects nothing, so no pod is touched.
        func selector(of owner: JSONValue) -> LabelSelector {
            switch self {
            case .replicaSet:
                guard let selector = owner[path: "spec", "selector"] else { return .nothing }
                return (try? LabelSelector(object: selector)) ?? .nothing
            case .replicationController:
                let map = owner[path: "spec", "selector"]?.objectValue ?? owner[path: "spec", "template", "metadata", "labels"]?.objectValue ?? [:]
                let labels = map.compactMapValues(\.stringValue)
                return labels.isEmpty ? .nothing : LabelSelector(matchLabels: labels)
            }
        }
    }

    private let kind: Kind
    private let client: KubeClient
    private let owners: Informer
    private let pods: Informer
    private let recorder: EventRecorder
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let expectations: ControllerExpectations
    private let queue = WorkQueue<ObjectKey>()
    /// At most this many pods are created or deleted per reconcile (Kubernetes' `BurstReplicas`).
    static let burstReplicas = 500
    static let workers = 5

    public init(kind: Kind, context: ControllerContext, now: @escaping @Sendable () -> Date = { Date() }) {
        self.kind = kind
        client = context.client
        owners = context.informer(kind.resource)
        pods = context.informer(.pods)
        recorder = context.recorder(component: kind == .replicaSet ? "replicaset-controller" : "replication-controller")
        logger = context.logger
        self.now = now
        self.expectations = ControllerExpectations(now: now)
    }

    public func run() async {
        let watches = [
            Watch(
                owners,
                InformerHandler(
                    onAdd: { [self] owner in queue.add(ObjectKey(owner)) },
                    onUpdate: { [self] _, owner in queue.add(ObjectKey(owner)) },
                    onDelete: { [self] owner in
                        expectations.forget(ObjectKey(owner))
                        queue.add(ObjectKey(owner))
                    })),
            Watch(
                pods,
                InformerHandler(
                    onAdd: { [self] pod in podAdded(pod) },
                    onUpdate: { [self] old, new in podUpdated(old, new) },
                    onDelete: { [self] pod in podDeleted(pod) })),
        ]
        await ControllerWorkers.run(queue, watching: watches, workers: Self.workers, name: "\(kind.name)-controller", logger: logger) {
            key throws(APIError) in
            try await self.reconcile(key)
        }
    }

    // MARK: Pod events
    // Besides enqueueing owners, these record what the informer has seen of the creations and deletions the
    // controller asked for: the expectations must follow the cache exactly, so they are lowered where it changes.

    private func podAdded(_ pod: JSONValue) {
        if pod.metadata.isDeleting {
            // Restored by a relist already on its way out: for counting, it is gone.
            return podDeleted(pod)
        }
        if let ref = pod.metadata.controllerRef {
            guard let key = owner(of: pod, ref: ref) else { return }
            expectations.creationObserved(key)
            queue.add(key)
            return
        }
        for key in ownersSelecting(pod) { queue.add(key) }
    }

    private func podUpdated(_ old: JSONValue, _ new: JSONValue) {
        guard old[path: "metadata", "resourceVersion"] != new[path: "metadata", "resourceVersion"] else { return }
        let labelsChanged = old[path: "metadata", "labels"] != new[path: "metadata", "labels"]
        if new.metadata.isDeleting {
            // A graceful deletion has begun; the pod no longer counts, so the deletion is observed now rather than
            // when the kubelet confirms it.
            podDeleted(new)
            if labelsChanged { podDeleted(old) }
            return
        }
        let oldRef = old.metadata.controllerRef, newRef = new.metadata.controllerRef
        if oldRef?.uid != newRef?.uid, let oldRef, let key = owner(of: old, ref: oldRef) {
            queue.add(key)
        }
        if let newRef {
            if let key = owner(of: new, ref: newRef) { queue.add(key) }
            return
        }
        if labelsChanged || oldRef != nil {
            for key in ownersSelecting(new) { queue.add(key) }
        }
    }

    private func podDeleted(_ pod: JSONValue) {
        guard let ref = pod.metadata.controllerRef, let key = owner(of: pod, ref: ref) else { return }
        expectations.deletionObserved(key, podName: pod.metadata.name)
        queue.add(key)
    }

    /// The cached owner a controller reference points to, if it is of this controller's kind and the same object.
    private func owner(of pod: JSONValue, ref: OwnerReference) -> ObjectKey? {
        guard ref.kind == kind.resource.kind, ref.apiVersion == kind.resource.apiVersion else { return nil }
        let key = ObjectKey(namespace: pod.metadata.namespace, name: ref.name)
        guard let owner = owners.get(key), owner.metadata.uid == ref.uid else { return nil }
        return key
    }

    private func ownersSelecting(_ pod: JSONValue) -> [ObjectKey] {
        let namespace = pod.metadata.namespace
        let labels = pod.metadata.labels
        return owners.list { owner in
            owner.metadata.namespace == namespace && kind.selector(of: owner).matches(labels)
        }.map { ObjectKey($0) }
    }

    // MARK: Reconcile

    private func reconcile(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard let owner = owners.get(key) else {
            expectations.forget(key)
            return .done
        }
        // Read before listing the pods: an event that meets the expectations in between also enqueues this key, so
        // the list read here is never trusted beyond what the expectations vouched for.
        let ready = expectations.satisfied(key)
        let owned = try await claimPods(of: owner, key: key)
        var failure: APIError?
        if ready, !owner.metadata.isDeleting {
            do throws(APIError) {
                try await manageReplicas(owner, key: key, owned: owned)
            } catch {
                failure = error
            }
        }
        let minReadySeconds = ReplicaSet(owner).spec.minReadySeconds
        let current = now()
        let counts = ReplicaSetStatus(
            pods: owned, templateLabels: (ReplicaSet(owner).spec.template ?? .emptyObject).metadata.labels, minReadySeconds: minReadySeconds, now: current)
        let desired = ReplicaSet(owner).spec.replicas
        let status = counts.applied(
            to: owner["status"], generation: owner[path: "metadata", "generation"],
            failure: failure.map { .init(reason: Int64(owned.count) < desired ? "FailedCreate" : "FailedDelete", message: $0.message) },
            now: current)
        if status != owner["status"] {
            var updated = owner
            updated["status"] = status
            _ = try await client.update(kind.resource, updated, subresource: "status")
        }
        if let failure { throw failure }
        // Pods becoming available and expectations timing out change nothing the informers would report.
        var delays: [TimeInterval] = []
        if let next = counts.nextAvailable { delays.append(next.timeIntervalSince(current)) }
        if let remaining = expectations.remaining(key) { delays.append(remaining) }
        guard let delay = delays.min() else { return .done }
        return .requeue(after: .milliseconds(Int64(max(0, delay) * 1000) + 1))
    }

    /// The owner's active pods after adopting matching orphans and releasing pods that stopped matching.
    private func claimPods(of owner: JSONValue, key: ObjectKey) async throws(APIError) -> [JSONValue] {
        let selector = kind.selector(of: owner)
        let uid = owner.metadata.uid
        let deleting = owner.metadata.isDeleting
        let candidates = pods.list { pod in
            pod.metadata.namespace == key.namespace && PodReadiness.isActive(pod)
        }
        var owned: [JSONValue] = []
        // Whether the API server confirms the cached owner may adopt: asked once, before the first adoption.
        var mayAdopt: Bool?
        var failure: APIError?
        for pod in candidates {
            let name = pod.metadata.name
            switch ControllerRef.claim(pod: pod, ownerUID: uid, ownerDeleting: deleting, selected: selector.matches(pod.metadata.labels)) {
            case .keep:
                owned.append(pod)
            case .ignore:
                continue
            case .adopt:
                do throws(APIError) {
                    if mayAdopt == nil { mayAdopt = try await ownerIsCurrent(key: key, uid: uid) }
                    guard mayAdopt == true else {
                        // Retried with back-off; by then the informer has caught up with the owner's deletion.
                        failure = APIError.conflict(
                            GroupResource(group: kind.resource.group, resource: kind.resource.resource), name: key.name,
                            detail: "the cached object is stale")
                        continue
                    }
                    let patch = ControllerRef.adoptionPatch(pod, reference: ControllerRef.reference(to: owner, resource: kind.resource))
                    owned.append(try await client.patch(.pods, namespace: key.namespace, name: name, type: .merge, patch))
                } catch where error.isNotFound {
                    continue
                } catch {
                    failure = failure ?? error
                }
            case .release:
                do throws(APIError) {
                    _ = try await client.patch(.pods, namespace: key.namespace, name: name, type: .merge, ControllerRef.releasePatch(pod, ownerUID: uid))
                } catch where error.isNotFound {
                    continue
                } catch {
                    failure = failure ?? error
                }
            }
        }
        if let failure { throw failure }
        return owned
    }

    /// Whether the owner the API server has now is the cached one and not being deleted: the cache may be behind a
    /// deletion or a re-creation under the same name, and only the current owner may adopt.
    private func ownerIsCurrent(key: ObjectKey, uid: String) async throws(APIError) -> Bool {
        let fresh: JSONValue
        do throws(APIError) {
            fresh = try await client.get(kind.resource, namespace: key.namespace, name: key.name)
        } catch where error.isNotFound {
            return false
        }
        return fresh.metadata.uid == uid && !fresh.metadata.isDeleting
    }

    /// Creates or deletes pods to close the gap between the owned pods and `spec.replicas`.
    private func manageReplicas(_ owner: JSONValue, key: ObjectKey, owned: [JSONValue]) async throws(APIError) {
        let desired = Int(ReplicaSet(owner).spec.replicas)
        let diff = owned.count - desired
        if diff < 0 {
            try await createPods(min(-diff, Self.burstReplicas), owner: owner, key: key)
        } else if diff > 0 {
            try await deletePods(ActivePods.victims(owned, count: min(diff, Self.burstReplicas)), owner: owner, key: key)
        }
    }

    private func createPods(_ count: Int, owner: JSONValue, key: ObjectKey) async throws(APIError) {
        guard let template = ReplicaSet(owner).spec.template else { return }
        let pod = ControllerRef.pod(from: template, owner: owner, resource: kind.resource)
        expectations.expectCreations(key, count)
        var attempted = 0
        for size in SlowStart.batches(count) {
            attempted += size
            let errors = await withTaskGroup(of: APIError?.self) { group in
                for _ in 0..<size {
                    group.addTask { [self] in
                        do throws(APIError) {
                            let created = try await client.create(.pods, namespace: key.namespace, pod)
                            recorder.record(
                                owner, type: .normal, reason: "SuccessfulCreate",
                                message: "Created pod: \(created.metadata.name)")
                            return nil
                        } catch {
                            // The informer will never see this pod.
                            expectations.creationObserved(key)
                            recorder.record(owner, type: .warning, reason: "FailedCreate", message: "Error creating: \(error.message)")
                            return error
                        }
                    }
                }
                var errors: [APIError] = []
                for await error in group { if let error { errors.append(error) } }
                return errors
            }
            if let first = errors.first {
                // Later batches are skipped: their pods will not appear either.
                for _ in attempted..<count { expectations.creationObserved(key) }
                throw first
            }
        }
    }

    private func deletePods(_ victims: [JSONValue], owner: JSONValue, key: ObjectKey) async throws(APIError) {
        let names = victims.compactMap { $0.metadata.name }
        expectations.expectDeletions(key, names)
        let errors = await withTaskGroup(of: APIError?.self) { group in
            for victim in victims {
                let name = victim.metadata.name
                // The uid precondition makes sure the pod ranked is the pod deleted, not a namesake.
                let options: JSONValue = ["preconditions": ["uid": victim[path: "metadata", "uid"] ?? ""]]
                group.addTask { [self] in
                    do throws(APIError) {
                        try await client.delete(.pods, namespace: key.namespace, name: name, options: options)
                        recorder.record(owner, type: .normal, reason: "SuccessfulDelete", message: "Deleted pod: \(name)")
                        return nil
                    } catch {
                        expectations.deletionObserved(key, podName: name)
                        if error.isNotFound { return nil }
                        recorder.record(owner, type: .warning, reason: "FailedDelete", message: "Error deleting: \(error.message)")
                        return error
                    }
                }
            }
            var errors: [APIError] = []
            for await error in group { if let error { errors.append(error) } }
            return errors
        }
        if let first = errors.first { throw first }
    }
}
