import APIMachinery
import ControllerRuntime
import KubeClient
import KubeObjects
import Logging

/// Kubernetes' pvc-protection and pv-protection controllers: a claim being deleted keeps its
/// `kubernetes.io/pvc-protection` finalizer (and stays `Terminating`) while a pod that has not finished uses it, and a
/// volume keeps `kubernetes.io/pv-protection` while it is bound, so that no data disappears under a running pod.
public final class VolumeProtectionController: Sendable {
    typealias Key = PersistentVolumeController.Key

    private let client: KubeClient
    private let claims: Informer
    private let volumes: Informer
    private let pods: Informer
    private let logger: Logger
    private let queue = WorkQueue<Key>()

    public init(context: ControllerContext) {
        client = context.client
        claims = context.informer(.persistentVolumeClaims)
        volumes = context.informer(.persistentVolumes)
        pods = context.informer(.pods)
        logger = context.logger
    }

    public func run() async {
        let queue = self.queue
        // A pod that ends or goes may free the claims it used.
        let podChanged: @Sendable (JSONValue) -> Void = { pod in
            let namespace = pod.metadata.namespace ?? ""
            for claim in Self.claimNames(of: pod) { queue.add(.claim(ObjectKey(namespace: namespace, name: claim))) }
        }
        let watches = [
            Watch(claims, .enqueue(queue) { $0.metadata.isDeleting ? .claim(ObjectKey($0)) : nil }),
            Watch(volumes, .enqueue(queue) { $0.metadata.isDeleting ? .volume($0.metadata.name) : nil }),
            Watch(pods, InformerHandler(onAdd: { _ in }, onUpdate: { _, new in podChanged(new) }, onDelete: podChanged)),
        ]
        await ControllerWorkers.run(queue, watching: watches, workers: 1, name: "volume-protection", logger: logger) { key throws(APIError) in
            switch key {
            case .claim(let claimKey): try await self.syncClaim(claimKey)
            case .volume(let name): try await self.syncVolume(name)
            }
        }
    }

    static func claimNames(of pod: JSONValue) -> [String] {
        (pod[path: "spec", "volumes"]?.arrayValue ?? []).compactMap { $0[path: "persistentVolumeClaim", "claimName"]?.stringValue }
    }

    private func syncClaim(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard let claim = claims.get(key), claim.metadata.isDeleting, claim.metadata.finalizers.contains(PersistentVolumeClaim.protectionFinalizer)
        else { return .done }
        let inUse = pods.list { $0.metadata.namespace == key.namespace }.contains { pod in
            let phase = Pod(pod).status.phase
            return phase != "Succeeded" && phase != "Failed" && Self.claimNames(of: pod).contains(key.name)
        }
        if inUse { return .done }
        try await removeFinalizer(PersistentVolumeClaim.protectionFinalizer, from: claim, resource: .persistentVolumeClaims)
        return .done
    }

    private func syncVolume(_ name: String) async throws(APIError) -> ReconcileResult {
        guard let volume = volumes.get(ObjectKey(namespace: nil, name: name)), volume.metadata.isDeleting,
            volume.metadata.finalizers.contains(PersistentVolume.protectionFinalizer)
        else { return .done }
        if PersistentVolume(volume).phase == "Bound" { return .done }
        try await removeFinalizer(PersistentVolume.protectionFinalizer, from: volume, resource: .persistentVolumes)
        return .done
    }

    private func removeFinalizer(_ finalizer: String, from object: JSONValue, resource: ResourceType) async throws(APIError) {
        var updated = object
        updated[path: "metadata", "finalizers"] = .array(object.metadata.finalizers.filter { $0 != finalizer }.map(JSONValue.string))
        do throws(APIError) {
            _ = try await client.update(resource, updated)
        } catch where error.isNotFound {
            return
        }
    }
}
