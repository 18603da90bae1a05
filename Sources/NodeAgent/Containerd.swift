import Foundation
import Logging

/// A containerd the agent runs itself when no CRI endpoint is given: its config, root, state, socket, registry
/// hosts and CNI config all live under the agent's directory, so it never touches a containerd of the machine's.
/// Its containers outlive it (their shims stay), so a restarted agent finds them again.
final class Containerd: Sendable {
    struct Paths: Sendable {
        let directory: String
        var config: String { "\(directory)/containerd/config.toml" }
        var socket: String { "\(directory)/containerd/containerd.sock" }
        var log: String { "\(directory)/containerd/containerd.log" }
        var pidFile: String { "\(directory)/containerd/containerd.pid" }
        var registryHosts: String { "\(directory)/containerd/certs.d" }
        var cniConfig: String { "\(directory)/cni/net.d" }
        var cniIPAM: String { "\(directory)/cni/ipam" }
        var podLogs: String { "\(directory)/logs/pods" }
        var pods: String { "\(directory)/pods" }
    }

    struct StartError: Error, CustomStringConvertible {
        var description: String
    }

    /// Where Debian's containernetworking-plugins put the CNI plugins.
    static let cniBinaryDirectory = "/usr/lib/cni"

    let paths: Paths
    private let process: Process
    private let logger: Logger

    /// Writes the config and starts containerd; the agent then waits for its CRI `Version` to answer.
    init(directory: String, registries: RegistryConfiguration, pauseImage: String, logger: Logger) throws {
        paths = Paths(directory: directory)
        self.logger = logger
        guard let binary = Self.find("containerd") else {
            throw StartError(description: "containerd is not installed: install Debian's containerd, runc and containernetworking-plugins packages")
        }
        guard Self.find("runc") != nil else { throw StartError(description: "runc is not installed: install Debian's runc package") }
        guard geteuid() == 0 else {
            throw StartError(
                description: "the node agent runs containerd, which needs root: run as root, or run `skiff server --disable-agent` for a control plane without a node")
        }
        guard FileManager.default.isExecutableFile(atPath: "\(Self.cniBinaryDirectory)/bridge") else {
            throw StartError(description: "the CNI plugins are not installed: install Debian's containernetworking-plugins package")
        }
        let manager = FileManager.default
        for directory in [paths.registryHosts, paths.cniConfig, paths.cniIPAM, paths.podLogs, paths.pods] {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        for (host, toml) in registries.hostsFiles() {
            try manager.createDirectory(atPath: "\(paths.registryHosts)/\(host)", withIntermediateDirectories: true)
            try toml.write(toFile: "\(paths.registryHosts)/\(host)/hosts.toml", atomically: true, encoding: .utf8)
        }
        try Self.config(paths, registries: registries, pauseImage: pauseImage).write(toFile: paths.config, atomically: true, encoding: .utf8)
        // A containerd whose agent was killed runs on and holds the root's database: it goes first (its containers
        // stay with their shims, and the new containerd picks them up).
        Self.stopLeftover(paths, logger: logger)
        // A socket left by a containerd that did not stop cleanly would look like a live one.
        try? manager.removeItem(atPath: paths.socket)

        guard manager.createFile(atPath: paths.log, contents: nil), let log = FileHandle(forWritingAtPath: paths.log) else {
            throw StartError(description: "cannot write \(paths.log)")
        }
        log.seekToEndOfFile()
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--config", paths.config]
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try? String(process.processIdentifier).write(toFile: paths.pidFile, atomically: true, encoding: .utf8)
        logger.info("containerd started", metadata: ["socket": "\(paths.socket)", "pid": "\(process.processIdentifier)"])
    }

    /// Why containerd cannot serve: nil while it runs; once it has exited, the end of its log.
    var failure: StartError? {
        guard !process.isRunning else { return nil }
        let output = (try? String(contentsOfFile: paths.log, encoding: .utf8)) ?? ""
        return StartError(description: "containerd did not start; its log ends:\n\(output.suffix(2000))")
    }

    var endpoint: String { "unix://\(paths.socket)" }

    /// Stops containerd (SIGTERM, SIGKILL after a second); the containers keep running under their shims.
    ///
    /// containerd 1.6 was seen to hang for good in its CRI shutdown ("Stop CRI service") while shims it started
    /// still run, that is whenever pods are left running. Killing it then is safe: its metadata store is
    /// transactional, the shims and their containers live on, and the next containerd on the same root and state
    /// re-attaches to them.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(1)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        // Polled rather than `waitUntilExit()`, which was seen to hang while the process itself was exiting.
        let killed = Date().addingTimeInterval(5)
        while process.isRunning && Date() < killed { Thread.sleep(forTimeInterval: 0.05) }
    }

