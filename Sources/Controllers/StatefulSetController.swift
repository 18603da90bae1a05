import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging

/// Runs StatefulSets as Kubernetes' statefulset controller: pods `<name>-0…N-1` with stable names and hostnames,
/// one PersistentVolumeClaim per pod and claim template (`<claim>-<name>-<ordinal>`, kept when the pod is replaced),
/// created in order — each after the previous is Running and Ready (OrderedReady) or all at once (Parallel) —
/// removed in reverse order, and updated from the highest ordinal down to `partition` (RollingUpdate) or left for
/// the user to delete (OnDelete). `persistentVolumeClaimRetentionPolicy` decides whether claims go with the set
/// (`whenDeleted`) or with pods removed by a scale-down (`whenScaled`), through owner references the garbage
/// collector follows; by default they stay. Each template is recorded as a ControllerRevision, whose name the pods carry in
/// their `controller-revision-hash` label and the status in `currentRevision`/`updateRevision`.
public final class StatefulSetController: Sendable {
    static let podNameLabel = "statefulset.kubernetes.io/pod-name"
    static let podIndexLabel = "apps.kubernetes.io/pod-index"

    private let client: KubeClient
    private let statefulSets: Informer
    private let pods: Informer
    private let revisions: Informer
    private let claims: Informer
    private let history: ControllerHistory
    private let recorder: EventRecorder
    private let logger: Logger
    private let queue = WorkQueue<ObjectKey>()

    public init(context: ControllerContext) {
        client = context.client
        statefulSets = context.informer(.statefulSets)
        pods = context.informer(.pods)
        revisions = context.informer(.controllerRevisions)
        claims = context.informer(.persistentVolumeClaims)
        history = ControllerHistory(client: client, revisions: revisions, owner: .statefulSets)
        recorder = context.recorder(component: "statefulset-controller")
        logger = context.logger
    }

    public func run() async {
        let watches: [Watch] = [
            .own(statefulSets, into: queue), .owned(pods, by: "StatefulSet", into: queue), .owned(revisions, by: "StatefulSet", into: queue),
            .cache(claims),
        ]
        await ControllerWorkers.run(queue, watching: watches, workers: 2, name: "statefulset", logger: logger) { key throws(APIError) in
            try await self.reconcile(key)
        }
    }


    /// The ordinal in `<set>-<ordinal>`, or nil for a pod not named like the set's.
    static func ordinal(of pod: JSONValue, set: String) -> Int? {
        guard let name = pod[path: "metadata", "name"]?.stringValue, name.hasPrefix("\(set)-") else { return nil }
        return Int(name.dropFirst(set.count + 1))
    }

    static func isRunningAndReady(_ pod: JSONValue) -> Bool {
        Pod(pod).status.phase == "Running" && DisruptionBudget.isHealthy(pod)
    }

    static func claimName(template: JSONValue, set: String, ordinal: Int) -> String {
        "\(template[path: "metadata", "name"]?.stringValue ?? "data")-\(set)-\(ordinal)"
    }

    private func reconcile(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard let set = statefulSets.get(key), !set.metadata.isDeleting,
            let uid = set[path: "metadata", "uid"]?.stringValue
        else { return .done }
        let name = key.name
        let spec = set["spec"] ?? .emptyObject
        let replicas = Int(spec["replicas"]?.integerValue ?? 1)
        let ordered = (spec["podManagementPolicy"]?.stringValue ?? "OrderedReady") == "OrderedReady"
        let hash = DeploymentRollout.podTemplateHash(template: spec["template"] ?? .emptyObject, collisionCount: nil)
        let recorded = try await history.record(set, hash: hash)
        let revision = recorded[path: "metadata", "name"]?.stringValue ?? ControllerHistory.name(owner: name, hash: hash)
        var byOrdinal: [Int: JSONValue] = [:]
        for pod in pods.list(where: { $0.metadata.controllerRef?.uid == uid }) {
            if let ordinal = Self.ordinal(of: pod, set: name) { byOrdinal[ordinal] = pod }
        }

        // Failed or finished pods are replaced: delete them; the next pass creates them again.
        for (_, pod) in byOrdinal where JobController.isFinished(pod) && !pod.metadata.isDeleting {
            try await deletePod(pod, set: set)
            return .done
        }
        // Create missing pods, lowest ordinal first.
        for ordinal in 0..<replicas {
            if let pod = byOrdinal[ordinal] {
                if ordered && !Self.isRunningAndReady(pod) { return try await writeStatus(set, pods: byOrdinal, replicas: replicas, revision: revision) }
                continue
            }
            try await createPod(ordinal: ordinal, set: set, key: key, revision: revision)
            if ordered { return try await writeStatus(set, pods: byOrdinal, replicas: replicas, revision: revision) }
        }
        try await syncClaimOwners(set, pods: byOrdinal, replicas: replicas)
        // Remove surplus pods, highest ordinal first; in order, one at a time.
        for ordinal in byOrdinal.keys.filter({ $0 >= replicas }).sorted(by: >) {
            guard let pod = byOrdinal[ordinal] else { continue }
            if !pod.metadata.isDeleting { try await deletePod(pod, set: set) }
            if ordered { return try await writeStatus(set, pods: byOrdinal, replicas: replicas, revision: revision) }
        }
        // Rolling update: from the highest ordinal down to the partition, one pod at a time, once all are ready.
        if (spec[path: "updateStrategy", "type"]?.stringValue ?? "RollingUpdate") == "RollingUpdate" {
            let partition = Int(spec[path: "updateStrategy", "rollingUpdate", "partition"]?.integerValue ?? 0)
            let current = (0..<replicas).compactMap { byOrdinal[$0] }
            if current.count == replicas && current.allSatisfy(Self.isRunningAndReady) {
                for ordinal in (partition..<replicas).reversed() {
                    guard let pod = byOrdinal[ordinal], pod.metadata.labels[DaemonSetController.revisionLabel] != revision
                    else { continue }
                    try await deletePod(pod, set: set)
                    break
                }
            }
        }
        return try await writeStatus(set, pods: byOrdinal, replicas: replicas, revision: revision)
    }

