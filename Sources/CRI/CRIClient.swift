import GRPCCore
import GRPCNIOTransportHTTP2Posix
import GRPCProtobuf
import Synchronization

/// A client of a container runtime's CRI v1 services (`runtime.v1.RuntimeService` and
/// `runtime.v1.ImageService`) over its unix socket, as the kubelet talks to containerd.
///
/// Keep `run()` running for the client's lifetime and call `beginGracefulShutdown()` to stop it, or use
/// `withClient(endpoint:requestTimeout:_:)`, which does both. gRPC failures surface as `CRIError`.
///
/// Calls go over one HTTP/2 connection at a time, which is retired after `callsPerConnection` calls: grpc-go servers
/// (containerd) answer almost every request with a flow-control (BDP) PING, and swift-nio-http2 closes a connection
/// that receives more than 200 PINGs within 30 s as a flood (GOAWAY, ENHANCE_YOUR_CALM), failing every call on it with
/// "Stream unexpectedly closed" while containerd sees "context canceled" (a `StopContainer` waiting out a grace
/// period, a `StartContainer`). Neither limit can be set from here, so new calls move to a fresh connection long
/// before that, and a retired one closes once its last call is answered; it sends no requests, so it draws no PINGs.
public final class CRIClient: Sendable {
    /// What every call accepts from the runtime; containerd and the kubelet both use 16 MiB (gRPC's default is 4 MiB).
    public static let maxMessageBytes = 16 * 1024 * 1024

    /// Calls one connection carries before new calls open another; well below the 200 PINGs it may receive in 30 s.
    static let callsPerConnection = 150

    /// How long a call may take before it fails with `.deadlineExceeded` (the kubelet's
    /// `--runtime-request-timeout`). Image pulls have no deadline; `execSync` and `stopContainer`
    /// get their own timeout on top of this.
    public let requestTimeout: Duration

    /// One HTTP/2 connection to the runtime with the two services' stubs over it.
    struct Connection: Sendable {
        let id: Int
        let grpcClient: GRPCClient<HTTP2ClientTransport.Posix>
        let runtime: Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>
        let images: Runtime_V1_ImageService.Client<HTTP2ClientTransport.Posix>

        init(id: Int, socketPath: String) throws {
            let transport = try HTTP2ClientTransport.Posix(
                target: .unixDomainSocket(path: socketPath, authority: "localhost"), transportSecurity: .plaintext)
            self.id = id
            self.grpcClient = GRPCClient(transport: transport)
            self.runtime = Runtime_V1_RuntimeService.Client(wrapping: grpcClient)
            self.images = Runtime_V1_ImageService.Client(wrapping: grpcClient)
        }
    }

    /// The connection new calls go to, and the retired ones still answering calls.
    struct Connections {
        var current: Connection
        var callsOnCurrent = 0
        /// Calls not yet answered, per connection.
        var inFlight: [Int: Int] = [:]
        var retired: [Int: Connection] = [:]
        var shuttingDown = false
        /// Calls sent again because the connection failed under them.
        var retriedCalls = 0

        /// Counts a call on the current connection, first moving new calls to `next()` once the current one has
        /// carried `callsPerConnection`. Returns the connection to call on, the new connection to run (if any) and the
        /// retired one to close because nothing is in flight on it.
        mutating func startCall(next: () throws -> Connection) throws -> (call: Connection, started: Connection?, drained: Connection?) {
            var started: Connection?
            var drained: Connection?
            if callsOnCurrent >= CRIClient.callsPerConnection {
                let old = current
                current = try next()
                started = current
                callsOnCurrent = 0
                if inFlight[old.id, default: 0] == 0 { drained = old } else { retired[old.id] = old }
            }
            callsOnCurrent += 1
            inFlight[current.id, default: 0] += 1
            return (current, started, drained)
        }

        /// Counts a call as answered; returns its connection when that was the last call of a retired one.
        mutating func finishCall(on id: Int) -> Connection? {
            inFlight[id, default: 1] -= 1
            guard inFlight[id] == 0, let connection = retired.removeValue(forKey: id) else { return nil }
            inFlight[id] = nil
            return connection
        }
    }

