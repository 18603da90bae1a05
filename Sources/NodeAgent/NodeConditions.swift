import APIMachinery
import Foundation

/// What the machine has left, read afresh for each heartbeat: the eviction signals the kubelet turns into the
/// MemoryPressure, DiskPressure and PIDPressure conditions.
struct NodeResourceReadings: Sendable, Equatable {
    /// `MemAvailable` and `MemTotal` of /proc/meminfo.
    var memoryAvailableBytes: UInt64?
    var memoryCapacityBytes: UInt64?
    /// The filesystem holding the agent's directory (pod volumes, logs and containerd's root): the kubelet's nodefs.
    var filesystemAvailableBytes: UInt64?
    var filesystemCapacityBytes: UInt64?
    var filesystemInodesFree: UInt64?
    var filesystemInodes: UInt64?
    /// /proc/sys/kernel/pid_max and the tasks running now, as the kubelet's `pid.available` counts them.
    var pidMax: UInt64?
    var processes: UInt64?

    /// Reads this machine; a reading that cannot be taken is nil and raises no pressure.
    static func read(directory: String) -> NodeResourceReadings {
        var readings = NodeResourceReadings()
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
            readings.memoryAvailableBytes = memoryField("MemAvailable", meminfo: meminfo)
            readings.memoryCapacityBytes = memoryField("MemTotal", meminfo: meminfo)
        }
        var filesystem = statvfs()
        if statvfs(directory, &filesystem) == 0 {
            let blockSize = UInt64(filesystem.f_frsize)
            readings.filesystemAvailableBytes = UInt64(filesystem.f_bavail) * blockSize
            readings.filesystemCapacityBytes = UInt64(filesystem.f_blocks) * blockSize
            // Some filesystems (btrfs, overlay on some kernels) count no inodes: no reading rather than "none free".
            if filesystem.f_files > 0 {
                readings.filesystemInodesFree = UInt64(filesystem.f_favail)
                readings.filesystemInodes = UInt64(filesystem.f_files)
            }
        }
        if let text = try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8) {
            readings.pidMax = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        if let loadavg = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) { readings.processes = tasks(loadavg: loadavg) }
        return readings
    }

    /// `0.10 0.05 0.01 2/345 6789` → 345, the tasks that exist now (what sysinfo's `procs`, the kubelet's count, holds).
    static func tasks(loadavg: String) -> UInt64? {
        let fields = loadavg.split(separator: " ")
        guard fields.count >= 4, let slash = fields[3].firstIndex(of: "/") else { return nil }
        return UInt64(fields[3][fields[3].index(after: slash)...])
    }

    /// `MemAvailable:  123456 kB` → bytes.
    static func memoryField(_ name: String, meminfo: String) -> UInt64? {
        guard let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, let value = UInt64(fields[1]) else { return nil }
        return fields.count >= 3 && fields[2] == "kB" ? value * 1024 : value
    }
}

/// The node conditions the eviction thresholds raise, with the kubelet's reasons and messages
/// (`nodestatus.MemoryPressureCondition` and its siblings).
struct NodePressure: Sendable, Equatable {
    var memory = false
    var disk = false
    var pids = false

    init(memory: Bool = false, disk: Bool = false, pids: Bool = false) {
        self.memory = memory
        self.disk = disk
        self.pids = pids
    }

    init(_ met: [EvictionThresholds.Observation]) {
        for observation in met {
            switch observation.signal {
            case .memoryAvailable: memory = true
            case .nodefsAvailable, .nodefsInodesFree, .imagefsAvailable: disk = true
            case .pidAvailable: pids = true
            }
        }
    }

    /// MemoryPressure, DiskPressure, PIDPressure and Ready, each stamped with `now` as its heartbeat; a condition
    /// whose status is what `previous` holds keeps its transition time.
    func conditions(previous: [JSONValue], now: Date) -> [JSONValue] {
        let time = JSONValue.string(KubeTime.format(now))
        func condition(_ type: String, _ status: Bool, _ reason: String, _ message: String) -> JSONValue {
            let statusText: JSONValue = status ? "True" : "False"
            let before = previous.first { $0["type"]?.stringValue == type }
            let transition = before?["status"] == statusText ? before?["lastTransitionTime"] ?? time : time
            return [
                "type": .string(type), "status": statusText, "reason": .string(reason), "message": .string(message),
                "lastHeartbeatTime": time, "lastTransitionTime": transition,
            ]
        }
        return [
            memory
                ? condition("MemoryPressure", true, "KubeletHasInsufficientMemory", "kubelet has insufficient memory available")
                : condition("MemoryPressure", false, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            disk
                ? condition("DiskPressure", true, "KubeletHasDiskPressure", "kubelet has disk pressure")
                : condition("DiskPressure", false, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            pids
                ? condition("PIDPressure", true, "KubeletHasInsufficientPID", "kubelet has insufficient PID available")
                : condition("PIDPressure", false, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            condition("Ready", true, "KubeletReady", "kubelet is posting ready status"),
        ]
    }

    /// The events the kubelet records when a pressure condition it reported before changes status
    /// (`NodeHasInsufficientMemory`, `NodeHasNoDiskPressure`, …: the condition's reason, `Node` for `Kubelet`).
    static func transitionEvents(previous: [JSONValue], current: [JSONValue]) -> [String] {
        current.compactMap { condition in
            guard let type = condition["type"]?.stringValue, type.hasSuffix("Pressure"),
                let before = previous.first(where: { $0["type"]?.stringValue == type }), before["status"] != condition["status"],
                let reason = condition["reason"]?.stringValue, reason.hasPrefix("Kubelet")
            else { return nil }
            return "Node" + reason.dropFirst("Kubelet".count)
        }
    }
}