    private func writeStatus(_ set: JSONValue, pods: [Int: JSONValue], replicas: Int, revision: String) async throws(APIError) -> ReconcileResult {
        let live = pods.values.filter { !$0.metadata.isDeleting }
        let updated = live.filter { $0.metadata.labels[DaemonSetController.revisionLabel] == revision }
        let ready = live.filter(Self.isRunningAndReady)
        var status = set["status"] ?? .emptyObject
        status["observedGeneration"] = set[path: "metadata", "generation"] ?? 1
        status["replicas"] = .integer(Int64(live.count))
        status["readyReplicas"] = .integer(Int64(ready.count))
        status["availableReplicas"] = .integer(Int64(ready.count))
        status["currentReplicas"] = .integer(Int64(updated.count))
        status["updatedReplicas"] = .integer(Int64(updated.count))
        status["updateRevision"] = .string(revision)
        if updated.count == replicas || status["currentRevision"] == nil { status["currentRevision"] = .string(revision) }
        status["collisionCount"] = status["collisionCount"] ?? 0
        if status != set["status"] {
            var changed = set
            changed["status"] = status
            _ = try await client.update(.statefulSets, changed, subresource: "status")
        }
        // Revisions pods still run, and the current and update ones, are kept beyond the history limit.
        var inUse = Set(pods.values.compactMap { $0.metadata.labels[DaemonSetController.revisionLabel] })
        for name in [status["currentRevision"], status["updateRevision"]].compactMap({ $0?.stringValue }) { inUse.insert(name) }
        try await history.truncate(set, live: inUse)
        return .done
    }

    private func createPod(ordinal: Int, set: JSONValue, key: ObjectKey, revision: String) async throws(APIError) {
        let name = key.name
        let podName = "\(name)-\(ordinal)"
        let template = set[path: "spec", "template"] ?? .emptyObject
        var podSpec = template["spec"] ?? .emptyObject
        var volumes = podSpec["volumes"]?.arrayValue ?? []
        for claimTemplate in set[path: "spec", "volumeClaimTemplates"]?.arrayValue ?? [] {
            let claim = Self.claimName(template: claimTemplate, set: name, ordinal: ordinal)
            try await ensureClaim(claim, template: claimTemplate, set: set, key: key, podName: podName)
            let volumeName = claimTemplate[path: "metadata", "name"]?.stringValue ?? "data"
            volumes.removeAll { $0["name"]?.stringValue == volumeName }
            volumes.append(["name": .string(volumeName), "persistentVolumeClaim": ["claimName": .string(claim)]])
        }
        if !volumes.isEmpty { podSpec["volumes"] = .array(volumes) }
        podSpec["hostname"] = .string(podName)
        if let service = set[path: "spec", "serviceName"]?.stringValue, !service.isEmpty { podSpec["subdomain"] = .string(service) }
        var labels = template[path: "metadata", "labels"]?.objectValue ?? [:]
        labels[Self.podNameLabel] = .string(podName)
        labels[Self.podIndexLabel] = .string(String(ordinal))
        labels[DaemonSetController.revisionLabel] = .string(revision)
        var metadata: [String: JSONValue] = [
            "name": .string(podName), "namespace": .string(key.namespace ?? "default"), "labels": .object(labels),
            "ownerReferences": [
                [
                    "apiVersion": "apps/v1", "kind": "StatefulSet", "name": .string(name), "uid": set[path: "metadata", "uid"] ?? .null,
                    "controller": true, "blockOwnerDeletion": true,
                ]
            ],
        ]
        metadata["annotations"] = template[path: "metadata", "annotations"]
        let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": podSpec]
        do throws(APIError) {
            _ = try await client.create(.pods, namespace: key.namespace, pod)
            recorder.record(set, type: .normal, reason: "SuccessfulCreate", message: "create Pod \(podName) in StatefulSet \(name) successful")
        } catch where error.isAlreadyExists {
            return
        }
    }

