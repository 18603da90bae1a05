import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging
import Synchronization

public struct LocalPathProvisionerOptions: Sendable {
    /// The nodes whose volumes this provisioner makes: its own node, or every node of a hollow-node pool.
    public var nodeNames: Set<String>
    /// Where volumes are made, one directory each: `<data-dir>/storage`.
    public var directory: String

    public init(nodeName: String, directory: String) {
        self.init(nodeNames: [nodeName], directory: directory)
    }

    /// How often each volume's usage is measured.
    public var measureInterval: Duration = .seconds(10)

    public init(nodeNames: Set<String>, directory: String) {
        self.nodeNames = nodeNames
        self.directory = directory
    }
}

/// k3s' local-path provisioner (`rancher.io/local-path`), built into every node rather than run as a pod (and run once
/// for a pool of hollow nodes): for a claim the scheduler placed on its node (`volume.kubernetes.io/selected-node`) that the PV controller handed to this
/// provisioner, it makes a directory `<pv>_<namespace>_<claim>` and a hostPath PersistentVolume pinned to the node by
/// node affinity and pre-bound to the claim; when the claim asks for more storage (the class allows expansion), it
/// grows the volume's capacity, which the PV controller passes on to the claim (a directory has no size of its own);
/// when such a volume is released under the `Delete` policy, it removes the directory and the volume. It measures
/// what each of its bound volumes holds, serves it as the kubelet's `kubelet_volume_stats_*` metrics, and warns with an
/// Event when a volume holds more than its claim asks for (a directory cannot stop it growing).
public final class LocalPathProvisioner: Sendable {
    public static let provisionerName = "rancher.io/local-path"
    static let selectedNodeAnnotation = "local.path.provisioner/selected-node"

    enum Key: Hashable, Sendable {
        case claim(ObjectKey)
        case volume(String)
    }

    private let client: KubeClient
    private let claims: Informer
    private let volumes: Informer
    private let classes: Informer
    private let recorder: EventRecorder
    private let options: LocalPathProvisionerOptions
    private let logger: Logger
    private let queue = WorkQueue<Key>()
    private let usage = Mutex<[String: VolumeUsage]>([:])

    /// What one bound volume holds, by its claim.
    struct VolumeUsage: Sendable {
        var namespace: String
        var claim: String
        var usedBytes: Int64
        var capacityBytes: Int64
        var files: Int64
    }

    public init(context: ControllerContext, options: LocalPathProvisionerOptions) {
        client = context.client
        claims = context.informer(.persistentVolumeClaims)
        volumes = context.informer(.persistentVolumes)
        classes = context.informer(.storageClasses)
        recorder = context.recorder(component: Self.provisionerName)
        self.options = options
        logger = context.logger
    }

