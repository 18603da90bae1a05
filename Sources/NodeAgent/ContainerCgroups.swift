import APIMachinery
import Foundation
import Synchronization

/// Containers' CPU and memory read straight from their cgroups, as cAdvisor reads them for the kubelet: reading a few
/// files costs nothing of containerd, whose `ListContainerStats` asks every container's shim in turn. Each
/// container's cgroup path comes once from the runtime's verbose status (its OCI spec's `linux.cgroupsPath`);
/// cgroup v1 and v2 are both read. A container whose cgroup cannot be read (a systemd-style path, another layout) is
/// left to the runtime's stats.
final class ContainerCgroups: Sendable {
    enum Layout: Sendable, Equatable {
        /// One hierarchy per controller: `<root>/cpuacct/...`, `<root>/memory/...`.
        case v1(root: String)
        /// The unified hierarchy: `<root>/...`.
        case v2(root: String)
    }

    struct Usage: Sendable, Equatable {
        var cpuNanoseconds: UInt64
        var workingSetBytes: UInt64
    }

    let layout: Layout?
    /// Container ID → cgroup path (nil: none that can be read), for the containers running at the last reading.
    private let paths = Mutex<[String: String?]>([:])

    init(layout: Layout? = ContainerCgroups.detect()) {
        self.layout = layout
    }

    static func detect(root: String = "/sys/fs/cgroup") -> Layout? {
        let manager = FileManager.default
        if manager.fileExists(atPath: "\(root)/cgroup.controllers") { return .v2(root: root) }
        if manager.fileExists(atPath: "\(root)/cpuacct/cpuacct.usage") && manager.fileExists(atPath: "\(root)/memory/memory.stat") {
            return .v1(root: root)
        }
        return nil
    }

    /// The cgroup path of each container, asking `lookup` (the runtime) for those not seen before; containers no longer
    /// running are forgotten.
    func paths(for ids: [String], lookup: (String) async -> String?) async -> [String: String] {
        let known = paths.withLock { $0 }
        var current: [String: String?] = [:]
        for id in ids {
            if let path = known[id] {
                current[id] = path
            } else {
                current[id] = .some(await lookup(id).flatMap { $0.hasPrefix("/") ? $0 : nil })
            }
        }
        paths.withLock { $0 = current }
        return current.compactMapValues { $0 }
    }

    /// The cgroup path in a CRI verbose status' `info`: the OCI spec's `linux.cgroupsPath`.
    static func cgroupsPath(verboseInfo: [String: String]) -> String? {
        guard let text = verboseInfo["info"], let info = try? JSONValue.parse(Array(text.utf8)) else { return nil }
        return info[path: "runtimeSpec", "linux", "cgroupsPath"]?.stringValue
    }

    /// The cgroup's CPU time and working set (usage less inactive file pages), or nil when it cannot be read.
    func usage(cgroupsPath path: String) -> Usage? {
        switch layout {
        case .v1(let root):
            guard let cpu = Self.number(in: "\(root)/cpuacct\(path)/cpuacct.usage"),
                let memory = Self.number(in: "\(root)/memory\(path)/memory.usage_in_bytes"),
                let stat = try? String(contentsOfFile: "\(root)/memory\(path)/memory.stat", encoding: .utf8)
            else { return nil }
            let inactive = Self.field("total_inactive_file", in: stat) ?? 0
            return Usage(cpuNanoseconds: cpu, workingSetBytes: memory > inactive ? memory - inactive : 0)
        case .v2(let root):
            guard let cpuStat = try? String(contentsOfFile: "\(root)\(path)/cpu.stat", encoding: .utf8),
                let microseconds = Self.field("usage_usec", in: cpuStat), let memory = Self.number(in: "\(root)\(path)/memory.current"),
                let stat = try? String(contentsOfFile: "\(root)\(path)/memory.stat", encoding: .utf8)
            else { return nil }
            let inactive = Self.field("inactive_file", in: stat) ?? 0
            return Usage(cpuNanoseconds: microseconds * 1000, workingSetBytes: memory > inactive ? memory - inactive : 0)
        case nil:
            return nil
        }
    }

    private static func number(in file: String) -> UInt64? {
        (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// A `name value` line's value in a cgroup stat file.
    static func field(_ name: String, in stat: String) -> UInt64? {
        for line in stat.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == name { return UInt64(parts[1]) }
        }
        return nil
    }
}
