import Foundation

/// The kubelet's container log rotation: a running container's log file that has grown past the size limit is
/// renamed to `<file>.<UTC yyyyMMdd-HHmmss>` and the runtime reopens the file; of the rotated files the newest
/// `maxFiles - 1` are kept. `kubectl logs` reads the current file, as with the kubelet.
enum ContainerLogRotation {
    struct Plan: Equatable {
        /// Where the current file goes, nil when it is within the limit.
        var rotateTo: String?
        /// Rotated files beyond the ones kept, oldest first.
        var delete: [String]
    }

    /// - Parameters:
    ///   - rotated: the names of the files next to `path` that rotation made earlier (`<file>.<stamp>`).
    static func plan(path: String, size: Int64, rotated: [String], maxSize: Int64, maxFiles: Int, now: Date) -> Plan {
        guard size > maxSize else { return Plan(rotateTo: nil, delete: []) }
        let target = "\(path).\(stamp(now))"
        // The stamps sort by time; the file rotated now is the newest.
        let kept = max(0, maxFiles - 2)
        let older = rotated.sorted()
        return Plan(rotateTo: target, delete: Array(older.dropLast(kept)))
    }

    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: date)
    }

    /// The files rotation made from `path` (full paths).
    static func rotatedFiles(of path: String) -> [String] {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.filter { $0.hasPrefix(name + ".") && $0.count == name.count + 16 }.map { "\(directory)/\($0)" }
    }
}