    public func run() async {
        let queue = self.queue
        let watches = [
            Watch(claims, .enqueue(queue) { .claim(ObjectKey($0)) }),
            Watch(volumes, .enqueue(queue) { .volume($0.metadata.name) }),
            Watch.cache(classes),
        ]
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await ControllerWorkers.run(queue, watching: watches, workers: 1, name: "local-path-provisioner", logger: self.logger) {
                    key throws(APIError) in
                    switch key {
                    case .claim(let claimKey): try await self.provision(claimKey)
                    case .volume(let name): try await self.reclaim(name)
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: self.options.measureInterval)
                    self.measure()
                }
            }
            await group.waitForAll()
        }
    }

    // MARK: usage

    /// The kubelet's volume metrics for the volumes this provisioner made and that are bound, in Prometheus' text.
    public var metricsText: String {
        let volumes = usage.withLock { $0 }.values.sorted { ($0.namespace, $0.claim) < ($1.namespace, $1.claim) }
        var text = ""
        for (name, help, value) in [
            ("kubelet_volume_stats_used_bytes", "Number of used bytes in the volume", \VolumeUsage.usedBytes),
            ("kubelet_volume_stats_capacity_bytes", "Capacity in bytes of the volume", \VolumeUsage.capacityBytes),
            ("kubelet_volume_stats_inodes_used", "Number of used inodes in the volume", \VolumeUsage.files),
        ] as [(String, String, KeyPath<VolumeUsage, Int64>)] {
            text += "# HELP \(name) [ALPHA] \(help)\n# TYPE \(name) gauge\n"
            for volume in volumes {
                text += "\(name){namespace=\"\(volume.namespace)\",persistentvolumeclaim=\"\(volume.claim)\"} \(volume[keyPath: value])\n"
            }
        }
        return text
    }

    /// Measures every bound volume of the served nodes, and warns once each time one grows past its claim's size.
    private func measure() {
        var measured: [String: VolumeUsage] = [:]
        for object in volumes.list() {
            let volume = PersistentVolume(object)
            guard volume.provisionedBy == Self.provisionerName, isOnServedNode(volume), volume.phase == "Bound", let (path, _) = volume.hostPath,
                let (namespace, claimName) = volume.claimRef
            else { continue }
            let (bytes, files) = Self.diskUsage(of: path)
            let capacity = volume.capacity?.value ?? 0
            let name = volume.metadata.name
            let before = usage.withLock { $0[name] }
            if capacity > 0, bytes > capacity, (before?.usedBytes ?? 0) <= capacity, let claim = claims.get(ObjectKey(namespace: namespace, name: claimName)) {
                recorder.record(
                    claim, type: .warning, reason: "VolumeOverSize",
                    message: "volume \(name) holds \(bytes) bytes, more than the \(capacity) its claim asks for; local-path cannot enforce the size")
            }
            measured[name] = VolumeUsage(namespace: namespace, claim: claimName, usedBytes: bytes, capacityBytes: capacity, files: files)
        }
        usage.withLock { $0 = measured }
    }

    /// The bytes allocated to the files under `path` and their number, as `du` counts them.
    static func diskUsage(of path: String) -> (bytes: Int64, files: Int64) {
        var bytes: Int64 = 0
        var files: Int64 = 0
        var status = stat()
        guard lstat(path, &status) == 0 else { return (0, 0) }
        bytes += Int64(status.st_blocks) * 512
        guard let entries = FileManager.default.enumerator(atPath: path) else { return (bytes, files) }
        for case let entry as String in entries where lstat("\(path)/\(entry)", &status) == 0 {
            bytes += Int64(status.st_blocks) * 512
            files += 1
        }
        return (bytes, files)
    }

    private func isOnServedNode(_ volume: PersistentVolume) -> Bool {
        volume.metadata.annotations[Self.selectedNodeAnnotation].map(options.nodeNames.contains) ?? false
    }

    static func volumeName(for claim: PersistentVolumeClaim) -> String { "pvc-\(claim.metadata.uid)" }

    func path(for volumeName: String, claim: PersistentVolumeClaim) -> String {
        "\(options.directory)/\(volumeName)_\(claim.metadata.namespace ?? "default")_\(claim.metadata.name)"
    }

    // MARK: provisioning

    private func provision(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard let object = claims.get(key) else { return .done }
        let claim = PersistentVolumeClaim(object)
        if let volumeName = claim.volumeName { return try await expand(claim, volumeName: volumeName) }
        guard !claim.metadata.isDeleting, let node = claim.selectedNode, options.nodeNames.contains(node),
            claim.metadata.annotations[PersistentVolumeClaim.provisionerAnnotation] == Self.provisionerName,
            let className = claim.className, let storageClass = classes.get(ObjectKey(namespace: nil, name: className)).map(StorageClass.init),
            storageClass.provisioner == Self.provisionerName
        else { return .done }
        let volumeName = Self.volumeName(for: claim)
        if volumes.get(ObjectKey(namespace: nil, name: volumeName)) != nil { return .done }
        guard claim.volumeMode == "Filesystem" else {
            recorder.record(object, type: .warning, reason: "ProvisioningFailed", message: "local-path makes only Filesystem volumes, not \(claim.volumeMode)")
            return .done
        }
        let path = path(for: volumeName, claim: claim)
        recorder.record(object, type: .normal, reason: "Provisioning", message: "External provisioner is provisioning volume for claim \"\(key)\"")
        do {
            // Open to every user, as k3s' provisioner leaves it: the pod's containers may not run as root.
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
            try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: path)
        } catch {
            recorder.record(object, type: .warning, reason: "ProvisioningFailed", message: "failed to create directory \(path): \(error.localizedDescription)")
            return .requeue(after: .seconds(10))
        }
        let volume: JSONValue = [
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": [
                "name": .string(volumeName),
                "annotations": [
                    .init(stringLiteral: PersistentVolume.provisionedByAnnotation): .string(Self.provisionerName),
                    .init(stringLiteral: Self.selectedNodeAnnotation): .string(node),
                ],
            ],
            "spec": [
                "capacity": ["storage": object[path: "spec", "resources", "requests", "storage"] ?? "0"],
                "accessModes": .array(claim.accessModes.map(JSONValue.string)),
                "persistentVolumeReclaimPolicy": .string(storageClass.reclaimPolicy),
                "storageClassName": .string(className),
                "volumeMode": "Filesystem",
                "hostPath": ["path": .string(path), "type": "DirectoryOrCreate"],
                "nodeAffinity": [
                    "required": [
                        "nodeSelectorTerms": [
                            ["matchExpressions": [["key": "kubernetes.io/hostname", "operator": "In", "values": [.string(node)]]]]
                        ]
                    ]
                ],
                "claimRef": [
                    "kind": "PersistentVolumeClaim", "apiVersion": "v1", "namespace": .string(key.namespace ?? "default"), "name": .string(key.name),
                    "uid": .string(claim.metadata.uid), "resourceVersion": .string(claim.metadata.resourceVersion),
                ],
            ],
        ]
        do throws(APIError) {
            _ = try await client.create(.persistentVolumes, volume)
        } catch where error.isAlreadyExists {
            return .done
        }
        recorder.record(object, type: .normal, reason: "ProvisioningSucceeded", message: "Successfully provisioned volume \(volumeName)")
        logger.info("local volume provisioned", metadata: ["claim": "\(key)", "volume": "\(volumeName)", "path": "\(path)"])
        return .done
    }

    /// Grows a volume of this node to what its claim now asks for.
    private func expand(_ claim: PersistentVolumeClaim, volumeName: String) async throws(APIError) -> ReconcileResult {
        guard let requested = claim.requestedStorage, let object = volumes.get(ObjectKey(namespace: nil, name: volumeName)) else { return .done }
        let volume = PersistentVolume(object)
        guard volume.provisionedBy == Self.provisionerName, isOnServedNode(volume),
            let capacity = volume.capacity, capacity < requested
        else { return .done }
        var grown = object
        grown[path: "spec", "capacity", "storage"] = claim.json[path: "spec", "resources", "requests", "storage"]
        _ = try await client.update(.persistentVolumes, grown)
        recorder.record(claim.json, type: .normal, reason: "VolumeResizeSuccessful", message: "Resize volume succeeded: \(volumeName) now holds \(requested)")
        return .done
    }

    // MARK: reclaiming

    /// Removes a released volume of this node under the `Delete` policy: its directory, then the object.
    private func reclaim(_ name: String) async throws(APIError) -> ReconcileResult {
        guard let object = volumes.get(ObjectKey(namespace: nil, name: name)) else { return .done }
        let volume = PersistentVolume(object)
        guard volume.provisionedBy == Self.provisionerName, isOnServedNode(volume),
            volume.phase == "Released", volume.reclaimPolicy == "Delete", !volume.metadata.isDeleting, let (path, _) = volume.hostPath
        else { return .done }
        // Only a directory this provisioner made is removed, whatever the object says.
        let base = URL(fileURLWithPath: options.directory).standardizedFileURL.path
        let target = URL(fileURLWithPath: path).standardizedFileURL.path
        guard target.hasPrefix(base + "/"), !target.dropFirst(base.count + 1).contains("/") else {
            recorder.record(object, type: .warning, reason: "VolumeFailedDelete", message: "\(path) is not a directory local-path made under \(base)")
            return .done
        }
        do {
            if FileManager.default.fileExists(atPath: target) { try FileManager.default.removeItem(atPath: target) }
        } catch {
            recorder.record(object, type: .warning, reason: "VolumeFailedDelete", message: "failed to remove \(target): \(error.localizedDescription)")
            return .requeue(after: .seconds(10))
        }
        do throws(APIError) {
            try await client.delete(.persistentVolumes, name: name, options: ["preconditions": ["uid": .string(volume.metadata.uid)]])
        } catch where error.isNotFound {
            return .done
        }
        logger.info("local volume deleted", metadata: ["volume": "\(name)", "path": "\(target)"])
        return .done
    }
}
