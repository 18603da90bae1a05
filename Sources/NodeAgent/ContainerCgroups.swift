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
            guard let cpu = Self.read("\(root)/cpuacct\(path)/cpuacct.usage").flatMap({ Self.number($0[...]) }),
                let memory = Self.read("\(root)/memory\(path)/memory.usage_in_bytes").flatMap({ Self.number($0[...]) }),
                let stat = Self.read("\(root)/memory\(path)/memory.stat")
            else { return nil }
            let inactive = Self.field("total_inactive_file", in: stat) ?? 0
            return Usage(cpuNanoseconds: cpu, workingSetBytes: memory > inactive ? memory - inactive : 0)
        case .v2(let root):
            guard let cpuStat = Self.read("\(root)\(path)/cpu.stat"), let microseconds = Self.field("usage_usec", in: cpuStat),
                let memory = Self.read("\(root)\(path)/memory.current").flatMap({ Self.number($0[...]) }),
                let stat = Self.read("\(root)\(path)/memory.stat")
            else { return nil }
            let inactive = Self.field("inactive_file", in: stat) ?? 0
            return Usage(cpuNanoseconds: microseconds * 1000, workingSetBytes: memory > inactive ? memory - inactive : 0)
        case nil:
            return nil
        }
    }

    /// A cgroup file's bytes (they are small: a number, or a stat table of a few KiB), read with plain system calls:
    /// at a 1 s resolution a node reads three per container every second.
    static func read(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return count == 0 ? bytes : nil }
            bytes += chunk[..<count]
        }
    }

    /// The decimal number at the start of `bytes` (trailing newline and all else ignored).
    private static func number(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        for byte in bytes {
            guard byte >= 0x30, byte <= 0x39 else { break }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            value = shifted + UInt64(byte - 0x30)
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    /// A `name value` line's value in a cgroup stat file.
    static func field(_ name: String, in stat: [UInt8]) -> UInt64? {
        let key = Array(name.utf8) + [0x20]
        var lineStart = 0
        while lineStart < stat.count {
            let lineEnd = stat[lineStart...].firstIndex(of: 0x0A) ?? stat.count
            if lineEnd - lineStart > key.count, stat[lineStart..<lineStart + key.count].elementsEqual(key) {
                return number(stat[(lineStart + key.count)..<lineEnd])
            }
            lineStart = lineEnd + 1
        }
        return nil
    }
}