    private func ensureClaim(_ claim: String, template: JSONValue, set: JSONValue, key: ObjectKey, podName: String) async throws(APIError) {
        var metadata = template["metadata"]?.objectValue ?? [:]
        metadata["name"] = .string(claim)
        metadata["namespace"] = .string(key.namespace ?? "default")
        var labels = metadata["labels"]?.objectValue ?? [:]
        for (label, value) in set[path: "spec", "selector", "matchLabels"]?.objectValue ?? [:] { labels[label] = value }
        metadata["labels"] = labels.isEmpty ? JSONValue?.none : .object(labels)
        let object: JSONValue = [
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": .object(metadata), "spec": template["spec"] ?? .emptyObject,
        ]
        do throws(APIError) {
            _ = try await client.create(.persistentVolumeClaims, namespace: key.namespace, object)
            recorder.record(
                set, type: .normal, reason: "SuccessfulCreate", message: "create Claim \(claim) Pod \(podName) in StatefulSet \(key.name) success")
        } catch where error.isAlreadyExists {
            // Claims outlive their pods: a replaced pod gets its old claim back.
            return
        }
    }

    /// Gives each pod's claims the owners the retention policy asks for, as `updateClaimOwnerRefForSetAndPod`: the
    /// set when claims go with it (`whenDeleted: Delete`), the pod when it is beyond `replicas` and claims go with
    /// scaled-down pods (`whenScaled: Delete`); no owner from this set or pod otherwise, so that a pod scaled up
    /// again keeps its claim.
    private func syncClaimOwners(_ set: JSONValue, pods: [Int: JSONValue], replicas: Int) async throws(APIError) {
        let templates = set[path: "spec", "volumeClaimTemplates"]?.arrayValue ?? []
        guard !templates.isEmpty else { return }
        let deleteWithSet = set[path: "spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted"]?.stringValue == "Delete"
        let deleteWhenScaled = set[path: "spec", "persistentVolumeClaimRetentionPolicy", "whenScaled"]?.stringValue == "Delete"
        let setReference: JSONValue = [
            "apiVersion": "apps/v1", "kind": "StatefulSet", "name": .string(set.metadata.name), "uid": .string(set.metadata.uid),
        ]
        for (ordinal, pod) in pods where !pod.metadata.isDeleting {
            let scaledDown = ordinal >= replicas
            let podReference: JSONValue = ["apiVersion": "v1", "kind": "Pod", "name": .string(pod.metadata.name), "uid": .string(pod.metadata.uid)]
            for template in templates {
                let name = Self.claimName(template: template, set: set.metadata.name, ordinal: ordinal)
                guard let claim = claims.get(ObjectKey(namespace: set.metadata.namespace, name: name)) else { continue }
                let existing = claim[path: "metadata", "ownerReferences"]?.arrayValue ?? []
                var references = existing.filter {
                    let uid = $0["uid"]?.stringValue
                    return uid != set.metadata.uid && uid != pod.metadata.uid
                }
                if deleteWithSet && !(deleteWhenScaled && scaledDown) { references.append(setReference) }
                if deleteWhenScaled && scaledDown { references.append(podReference) }
                guard references != existing else { continue }
                var updated = claim
                updated[path: "metadata", "ownerReferences"] = references.isEmpty ? nil : .array(references)
                do throws(APIError) {
                    _ = try await client.update(.persistentVolumeClaims, updated)
                } catch where error.isNotFound || error.isConflict {
                    continue
                }
            }
        }
    }

    private func deletePod(_ pod: JSONValue, set: JSONValue) async throws(APIError) {
        let podName = pod.metadata.name
        let options: JSONValue = ["preconditions": ["uid": pod[path: "metadata", "uid"] ?? .null]]
        do throws(APIError) {
            try await client.delete(.pods, namespace: pod.metadata.namespace, name: podName, options: options)
            recorder.record(
                set, type: .normal, reason: "SuccessfulDelete",
                message: "delete Pod \(podName) in StatefulSet \(set.metadata.name) successful")
        } catch where error.isNotFound || error.isConflict {
            return
        }
    }
}
