import GRPCCore
import GRPCNIOTransportHTTP2Posix
import GRPCProtobuf

/// A client of a container runtime's CRI v1 services (`runtime.v1.RuntimeService` and
/// `runtime.v1.ImageService`) over its unix socket, as the kubelet talks to containerd.
///
/// The client holds one HTTP/2 connection. Keep `run()` running for the client's lifetime and call
/// `beginGracefulShutdown()` to stop it, or use `withClient(endpoint:requestTimeout:_:)`, which does both.
/// gRPC failures surface as `CRIError`.
public final class CRIClient: Sendable {
    /// What every call accepts from the runtime; containerd and the kubelet both use 16 MiB (gRPC's default is 4 MiB).
    public static let maxMessageBytes = 16 * 1024 * 1024

    /// How long a call may take before it fails with `.deadlineExceeded` (the kubelet's
    /// `--runtime-request-timeout`). Image pulls have no deadline; `execSync` and `stopContainer`
    /// get their own timeout on top of this.
    public let requestTimeout: Duration

    private let grpcClient: GRPCClient<HTTP2ClientTransport.Posix>
    private let runtimeService: Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>
    private let imageService: Runtime_V1_ImageService.Client<HTTP2ClientTransport.Posix>

    /// - Parameter endpoint: `unix:///run/containerd/containerd.sock`, or the socket's absolute path.
    public init(endpoint: String, requestTimeout: Duration = .seconds(120)) throws {
        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: try Self.socketPath(endpoint: endpoint), authority: "localhost"),
            transportSecurity: .plaintext
        )
        self.grpcClient = GRPCClient(transport: transport)
        self.runtimeService = Runtime_V1_RuntimeService.Client(wrapping: grpcClient)
        self.imageService = Runtime_V1_ImageService.Client(wrapping: grpcClient)
        self.requestTimeout = requestTimeout
    }

    /// Maintains the connection; returns once `beginGracefulShutdown()` was called and in-flight calls finished.
    /// Cancel the calling task to stop abruptly.
    public func run() async throws {
        try await grpcClient.runConnections()
    }

    /// Lets in-flight calls finish, refuses new ones and makes `run()` return.
    public func beginGracefulShutdown() {
        grpcClient.beginGracefulShutdown()
    }

    /// Connects to `endpoint`, runs `body` with the client and shuts the connection down afterwards.
    public static func withClient<Result: Sendable>(
        endpoint: String,
        requestTimeout: Duration = .seconds(120),
        _ body: (CRIClient) async throws -> Result
    ) async throws -> Result {
        let client = try CRIClient(endpoint: endpoint, requestTimeout: requestTimeout)
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            // Ends when the shutdown below begins; the group awaits it before returning.
            group.addTask { try await client.run() }
            defer { client.beginGracefulShutdown() }
            return try await body(client)
        }
    }

    static func socketPath(endpoint: String) throws -> String {
        let path = endpoint.hasPrefix("unix://") ? String(endpoint.dropFirst("unix://".count)) : endpoint
        guard path.hasPrefix("/") else {
            throw CRIError(
                method: "connect", code: .invalidArgument,
                message: "endpoint \(endpoint) is not a unix socket (unix:///path/to/socket)")
        }
        return path
    }

    // MARK: Runtime

    /// The runtime's name (`containerd`), its version and the CRI version it serves.
    public func version() async throws -> Runtime_V1_VersionResponse {
        try await call("RuntimeService/Version") {
            try await runtimeService.version(.with { $0.version = "v1" }, options: options())
        }
    }

    /// Creates and starts a pod sandbox (its network namespace and pause container); returns its id.
    public func runPodSandbox(_ config: Runtime_V1_PodSandboxConfig, runtimeHandler: String = "") async throws -> String {
        try await call("RuntimeService/RunPodSandbox") {
            try await runtimeService.runPodSandbox(
                .with {
                    $0.config = config
                    $0.runtimeHandler = runtimeHandler
                }, options: options()
            ).podSandboxID
        }
    }

    /// Stops the sandbox's containers and releases its network; repeating it is harmless.
    public func stopPodSandbox(id: String) async throws {
        _ = try await call("RuntimeService/StopPodSandbox") {
            try await runtimeService.stopPodSandbox(.with { $0.podSandboxID = id }, options: options())
        }
    }

    public func removePodSandbox(id: String) async throws {
        _ = try await call("RuntimeService/RemovePodSandbox") {
            try await runtimeService.removePodSandbox(.with { $0.podSandboxID = id }, options: options())
        }
    }

    public func podSandboxStatus(id: String, verbose: Bool = false) async throws -> Runtime_V1_PodSandboxStatusResponse {
        try await call("RuntimeService/PodSandboxStatus") {
            try await runtimeService.podSandboxStatus(
                .with {
                    $0.podSandboxID = id
                    $0.verbose = verbose
                }, options: options())
        }
    }

    public func listPodSandboxes(filter: Runtime_V1_PodSandboxFilter? = nil) async throws -> [Runtime_V1_PodSandbox] {
        try await call("RuntimeService/ListPodSandbox") {
            try await runtimeService.listPodSandbox(
                .with { request in filter.map { request.filter = $0 } }, options: options()
            ).items
        }
    }

    /// Creates a container in a sandbox; `sandboxConfig` is the config the sandbox was run with. Returns its id.
    public func createContainer(
        podSandboxID: String, config: Runtime_V1_ContainerConfig, sandboxConfig: Runtime_V1_PodSandboxConfig
    ) async throws -> String {
        try await call("RuntimeService/CreateContainer") {
            try await runtimeService.createContainer(
                .with {
                    $0.podSandboxID = podSandboxID
                    $0.config = config
                    $0.sandboxConfig = sandboxConfig
                }, options: options()
            ).containerID
        }
    }

    public func startContainer(id: String) async throws {
        _ = try await call("RuntimeService/StartContainer") {
            try await runtimeService.startContainer(.with { $0.containerID = id }, options: options())
        }
    }

    /// Sends the stop signal, then kills the container after `gracePeriod` (whole seconds on the wire).
    public func stopContainer(id: String, gracePeriod: Duration) async throws {
        _ = try await call("RuntimeService/StopContainer") {
            try await runtimeService.stopContainer(
                .with {
                    $0.containerID = id
                    $0.timeout = gracePeriod.components.seconds
                }, options: options(timeout: requestTimeout + gracePeriod))
        }
    }

    public func removeContainer(id: String) async throws {
        _ = try await call("RuntimeService/RemoveContainer") {
            try await runtimeService.removeContainer(.with { $0.containerID = id }, options: options())
        }
    }

    public func containerStatus(id: String, verbose: Bool = false) async throws -> Runtime_V1_ContainerStatusResponse {
        try await call("RuntimeService/ContainerStatus") {
            try await runtimeService.containerStatus(
                .with {
                    $0.containerID = id
                    $0.verbose = verbose
                }, options: options())
        }
    }

    public func listContainers(filter: Runtime_V1_ContainerFilter? = nil) async throws -> [Runtime_V1_Container] {
        try await call("RuntimeService/ListContainers") {
            try await runtimeService.listContainers(
                .with { request in filter.map { request.filter = $0 } }, options: options()
            ).containers
        }
    }

    /// Runs `command` in the container and returns its exit code and captured output.
    /// - Parameter timeout: how long the command may run (whole seconds on the wire); `nil` for no limit.
    public func execSync(containerID: String, command: [String], timeout: Duration? = nil) async throws
        -> Runtime_V1_ExecSyncResponse
    {
        try await call("RuntimeService/ExecSync") {
            try await runtimeService.execSync(
                .with {
                    $0.containerID = containerID
                    $0.cmd = command
                    $0.timeout = timeout?.components.seconds ?? 0
                }, options: options(timeout: timeout.map { requestTimeout + $0 }))
        }
    }

    /// Every container's resource usage (memory working set, writable layer) as the runtime measures it now.
    public func listContainerStats() async throws -> [Runtime_V1_ContainerStats] {
        try await call("RuntimeService/ListContainerStats") {
            try await runtimeService.listContainerStats(.init(), options: options()).stats
        }
    }

    /// Prepares forwarding connections to the sandbox's ports and returns the URL of the runtime's streaming server.
    public func portForward(podSandboxID: String, ports: [Int32] = []) async throws -> String {
        try await call("RuntimeService/PortForward") {
            try await runtimeService.portForward(
                .with {
                    $0.podSandboxID = podSandboxID
                    $0.port = ports
                }, options: options()
            ).url
        }
    }

    /// Prepares a streaming exec and returns the URL of the runtime's streaming server to connect to.
    public func exec(_ request: Runtime_V1_ExecRequest) async throws -> String {
        try await call("RuntimeService/Exec") {
            try await runtimeService.exec(request, options: options()).url
        }
    }

    /// Makes the runtime reopen a container's log file, after the kubelet has moved the old one aside.
    public func reopenContainerLog(id: String) async throws {
        _ = try await call("RuntimeService/ReopenContainerLog") {
            try await runtimeService.reopenContainerLog(.with { $0.containerID = id }, options: options())
        }
    }

    /// Prepares attaching to a running container's streams and returns the streaming server's URL for it.
    public func attach(_ request: Runtime_V1_AttachRequest) async throws -> String {
        try await call("RuntimeService/Attach") {
            try await runtimeService.attach(request, options: options()).url
        }
    }

    // MARK: Images

    /// Pulls an image (no deadline); returns the image reference the runtime stored, usually `sha256:…`.
    public func pullImage(
        _ image: Runtime_V1_ImageSpec, auth: Runtime_V1_AuthConfig? = nil, sandboxConfig: Runtime_V1_PodSandboxConfig? = nil
    ) async throws -> String {
        try await call("ImageService/PullImage") {
            try await imageService.pullImage(
                .with { request in
                    request.image = image
                    auth.map { request.auth = $0 }
                    sandboxConfig.map { request.sandboxConfig = $0 }
                }, options: options(timeout: nil)
            ).imageRef
        }
    }

    /// The image, or `nil` when the runtime does not have it.
    public func imageStatus(_ image: Runtime_V1_ImageSpec) async throws -> Runtime_V1_Image? {
        try await call("ImageService/ImageStatus") {
            let response = try await imageService.imageStatus(.with { $0.image = image }, options: options())
            return response.hasImage ? response.image : nil
        }
    }

    public func listImages(filter: Runtime_V1_ImageFilter? = nil) async throws -> [Runtime_V1_Image] {
        try await call("ImageService/ListImages") {
            try await imageService.listImages(
                .with { request in filter.map { request.filter = $0 } }, options: options()
            ).images
        }
    }

    // MARK: Calls

    private func options(timeout: Duration?) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = timeout
        options.maxResponseMessageBytes = Self.maxMessageBytes
        return options
    }

    private func options() -> CallOptions {
        options(timeout: requestTimeout)
    }

    /// Calls that change nothing, or whose repetition changes nothing more (stopping and removing what may already
    /// be gone, preparing a streaming session), may be sent again when the connection failed under them; so may
    /// `ExecSync`, which runs probes and lifecycle hooks: commands the kubelet runs again and again anyway.
    static let repeatableMethods: Set<String> = [
        "RuntimeService/Version", "RuntimeService/StopPodSandbox", "RuntimeService/RemovePodSandbox", "RuntimeService/PodSandboxStatus",
        "RuntimeService/ListPodSandbox", "RuntimeService/StopContainer", "RuntimeService/RemoveContainer", "RuntimeService/ContainerStatus",
        "RuntimeService/ListContainers", "RuntimeService/ListContainerStats", "RuntimeService/ExecSync", "RuntimeService/Exec", "RuntimeService/Attach", "RuntimeService/PortForward", "ImageService/ImageStatus",
        "ImageService/ListImages",
    ]
    static let attemptsWhenUnavailable = 4

    private func call<Result: Sendable>(_ method: String, _ body: () async throws -> Result) async throws -> Result {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as RPCError {
                // The HTTP/2 connection to containerd is occasionally seen to close under a call ("Stream unexpectedly
                // closed"); the client reconnects, and a call that is safe to repeat goes out again on the new one.
                guard error.code == .unavailable, attempt < Self.attemptsWhenUnavailable, Self.repeatableMethods.contains(method) else {
                    throw CRIError(method: method, error)
                }
                try await Task.sleep(for: .milliseconds(100 * attempt))
                attempt += 1
            }
        }
    }
}
