import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging

/// Kubernetes' PV controller (the binder): binds each claim to a fitting PersistentVolume (`VolumeMatching`), or
/// asks its class's provisioner for one; keeps volume phases (Available, Bound, Released, Failed) and claim phases
/// (Pending, Bound, Lost) true; and reclaims released volumes: `Retain` keeps them Released with their data, `Delete`
/// leaves provisioned ones to their provisioner (which removes the data and the volume) and fails others, which no
/// deleter here can remove.
public final class PersistentVolumeController: Sendable {
    enum Key: Hashable, Sendable {
        case claim(ObjectKey)
        case volume(String)
    }

    private let client: KubeClient
    private let claims: Informer
    private let volumes: Informer
    private let classes: Informer
    private let nodes: Informer
    private let recorder: EventRecorder
    private let logger: Logger
    private let queue = WorkQueue<Key>()

    public init(context: ControllerContext) {
        client = context.client
        claims = context.informer(.persistentVolumeClaims)
        volumes = context.informer(.persistentVolumes)
        classes = context.informer(.storageClasses)
        nodes = context.informer(.nodes)
        recorder = context.recorder(component: "persistentvolume-controller")
        logger = context.logger
    }

    public func run() async {
        let queue = self.queue
        let claims = self.claims
        // A volume appearing or changing may be what a waiting claim needs; a new class may give one a provisioner.
        let pendingClaims: @Sendable () -> Void = {
            for claim in claims.list() where PersistentVolumeClaim(claim).volumeName == nil { queue.add(.claim(ObjectKey(claim))) }
        }
        let volumeChanged: @Sendable (JSONValue) -> Void = { volume in
            queue.add(.volume(volume.metadata.name))
            if let (namespace, name) = PersistentVolume(volume).claimRef { queue.add(.claim(ObjectKey(namespace: namespace, name: name))) }
            pendingClaims()
        }
        let watches = [
            Watch(claims, .enqueue(queue) { .claim(ObjectKey($0)) }),
            Watch(
                claims,
                InformerHandler(onDelete: { claim in
                    if let volume = PersistentVolumeClaim(claim).volumeName { queue.add(.volume(volume)) }
                })),
            Watch(volumes, InformerHandler(onAdd: volumeChanged, onUpdate: { _, new in volumeChanged(new) }, onDelete: volumeChanged)),
            Watch(classes, InformerHandler(onAdd: { _ in pendingClaims() }, onUpdate: { _, _ in pendingClaims() })),
            Watch.cache(nodes),
        ]
        await ControllerWorkers.run(queue, watching: watches, workers: 1, name: "persistentvolume-binder", logger: logger) { key throws(APIError) in
            switch key {
            case .claim(let claimKey): try await self.syncClaim(claimKey)
            case .volume(let name): try await self.syncVolume(name)
            }
        }
    }

    // MARK: claims

