import Foundation

/// What the node agent reports about its machine in the Node's capacity and `nodeInfo`.
struct MachineInfo: Sendable {
    var cpus: Int
    var memoryBytes: UInt64
    var storageBytes: UInt64
    var architecture: String
    var kernelVersion: String
    var osImage: String
    var machineID: String
    var bootID: String

    static func read(directory: String) -> MachineInfo {
        func file(_ path: String) -> String? {
            (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var system = utsname()
        uname(&system)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let machine = field(system.machine)
        let osRelease = file("/etc/os-release") ?? ""
        let prettyName = osRelease.split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
            .map { String($0.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let storage = (try? FileManager.default.attributesOfFileSystem(forPath: directory)[.systemSize] as? NSNumber)?.uint64Value ?? 0
        return MachineInfo(
            cpus: ProcessInfo.processInfo.activeProcessorCount, memoryBytes: ProcessInfo.processInfo.physicalMemory, storageBytes: storage,
            architecture: machine == "x86_64" ? "amd64" : (machine == "aarch64" ? "arm64" : machine), kernelVersion: field(system.release),
            osImage: prettyName ?? "Linux", machineID: file("/etc/machine-id") ?? "", bootID: file("/proc/sys/kernel/random/boot_id") ?? "")
    }
}
