import Foundation

/// A containerd of the test's own: its root, state, CNI config directory and socket live in a fresh
/// temporary directory, so it never touches (or needs) the machine's `/run/containerd`.
///
/// Needs the `containerd` binary (Debian's `containerd` package, 1.6) and root.
final class TestContainerd {
    /// The `containerd` binary on `PATH`, or `nil` when it is not installed.
    static let binary: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/usr/sbin"
        return path.split(separator: ":").map { "\($0)/containerd" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static let isRoot = getuid() == 0

    /// Why the tests cannot run here, or `nil` when they can.
    static let unavailableReason: String? =
        if binary == nil {
            "containerd is not installed (apt-get install containerd runc containernetworking-plugins)"
        } else if !isRoot {
            "containerd needs root"
        } else {
            nil
        }

    let directory: URL
    let process: Process

    /// `unix://` endpoint of the CRI (and containerd) gRPC socket.
    var endpoint: String { "unix://" + directory.appendingPathComponent("containerd.sock").path }
    var socketPath: String { directory.appendingPathComponent("containerd.sock").path }
    var logPath: String { directory.appendingPathComponent("containerd.log").path }

    /// Starts containerd and waits until its socket exists.
    init() throws {
        guard let binary = Self.binary else { throw TestContainerdError("containerd is not installed") }
        // Short: a unix socket path must fit in 108 bytes.
        directory = URL(fileURLWithPath: "/tmp/skiff-cri-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configPath = directory.appendingPathComponent("config.toml")
        try Self.config(directory: directory.path).write(to: configPath, atomically: true, encoding: .utf8)

        let logPath = directory.appendingPathComponent("containerd.log").path
        guard FileManager.default.createFile(atPath: logPath, contents: nil), let log = FileHandle(forWritingAtPath: logPath) else {
            throw TestContainerdError("cannot create \(logPath)")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--config", configPath.path, "--log-level", "info"]
        process.standardOutput = log
        process.standardError = log
        try process.run()

        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: socketPath) {
            guard process.isRunning, Date() < deadline else {
                let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                stop()
                throw TestContainerdError("containerd did not start:\n\(output.suffix(4000))")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// Stops containerd (SIGTERM, then SIGKILL after 10 s) and removes its directory.
    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// containerd 1.6's config (version 2, see `containerd config default`) with every path moved under `directory`.
    /// - cgroupfs rather than systemd drives the cgroups (this machine has cgroup v1 and no systemd);
    /// - `restrict_oom_score_adj`: without CAP_SYS_RESOURCE (as here) runc cannot give the pause container
    ///   its oom_score_adj of -998 and every RunPodSandbox fails ("can't get final child's PID from pipe");
    /// - Debian installs the CNI plugins in /usr/lib/cni, not containerd's default /opt/cni/bin;
    /// - the sandbox image is never pulled here (no registry access): import it before running pods.
    static func config(directory: String) -> String {
        """
        version = 2
        root = "\(directory)/root"
        state = "\(directory)/state"

        [grpc]
          address = "\(directory)/containerd.sock"

        [plugins."io.containerd.internal.v1.opt"]
          path = "\(directory)/opt"

        [plugins."io.containerd.grpc.v1.cri"]
          sandbox_image = "registry.k8s.io/pause:3.6"
          restrict_oom_score_adj = true
          [plugins."io.containerd.grpc.v1.cri".containerd]
            snapshotter = "overlayfs"
            default_runtime_name = "runc"
            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
              runtime_type = "io.containerd.runc.v2"
              [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                SystemdCgroup = false
          [plugins."io.containerd.grpc.v1.cri".cni]
            bin_dir = "/usr/lib/cni"
            conf_dir = "\(directory)/cni"

        """
    }
}

struct TestContainerdError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