    private let socketPath: String
    private let connections: Mutex<Connections>
    /// New connections for `run()` to run; finished at shutdown.
    private let connectionsToRun: AsyncStream<Connection>
    private let connectionsToRunContinuation: AsyncStream<Connection>.Continuation

    /// - Parameter endpoint: `unix:///run/containerd/containerd.sock`, or the socket's absolute path.
    public init(endpoint: String, requestTimeout: Duration = .seconds(120)) throws {
        socketPath = try Self.socketPath(endpoint: endpoint)
        let first = try Connection(id: 0, socketPath: socketPath)
        connections = Mutex(Connections(current: first))
        (connectionsToRun, connectionsToRunContinuation) = AsyncStream.makeStream(of: Connection.self)
        connectionsToRunContinuation.yield(first)
        self.requestTimeout = requestTimeout
    }

    /// Maintains the connections; returns once `beginGracefulShutdown()` was called and in-flight calls finished.
    /// Cancel the calling task to stop abruptly.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            for await connection in connectionsToRun {
                // Ends when the connection is shut down: retired and drained, or at the client's shutdown.
                group.addTask { try? await connection.grpcClient.runConnections() }
            }
        }
    }

    /// Lets in-flight calls finish, refuses new ones and makes `run()` return.
    public func beginGracefulShutdown() {
        let connection = connections.withLock { connections -> Connection? in
            guard !connections.shuttingDown else { return nil }
            connections.shuttingDown = true
            return connections.current
        }
        connectionsToRunContinuation.finish()
        connection?.grpcClient.beginGracefulShutdown()
    }

    /// How many calls went out a second time because the connection failed under them (none, when all is well).
    public var retriedCalls: Int { connections.withLock { $0.retriedCalls } }

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
            try await $0.runtime.version(.with { $0.version = "v1" }, options: options())
        }
    }

    /// Creates and starts a pod sandbox (its network namespace and pause container); returns its id.
    public func runPodSandbox(_ config: Runtime_V1_PodSandboxConfig, runtimeHandler: String = "") async throws -> String {
        try await call("RuntimeService/RunPodSandbox") {
            try await $0.runtime.runPodSandbox(
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
            try await $0.runtime.stopPodSandbox(.with { $0.podSandboxID = id }, options: options())
        }
    }

    public func removePodSandbox(id: String) async throws {
        _ = try await call("RuntimeService/RemovePodSandbox") {
            try await $0.runtime.removePodSandbox(.with { $0.podSandboxID = id }, options: options())
        }
    }

    public func podSandboxStatus(id: String, verbose: Bool = false) async throws -> Runtime_V1_PodSandboxStatusResponse {
        try await call("RuntimeService/PodSandboxStatus") {
            try await $0.runtime.podSandboxStatus(
                .with {
                    $0.podSandboxID = id
                    $0.verbose = verbose
                }, options: options())
        }
    }

    public func listPodSandboxes(filter: Runtime_V1_PodSandboxFilter? = nil) async throws -> [Runtime_V1_PodSandbox] {
        try await call("RuntimeService/ListPodSandbox") {
            try await $0.runtime.listPodSandbox(
                .with { request in filter.map { request.filter = $0 } }, options: options()
            ).items
        }
    }

    /// Creates a container in a sandbox; `sandboxConfig` is the config the sandbox was run with. Returns its id.
    public func createContainer(
        podSandboxID: String, config: Runtime_V1_ContainerConfig, sandboxConfig: Runtime_V1_PodSandboxConfig
    ) async throws -> String {
        try await call("RuntimeService/CreateContainer") {
            try await $0.runtime.createContainer(
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
            try await $0.runtime.startContainer(.with { $0.containerID = id }, options: options())
        }
    }

    /// Sends the stop signal, then kills the container after `gracePeriod` (whole seconds on the wire). Sent again
    /// after a failed connection, it asks only for what is left of the grace period, so the kill is never put off.
    public func stopContainer(id: String, gracePeriod: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + gracePeriod
        _ = try await call("RuntimeService/StopContainer") {
            let remaining = max(.zero, clock.now.duration(to: deadline))
            return try await $0.runtime.stopContainer(
                .with {
                    $0.containerID = id
                    $0.timeout = remaining.components.seconds
                }, options: options(timeout: requestTimeout + remaining))
        }
    }

    public func removeContainer(id: String) async throws {
        _ = try await call("RuntimeService/RemoveContainer") {
            try await $0.runtime.removeContainer(.with { $0.containerID = id }, options: options())
        }
    }

    public func containerStatus(id: String, verbose: Bool = false) async throws -> Runtime_V1_ContainerStatusResponse {
        try await call("RuntimeService/ContainerStatus") {
            try await $0.runtime.containerStatus(
                .with {
                    $0.containerID = id
                    $0.verbose = verbose
                }, options: options())
        }
    }

    public func listContainers(filter: Runtime_V1_ContainerFilter? = nil) async throws -> [Runtime_V1_Container] {
        try await call("RuntimeService/ListContainers") {
            try await $0.runtime.listContainers(
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
            try await $0.runtime.execSync(
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
            try await $0.runtime.listContainerStats(.init(), options: options()).stats
        }
    }

    /// Prepares forwarding connections to the sandbox's ports and returns the URL of the runtime's streaming server.
    public func portForward(podSandboxID: String, ports: [Int32] = []) async throws -> String {
        try await call("RuntimeService/PortForward") {
            try await $0.runtime.portForward(
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
            try await $0.runtime.exec(request, options: options()).url
        }
    }

    /// Makes the runtime reopen a container's log file, after the kubelet has moved the old one aside.
    public func reopenContainerLog(id: String) async throws {
        _ = try await call("RuntimeService/ReopenContainerLog") {
            try await $0.runtime.reopenContainerLog(.with { $0.containerID = id }, options: options())
        }
    }

    /// Prepares attaching to a running container's streams and returns the streaming server's URL for it.
    public func attach(_ request: Runtime_V1_AttachRequest) async throws -> String {
        try await call("RuntimeService/Attach") {
            try await $0.runtime.attach(request, options: options()).url
        }
    }

    // MARK: Images

    /// Pulls an image (no deadline); returns the image reference the runtime stored, usually `sha256:…`.
    public func pullImage(
        _ image: Runtime_V1_ImageSpec, auth: Runtime_V1_AuthConfig? = nil, sandboxConfig: Runtime_V1_PodSandboxConfig? = nil
    ) async throws -> String {
        try await call("ImageService/PullImage") {
            try await $0.images.pullImage(
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
            let response = try await $0.images.imageStatus(.with { $0.image = image }, options: options())
            return response.hasImage ? response.image : nil
        }
    }

    public func listImages(filter: Runtime_V1_ImageFilter? = nil) async throws -> [Runtime_V1_Image] {
        try await call("ImageService/ListImages") {
            try await $0.images.listImages(
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

    private func call<Result: Sendable>(
        _ method: String, _ body: (Connection) async throws -> Result
    ) async throws -> Result {
        var attempt = 1
        while true {
            let connection = try checkOut(method)
            do {
                defer { checkIn(connection) }
                return try await body(connection)
            } catch let error as RPCError {
                // A connection can still fail under a call (containerd restarted, say); the client reconnects, and a
                // call that is safe to repeat goes out again on the new connection.
                guard error.code == .unavailable, attempt < Self.attemptsWhenUnavailable, Self.repeatableMethods.contains(method) else {
                    throw CRIError(method: method, error)
                }
                connections.withLock { $0.retriedCalls += 1 }
                try await Task.sleep(for: .milliseconds(100 * attempt))
                attempt += 1
            } catch let error as RuntimeError where error.code == .clientIsStopped {
                throw CRIError(method: method, code: .unavailable, message: "the CRI client is shut down")
            }
        }
    }

    /// The connection for the next call, counted as in flight on it.
    private func checkOut(_ method: String) throws -> Connection {
        let (connection, started, drained) = try connections.withLock { connections in
            guard !connections.shuttingDown else {
                throw CRIError(method: method, code: .unavailable, message: "the CRI client is shut down")
            }
            let nextID = connections.current.id + 1
            return try connections.startCall { try Connection(id: nextID, socketPath: socketPath) }
        }
        if let started { connectionsToRunContinuation.yield(started) }
        drained?.grpcClient.beginGracefulShutdown()
        return connection
    }

    private func checkIn(_ connection: Connection) {
        connections.withLock { $0.finishCall(on: connection.id) }?.grpcClient.beginGracefulShutdown()
    }
}