    private func syncClaim(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard let object = claims.get(key) else { return .done }
        let claim = PersistentVolumeClaim(object)
        if claim.metadata.isDeleting { return .done }
        if let volumeName = claim.volumeName {
            return try await syncBoundClaim(claim, volumeName: volumeName)
        }
        let className = claim.className ?? ""
        let storageClass = className.isEmpty ? nil : classes.get(ObjectKey(namespace: nil, name: className)).map(StorageClass.init)
        var node: VolumeMatching.NodeFacts?
        if let storageClass, storageClass.waitsForFirstConsumer {
            guard let selected = claim.selectedNode else {
                try await setClaimPhase(claim, "Pending")
                recorder.record(object, type: .normal, reason: "WaitForFirstConsumer", message: "waiting for first consumer to be created before binding")
                return .done
            }
            let labels = nodes.get(ObjectKey(namespace: nil, name: selected))?.metadata.labels ?? [:]
            node = VolumeMatching.NodeFacts(name: selected, labels: labels)
        }
        let candidates = volumes.list().map(PersistentVolume.init)
        if let volume = VolumeMatching.bestVolume(for: claim, among: candidates, node: node) {
            try await bind(claim, to: volume)
            return .done
        }
        try await setClaimPhase(claim, "Pending")
        guard let storageClass, storageClass.provisioner != StorageClass.noProvisioner, !storageClass.provisioner.isEmpty else {
            let message =
                className.isEmpty
                ? "no persistent volumes available for this claim and no storage class is set"
                : storageClass == nil ? "storageclass.storage.k8s.io \"\(className)\" not found" : "no persistent volumes available for this claim"
            recorder.record(object, type: storageClass == nil && !className.isEmpty ? .warning : .normal, reason: "FailedBinding", message: message)
            return .done
        }
        // No volume fits: the class's provisioner makes one (pre-bound to the claim), which brings the claim back here.
        guard claim.metadata.annotations[PersistentVolumeClaim.provisionerAnnotation] != storageClass.provisioner else { return .done }
        var annotated = object
        annotated[path: "metadata", "annotations", PersistentVolumeClaim.provisionerAnnotation] = .string(storageClass.provisioner)
        annotated[path: "metadata", "annotations", PersistentVolumeClaim.betaProvisionerAnnotation] = .string(storageClass.provisioner)
        _ = try await client.update(.persistentVolumeClaims, annotated)
        recorder.record(
            object, type: .normal, reason: "ExternalProvisioning",
            message:
                "Waiting for a volume to be created either by the external provisioner '\(storageClass.provisioner)' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."
        )
        return .done
    }

    /// A claim that names its volume: bound when the volume names it back, completed when the volume is free,
    /// `Lost` when its bound volume is gone.
    private func syncBoundClaim(_ claim: PersistentVolumeClaim, volumeName: String) async throws(APIError) -> ReconcileResult {
        guard let volumeObject = volumes.get(ObjectKey(namespace: nil, name: volumeName)) else {
            if claim.phase == "Bound" {
                try await setClaimPhase(claim, "Lost")
                recorder.record(claim.json, type: .warning, reason: "ClaimLost", message: "Bound claim has lost its PersistentVolume. Data on the volume is lost!")
            } else {
                recorder.record(claim.json, type: .normal, reason: "FailedBinding", message: "volume \"\(volumeName)\" not found")
            }
            return .done
        }
        let volume = PersistentVolume(volumeObject)
        let claimKey = (claim.metadata.namespace ?? "", claim.metadata.name)
        if let reference = volume.claimRef, reference != claimKey || (volume.claimUID != nil && volume.claimUID != claim.metadata.uid) {
            try await setClaimPhase(claim, "Pending")
            recorder.record(claim.json, type: .warning, reason: "FailedBinding", message: "volume \"\(volumeName)\" already bound to a different claim.")
            return .done
        }
        try await bind(claim, to: volume)
        return .done
    }

    /// Binds the volume to the claim and the claim to the volume, volume first as Kubernetes does (a crash between
    /// the writes leaves a volume pre-bound to the claim, which the next sync completes), then both statuses.
    private func bind(_ claim: PersistentVolumeClaim, to volume: PersistentVolume) async throws(APIError) {
        var volumeObject = volume.json
        let claimKey = (claim.metadata.namespace ?? "", claim.metadata.name)
        let namesThisClaim = volume.claimRef.map { $0 == claimKey } ?? false
        if !namesThisClaim || volume.claimUID != claim.metadata.uid {
            volumeObject[path: "spec", "claimRef"] = [
                "kind": "PersistentVolumeClaim", "apiVersion": "v1", "namespace": .string(claimKey.0), "name": .string(claimKey.1),
                "uid": .string(claim.metadata.uid), "resourceVersion": .string(claim.metadata.resourceVersion),
            ]
            if volume.claimRef == nil { volumeObject[path: "metadata", "annotations", PersistentVolume.boundByControllerAnnotation] = "yes" }
            volumeObject = try await client.update(.persistentVolumes, volumeObject)
        }
        if PersistentVolume(volumeObject).phase != "Bound" {
            volumeObject[path: "status"] = ["phase": "Bound"]
            volumeObject = try await client.update(.persistentVolumes, volumeObject, subresource: "status")
        }
        var claimObject = claim.json
        if claim.volumeName != volume.metadata.name || claim.metadata.annotations["pv.kubernetes.io/bind-completed"] != "yes" {
            if claim.volumeName == nil { claimObject[path: "metadata", "annotations", "pv.kubernetes.io/bound-by-controller"] = "yes" }
            claimObject[path: "metadata", "annotations", "pv.kubernetes.io/bind-completed"] = "yes"
            claimObject[path: "spec", "volumeName"] = .string(volume.metadata.name)
            claimObject = try await client.update(.persistentVolumeClaims, claimObject)
        }
        let boundVolume = PersistentVolume(volumeObject)
        let status: JSONValue = [
            "phase": "Bound", "accessModes": .array(boundVolume.accessModes.map(JSONValue.string)),
            "capacity": volumeObject[path: "spec", "capacity"] ?? .emptyObject,
        ]
        if claimObject[path: "status", "phase"] != "Bound" || claimObject[path: "status", "capacity"] != status["capacity"] {
            var updated = claimObject
            for (field, value) in status.objectValue ?? [:] { updated[path: "status", field] = value }
            _ = try await client.update(.persistentVolumeClaims, updated, subresource: "status")
        }
    }

