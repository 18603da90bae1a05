import Foundation

/// Writes the files of a configMap, secret, downwardAPI or projected volume so that a running container sees an
/// update all at once, as the kubelet's atomic writer does: the files live in a hidden timestamped directory,
/// `..data` is a symlink to it that is replaced by one `rename`, and each top-level name is a symlink into
/// `..data`. The volume directory itself (what the container has mounted) is never replaced.
enum AtomicVolumeWriter {
    struct File: Equatable {
        var path: String
        var data: Data
        var mode: Int64
    }

    static let dataLink = "..data"

    /// Makes `directory` hold exactly `files`; returns false when it already did (nothing written).
    @discardableResult
    static func write(_ files: [File], to directory: String) throws -> Bool {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let current = try? manager.destinationOfSymbolicLink(atPath: "\(directory)/\(dataLink)")
        if let current, try Self.files(in: "\(directory)/\(current)") == Self.normalized(files) { return false }

        let stamp = "..\(Self.timestamp())_\(UInt32.random(in: 0...UInt32.max))"
        for file in files {
            let path = "\(directory)/\(stamp)/\(file.path)"
            try manager.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard manager.createFile(atPath: path, contents: file.data, attributes: [.posixPermissions: NSNumber(value: file.mode)]) else {
                throw ContainerConfigError(message: "cannot write \(path)")
            }
        }
        let staged = "\(directory)/..data_tmp"
        try? manager.removeItem(atPath: staged)
        try manager.createSymbolicLink(atPath: staged, withDestinationPath: stamp)
        guard rename(staged, "\(directory)/\(dataLink)") == 0 else {
            throw ContainerConfigError(message: "cannot publish \(directory): \(String(cString: strerror(errno)))")
        }
        let names = Set(files.map { String($0.path.split(separator: "/").first ?? "") })
        for name in names where (try? manager.destinationOfSymbolicLink(atPath: "\(directory)/\(name)")) == nil {
            try manager.createSymbolicLink(atPath: "\(directory)/\(name)", withDestinationPath: "\(dataLink)/\(name)")
        }
        for entry in try manager.contentsOfDirectory(atPath: directory) where !names.contains(entry) && entry != dataLink && entry != stamp {
            try? manager.removeItem(atPath: "\(directory)/\(entry)")
        }
        return true
    }

    /// The files under a published directory, as `write` would be given them, sorted by path.
    static func files(in directory: String) throws -> [File] {
        let manager = FileManager.default
        guard let enumerator = manager.enumerator(atPath: directory) else { return [] }
        var found: [File] = []
        while let relative = enumerator.nextObject() as? String {
            let path = "\(directory)/\(relative)"
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let attributes = try manager.attributesOfItem(atPath: path)
            let mode = (attributes[.posixPermissions] as? NSNumber)?.int64Value ?? 0
            found.append(File(path: relative, data: try Data(contentsOf: URL(fileURLWithPath: path)), mode: mode))
        }
        return normalized(found)
    }

    private static func normalized(_ files: [File]) -> [File] { files.sorted { $0.path < $1.path } }

    private static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy_MM_dd_HH_mm_ss"
        return formatter.string(from: Date())
    }
}