    /// Stops the containerd the pid file names if it still runs with this directory's config (SIGTERM, SIGKILL
    /// after a second, as `stop()`); a pid reused by another program is left alone.
    static func stopLeftover(_ paths: Paths, logger: Logger) {
        guard let text = try? String(contentsOfFile: paths.pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            pid > 0, let commandLine = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))
        else { return }
        let arguments = commandLine.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard arguments.first?.hasSuffix("containerd") == true, arguments.contains(paths.config) else { return }
        logger.info("stopping the containerd a previous agent left running", metadata: ["pid": "\(pid)"])
        // Alive, and not a zombie waiting for a parent other than this process to reap it.
        func running() -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
            return !stat[close...].dropFirst(2).hasPrefix("Z")
        }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(1)
        while running() && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard running() else { return }
        kill(pid, SIGKILL)
        let killed = Date().addingTimeInterval(5)
        while running() && Date() < killed { Thread.sleep(forTimeInterval: 0.05) }
    }

    static func find(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return (path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"])
            .map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether this process may lower OOM scores (CAP_SYS_RESOURCE). Without it (some VMs and containers drop it) the
    /// sandbox's -998 cannot be set and every pod would fail to start, so containerd is told to keep scores at or
    /// above the agent's own, as for rootless nodes.
    static var restrictOOMScoreAdjustment: Bool {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
            let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return true }
        let sysResource: UInt64 = 1 << 24
        return mask & sysResource == 0
    }

    /// containerd 1.6's config (version 2): the CRI plugin with runc under cgroupfs (no systemd here), overlayfs,
    /// Debian's CNI plugin directory, the pause image and registry hosts from `registries`.
    static func config(_ paths: Paths, registries: RegistryConfiguration, pauseImage: String) -> String {
        var auth = ""
        for (host, settings) in registries.hosts.sorted(by: { $0.key < $1.key })
        where settings.username != nil || settings.auth != nil || settings.identityToken != nil {
            auth += "\n  [plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\(RegistryConfiguration.quoted(host)).auth]\n"
            if let username = settings.username { auth += "    username = \(RegistryConfiguration.quoted(username))\n" }
            if let password = settings.password { auth += "    password = \(RegistryConfiguration.quoted(password))\n" }
            if let token = settings.auth { auth += "    auth = \(RegistryConfiguration.quoted(token))\n" }
            if let token = settings.identityToken { auth += "    identitytoken = \(RegistryConfiguration.quoted(token))\n" }
        }
        let base = paths.directory + "/containerd"
        return """
            version = 2
            root = \(RegistryConfiguration.quoted(base + "/root"))
            state = \(RegistryConfiguration.quoted(base + "/state"))

            [grpc]
              address = \(RegistryConfiguration.quoted(paths.socket))

            [ttrpc]
              address = \(RegistryConfiguration.quoted(paths.socket + ".ttrpc"))

            [plugins."io.containerd.internal.v1.opt"]
              path = \(RegistryConfiguration.quoted(base + "/opt"))

            [plugins."io.containerd.grpc.v1.cri"]
              sandbox_image = \(RegistryConfiguration.quoted(pauseImage))
              restrict_oom_score_adj = \(restrictOOMScoreAdjustment)
              [plugins."io.containerd.grpc.v1.cri".containerd]
                snapshotter = "overlayfs"
                default_runtime_name = "runc"
                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                  runtime_type = "io.containerd.runc.v2"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                    SystemdCgroup = false
              [plugins."io.containerd.grpc.v1.cri".cni]
                bin_dir = \(RegistryConfiguration.quoted(cniBinaryDirectory))
                conf_dir = \(RegistryConfiguration.quoted(paths.cniConfig))
              [plugins."io.containerd.grpc.v1.cri".registry]
                config_path = \(RegistryConfiguration.quoted(paths.registryHosts))
            \(auth)
            """
    }
}
