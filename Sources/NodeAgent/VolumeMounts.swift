import APIMachinery
import CRI
import Foundation
import KubeObjects

/// The API objects volume setup reads, each by name in the pod's namespace (a PersistentVolume cluster-wide);
/// nil when there is no such object. `serviceAccountToken` is a token of the pod's service account bound to the pod,
/// for an audience (nil: the API server's) and lifetime in seconds.
struct VolumeObjects: Sendable {
    var configMap: @Sendable (String) async -> JSONValue?
    var secret: @Sendable (String) async -> JSONValue?
    var persistentVolumeClaim: @Sendable (String) async -> JSONValue?
    var persistentVolume: @Sendable (String) async -> JSONValue?
    var serviceAccountToken: @Sendable (_ audience: String?, _ expirationSeconds: Int64) async throws(APIError) -> String
}

/// The pod's volumes as directories on the node, and a container's `volumeMounts` as CRI mounts: emptyDir under the
/// pod's directory (a tmpfs for `medium: Memory`), hostPath as given, a claim's bound PersistentVolume's path, and
/// configMap, secret, downwardAPI and projected volumes (with service-account tokens) written out as files (keys, or
/// `items` with their paths, with `defaultMode`) by the atomic writer, so that `refresh` can update them under
/// running containers.
enum VolumeMounts {
    static func prepare(
        pod: JSONValue, container: JSONValue, podDirectory: String, downward: ContainerEnvironment, objects: VolumeObjects
    ) async throws -> [Runtime_V1_Mount] {
        let volumes = Dictionary(
            Pod(pod).spec.volumes.map { ($0["name"]?.stringValue ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        var mounts: [Runtime_V1_Mount] = []
        for mount in container["volumeMounts"]?.arrayValue ?? [] {
            let name = mount["name"]?.stringValue ?? ""
            guard let volume = volumes[name] else { continue }
            guard var hostPath = try await directory(for: volume, podDirectory: podDirectory, downward: downward, objects: objects) else {
                continue
            }
            if let subPath = mount["subPath"]?.stringValue, !subPath.isEmpty {
                hostPath += "/" + subPath
                if !FileManager.default.fileExists(atPath: hostPath) {
                    try FileManager.default.createDirectory(atPath: hostPath, withIntermediateDirectories: true)
                }
            }
            mounts.append(
                .with {
                    $0.containerPath = mount["mountPath"]?.stringValue ?? ""
                    $0.hostPath = hostPath
                    $0.readonly = mount["readOnly"]?.boolValue == true
                })
        }
        return mounts
    }

    /// Rewrites the pod's file volumes whose content changed (a ConfigMap edited, a label added, a token renewed), as
    /// the kubelet does about once a minute; running containers see the new files. Failures leave the old files in place.
    static func refresh(pod: JSONValue, podDirectory: String, downward: ContainerEnvironment, objects: VolumeObjects) async {
        for volume in Pod(pod).spec.volumes {
            guard let (path, files) = try? await filePayload(of: volume, podDirectory: podDirectory, downward: downward, objects: objects)
            else { continue }
            _ = try? AtomicVolumeWriter.write(files, to: path)
        }
    }

    /// Removes the pod's directory, unmounting the tmpfs of its memory-backed emptyDirs first.
    static func tearDown(podDirectory: String) {
        for line in mountTable() {
            let fields = line.split(separator: " ")
            guard fields.count > 1, fields[1].hasPrefix(podDirectory + "/") else { continue }
            umount2(String(fields[1]), Int32(MNT_DETACH))
        }
        try? FileManager.default.removeItem(atPath: podDirectory)
    }

    /// Where the volume lives on the node, created or refreshed; nil for a kind not supported yet.
    private static func directory(
        for volume: JSONValue, podDirectory: String, downward: ContainerEnvironment, objects: VolumeObjects
    ) async throws -> String? {
        let name = volume["name"]?.stringValue ?? ""
        let manager = FileManager.default
        if let emptyDir = volume["emptyDir"] {
            let path = "\(podDirectory)/volumes/kubernetes.io~empty-dir/\(name)"
            try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
            if emptyDir["medium"]?.stringValue == "Memory" { try mountMemory(at: path, sizeLimit: emptyDir["sizeLimit"], volume: name) }
            return path
        }
        if let hostPath = volume["hostPath"] {
            let path = hostPath["path"]?.stringValue ?? ""
            try checkHostPath(path, type: hostPath["type"]?.stringValue ?? "", volume: name)
            return path
        }
        if let claim = volume["persistentVolumeClaim"] {
            return try await claimedPath(claim["claimName"]?.stringValue ?? "", volume: name, objects: objects)
        }
        guard let (path, files) = try await filePayload(of: volume, podDirectory: podDirectory, downward: downward, objects: objects) else {
            return nil
        }
        try AtomicVolumeWriter.write(files, to: path)
        return path
    }

    // MARK: File volumes

    /// The directory and files of a configMap, secret, downwardAPI or projected volume; nil for other kinds.
    static func filePayload(
        of volume: JSONValue, podDirectory: String, downward: ContainerEnvironment, objects: VolumeObjects
    ) async throws -> (String, [AtomicVolumeWriter.File])? {
        let name = volume["name"]?.stringValue ?? ""
        for (kind, plugin) in [("configMap", "configmap"), ("secret", "secret"), ("downwardAPI", "downward-api"), ("projected", "projected")] {
            guard let source = volume[kind] else { continue }
            let mode = source["defaultMode"]?.integerValue ?? 0o644
            let files: [AtomicVolumeWriter.File]
            if kind == "projected" {
                var merged: [AtomicVolumeWriter.File] = []
                for projection in source["sources"]?.arrayValue ?? [] {
                    for (projected, inner) in projection.objectValue ?? [:] {
                        merged += try await Self.files(of: projected, source: inner, mode: mode, volume: name, downward: downward, objects: objects)
                    }
                }
                files = merged
            } else {
                files = try await Self.files(of: kind, source: source, mode: mode, volume: name, downward: downward, objects: objects)
            }
            return ("\(podDirectory)/volumes/kubernetes.io~\(plugin)/\(name)", files)
        }
        return nil
    }

    private static func files(
        of kind: String, source: JSONValue, mode: Int64, volume: String, downward: ContainerEnvironment, objects: VolumeObjects
    ) async throws -> [AtomicVolumeWriter.File] {
        switch kind {
        case "configMap":
            let objectName = source["name"]?.stringValue ?? ""
            guard let object = await objects.configMap(objectName) else {
                if source["optional"]?.boolValue == true { return [] }
                throw ContainerConfigError(message: "MountVolume.SetUp failed for volume \"\(volume)\" : configmap \"\(objectName)\" not found")
            }
            var data = (object["data"]?.objectValue ?? [:]).compactMapValues { $0.stringValue.map { Data($0.utf8) } }
            for (key, value) in object["binaryData"]?.objectValue ?? [:] { data[key] = value.stringValue.flatMap { Data(base64Encoded: $0) } }
            return try selected(data, items: source["items"], mode: mode, kind: "configmap", optional: source["optional"]?.boolValue == true)
        case "secret":
            let objectName = source["secretName"]?.stringValue ?? source["name"]?.stringValue ?? ""
            guard let object = await objects.secret(objectName) else {
                if source["optional"]?.boolValue == true { return [] }
                throw ContainerConfigError(message: "MountVolume.SetUp failed for volume \"\(volume)\" : secret \"\(objectName)\" not found")
            }
            let data = (object["data"]?.objectValue ?? [:]).compactMapValues { $0.stringValue.flatMap { Data(base64Encoded: $0) } }
            return try selected(data, items: source["items"], mode: mode, kind: "secret", optional: source["optional"]?.boolValue == true)
        case "downwardAPI":
            return (source["items"]?.arrayValue ?? []).compactMap { item in
                guard let path = item["path"]?.stringValue else { return nil }
                let value: String
                if let field = item[path: "fieldRef", "fieldPath"]?.stringValue {
                    value = downwardField(field, downward: downward)
                } else if let reference = item["resourceFieldRef"] {
                    value = downward.resourceValue(reference, container: [:])
                } else {
                    return nil
                }
                return AtomicVolumeWriter.File(path: path, data: Data(value.utf8), mode: item["mode"]?.integerValue ?? mode)
            }
        case "serviceAccountToken":
            // The kubelet writes the token with the volume's mode, at `path`.
            let audience = source["audience"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            let token: String
            do {
                token = try await objects.serviceAccountToken(audience, source["expirationSeconds"]?.integerValue ?? 3600)
            } catch {
                throw ContainerConfigError(message: "MountVolume.SetUp failed for volume \"\(volume)\" : failed to fetch token: \(error.message)")
            }
            return [AtomicVolumeWriter.File(path: source["path"]?.stringValue ?? "", data: Data(token.utf8), mode: mode)]
        default:
            // clusterTrustBundle needs the trust-bundle API, which Skiff does not serve.
            return []
        }
    }

    /// A downward API file: whole label and annotation maps as `key="value"` lines sorted by key, else the field.
    static func downwardField(_ path: String, downward: ContainerEnvironment) -> String {
        guard path == "metadata.labels" || path == "metadata.annotations" else { return downward.fieldValue(path) }
        let map = downward.pod[path: "metadata", String(path.dropFirst("metadata.".count))]?.objectValue ?? [:]
        return map.keys.sorted().map { key in "\(key)=\(GoText.quoted(map[key]?.stringValue ?? ""))" }.joined(separator: "\n")
    }

    /// The keys (or the listed `items`, each at its `path` with its own `mode`).
    static func selected(_ data: [String: Data], items: JSONValue?, mode: Int64, kind: String, optional: Bool) throws -> [AtomicVolumeWriter.File] {
        guard let items = items?.arrayValue else {
            return data.map { AtomicVolumeWriter.File(path: $0.key, data: $0.value, mode: mode) }
        }
        return try items.compactMap { item in
            guard let key = item["key"]?.stringValue, let value = data[key] else {
                if optional { return nil }
                throw ContainerConfigError(message: "\(kind) references non-existent config key: \(item["key"]?.stringValue ?? "")")
            }
            return AtomicVolumeWriter.File(path: item["path"]?.stringValue ?? key, data: value, mode: item["mode"]?.integerValue ?? mode)
        }
    }

    // MARK: Other kinds

    private static func checkHostPath(_ path: String, type: String, volume: String) throws {
        let manager = FileManager.default
        switch type {
        case "DirectoryOrCreate":
            try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
        case "FileOrCreate":
            if !manager.fileExists(atPath: path), !manager.createFile(atPath: path, contents: nil) {
                throw ContainerConfigError(message: "MountVolume.SetUp failed for volume \"\(volume)\" : cannot create \(path)")
            }
        case "Directory", "File", "Socket", "CharDevice", "BlockDevice":
            guard manager.fileExists(atPath: path) else {
                throw ContainerConfigError(message: "MountVolume.SetUp failed for volume \"\(volume)\" : hostPath type check failed: \(path) does not exist")
            }
        default: break
        }
    }

    /// The path of the PersistentVolume a claim is bound to (a hostPath or local volume, the kinds a node can mount
    /// by itself), created if it is a hostPath that does not exist yet.
    private static func claimedPath(_ claimName: String, volume: String, objects: VolumeObjects) async throws -> String {
        guard let claim = await objects.persistentVolumeClaim(claimName).map(PersistentVolumeClaim.init) else {
            throw ContainerConfigError(message: "persistentvolumeclaim \"\(claimName)\" not found")
        }
        guard let volumeName = claim.volumeName, claim.phase == "Bound",
            let persistentVolume = await objects.persistentVolume(volumeName).map(PersistentVolume.init)
        else {
            throw ContainerConfigError(message: "persistentvolumeclaim \"\(claimName)\" is not bound")
        }
        if let (path, type) = persistentVolume.hostPath {
            try checkHostPath(path, type: type, volume: volume)
            return path
        }
        if let path = persistentVolume.localPath {
            try checkHostPath(path, type: "Directory", volume: volume)
            return path
        }
        throw ContainerConfigError(
            message: "MountVolume.SetUp failed for volume \"\(volume)\" : persistentvolume \"\(volumeName)\" is neither hostPath nor local, the kinds this node can mount")
    }

    /// The lines of `/proc/self/mounts`, read to the end: `String(contentsOfFile:)` stops after the first page of a
    /// proc file, and a node with containers has many more mounts than fit in one.
    static func mountTable() -> [Substring] {
        guard let file = FileHandle(forReadingAtPath: "/proc/self/mounts") else { return [] }
        defer { try? file.close() }
        return String(decoding: file.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
    }

    /// A tmpfs for `emptyDir.medium: Memory`, limited to `sizeLimit` (else the kernel's default, half of memory).
    private static func mountMemory(at path: String, sizeLimit: JSONValue?, volume: String) throws {
        if mountTable().contains(where: { $0.split(separator: " ").dropFirst().first.map(String.init) == path }) { return }
        let size = sizeLimit.flatMap(Quantity.init(json:))?.value.map { "size=\($0)" } ?? ""
        guard mount("tmpfs", path, "tmpfs", 0, size) == 0 else {
            throw ContainerConfigError(message: "MountVolume.SetUp failed for volume \"\(volume)\" : mount tmpfs: \(String(cString: strerror(errno)))")
        }
    }
}
