import APIMachinery
import CRI
import Foundation

/// The pod's volumes as directories on the node, and a container's `volumeMounts` as CRI mounts: emptyDir under the
/// pod's directory, hostPath as given, and configMap and secret volumes written out as files (keys, or `items` with
/// their paths, with `defaultMode`).
enum VolumeMounts {
    static func prepare(
        pod: JSONValue, container: JSONValue, podDirectory: String,
        configMap: @Sendable (String) async -> JSONValue?, secret: @Sendable (String) async -> JSONValue?
    ) async throws -> [Runtime_V1_Mount] {
        let volumes = Dictionary(
            (pod[path: "spec", "volumes"]?.arrayValue ?? []).map { ($0["name"]?.stringValue ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        var mounts: [Runtime_V1_Mount] = []
        for mount in container["volumeMounts"]?.arrayValue ?? [] {
            let name = mount["name"]?.stringValue ?? ""
            guard let volume = volumes[name] else { continue }
            guard var hostPath = try await directory(for: volume, podDirectory: podDirectory, configMap: configMap, secret: secret) else { continue }
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

    /// Where the volume lives on the node, created or refreshed; nil for a kind not supported yet.
    private static func directory(
        for volume: JSONValue, podDirectory: String, configMap: @Sendable (String) async -> JSONValue?,
        secret: @Sendable (String) async -> JSONValue?
    ) async throws -> String? {
        let name = volume["name"]?.stringValue ?? ""
        let manager = FileManager.default
        if volume["emptyDir"] != nil {
            let path = "\(podDirectory)/volumes/kubernetes.io~empty-dir/\(name)"
            try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }
        if let hostPath = volume["hostPath"] {
            let path = hostPath["path"]?.stringValue ?? ""
            switch hostPath["type"]?.stringValue ?? "" {
            case "DirectoryOrCreate":
                try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
            case "FileOrCreate":
                if !manager.fileExists(atPath: path) { manager.createFile(atPath: path, contents: nil) }
            case "Directory", "File", "Socket", "CharDevice", "BlockDevice":
                guard manager.fileExists(atPath: path) else {
                    throw ContainerConfigError(message: "MountVolume.SetUp failed for volume \"\(name)\" : hostPath type check failed: \(path) does not exist")
                }
            default: break
            }
            return path
        }
        if let source = volume["configMap"] {
            let objectName = source["name"]?.stringValue ?? ""
            let path = "\(podDirectory)/volumes/kubernetes.io~configmap/\(name)"
            guard let object = await configMap(objectName) else {
                if source["optional"]?.boolValue == true { return try emptyDirectory(path) }
                throw ContainerConfigError(message: "MountVolume.SetUp failed for volume \"\(name)\" : configmap \"\(objectName)\" not found")
            }
            let data = (object["data"]?.objectValue ?? [:]).compactMapValues { $0.stringValue.map { Data($0.utf8) } }
            try write(data, items: source["items"], mode: source["defaultMode"]?.integerValue ?? 0o644, to: path)
            return path
        }
        if let source = volume["secret"] {
            let objectName = source["secretName"]?.stringValue ?? ""
            let path = "\(podDirectory)/volumes/kubernetes.io~secret/\(name)"
            guard let object = await secret(objectName) else {
                if source["optional"]?.boolValue == true { return try emptyDirectory(path) }
                throw ContainerConfigError(message: "MountVolume.SetUp failed for volume \"\(name)\" : secret \"\(objectName)\" not found")
            }
            let data = (object["data"]?.objectValue ?? [:]).compactMapValues { $0.stringValue.flatMap { Data(base64Encoded: $0) } }
            try write(data, items: source["items"], mode: source["defaultMode"]?.integerValue ?? 0o644, to: path)
            return path
        }
        return nil
    }

    private static func emptyDirectory(_ path: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes the keys (or the listed `items`, each at its `path` with its own `mode`), replacing what was there.
    static func write(_ data: [String: Data], items: JSONValue?, mode: Int64, to directory: String) throws {
        let manager = FileManager.default
        try? manager.removeItem(atPath: directory)
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var files: [(path: String, data: Data, mode: Int64)] = []
        if let items = items?.arrayValue {
            for item in items {
                guard let key = item["key"]?.stringValue, let value = data[key] else {
                    throw ContainerConfigError(message: "configmap references non-existent config key: \(item["key"]?.stringValue ?? "")")
                }
                files.append((item["path"]?.stringValue ?? key, value, item["mode"]?.integerValue ?? mode))
            }
        } else {
            files = data.map { ($0.key, $0.value, mode) }
        }
        for file in files {
            let path = "\(directory)/\(file.path)"
            try manager.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard manager.createFile(atPath: path, contents: file.data, attributes: [.posixPermissions: NSNumber(value: file.mode)]) else {
                throw ContainerConfigError(message: "cannot write \(path)")
            }
        }
    }
}