    private func setClaimPhase(_ claim: PersistentVolumeClaim, _ phase: String) async throws(APIError) {
        guard claim.json[path: "status", "phase"]?.stringValue != phase else { return }
        var updated = claim.json
        updated[path: "status", "phase"] = .string(phase)
        _ = try await client.update(.persistentVolumeClaims, updated, subresource: "status")
    }

    // MARK: volumes

    private func syncVolume(_ name: String) async throws(APIError) -> ReconcileResult {
        guard let object = volumes.get(ObjectKey(namespace: nil, name: name)) else { return .done }
        let volume = PersistentVolume(object)
        if volume.metadata.isDeleting { return .done }
        guard let (namespace, claimName) = volume.claimRef else {
            try await setVolumePhase(volume, "Available")
            return .done
        }
        // A claim missing from the cache is looked up before its volume is released: the cache may lag.
        var claim = claims.get(ObjectKey(namespace: namespace, name: claimName)).map(PersistentVolumeClaim.init)
        if claim == nil, volume.claimUID != nil {
            do throws(APIError) {
                claim = PersistentVolumeClaim(try await client.get(.persistentVolumeClaims, namespace: namespace, name: claimName))
            } catch where error.isNotFound {
                claim = nil
            }
        }
        if let claim, volume.claimUID == nil || volume.claimUID == claim.metadata.uid {
            // Bound, or pre-bound and waiting for the claim's sync to complete it.
            if claim.volumeName == name, volume.claimUID != nil { try await setVolumePhase(volume, "Bound") }
            return .done
        }
        if volume.claimUID == nil {
            // Pre-bound by name to a claim that does not exist yet: it waits for it.
            try await setVolumePhase(volume, "Available")
            return .done
        }
        // The claim is gone: the volume is released and reclaimed by its policy.
        switch volume.reclaimPolicy {
        case "Delete" where volume.provisionedBy != nil:
            try await setVolumePhase(volume, "Released")
        case "Retain":
            if volume.phase != "Released" {
                try await setVolumePhase(volume, "Released")
                recorder.record(object, type: .normal, reason: "VolumeReleased", message: "the claim was deleted; the volume and its data are kept (Retain)")
            }
        default:
            if volume.phase != "Failed" {
                try await setVolumePhase(
                    volume, "Failed", message: "no volume plugin here can \(volume.reclaimPolicy.lowercased()) this volume; remove its data and the volume by hand")
                recorder.record(
                    object, type: .warning, reason: "VolumeFailedDelete",
                    message: "error getting deleter volume plugin for volume \"\(name)\": no deletable volume plugin matched")
            }
        }
        return .done
    }

    private func setVolumePhase(_ volume: PersistentVolume, _ phase: String, message: String? = nil) async throws(APIError) {
        guard volume.json[path: "status", "phase"]?.stringValue != phase else { return }
        var updated = volume.json
        var status: JSONValue = ["phase": .string(phase)]
        if let message { status["message"] = .string(message) }
        updated["status"] = status
        _ = try await client.update(.persistentVolumes, updated, subresource: "status")
    }
}
