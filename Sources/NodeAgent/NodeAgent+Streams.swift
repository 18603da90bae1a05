import APIMachinery
import CRI
import ControllerRuntime
import KubeObjects

extension NodeAgent {
    /// The kubelet's `exec`: asks the runtime to prepare running `command` in the pod's running `container` and
    /// returns the URL of its streaming server for that one session.
    public func execURL(
        namespace: String, pod: String, container: String, command: [String], stdin: Bool, stdout: Bool, stderr: Bool, tty: Bool
    ) async throws(APIError) -> String {
        let id = try await runningContainerID(namespace: namespace, pod: pod, container: container)
        return try await streamingURL("exec") { runtime in
            try await runtime.exec(
                .with {
                    $0.containerID = id
                    $0.cmd = command
                    $0.stdin = stdin
                    $0.stdout = stdout
                    // With a terminal stderr is merged into stdout; CRI refuses both at once.
                    $0.stderr = stderr && !tty
                    $0.tty = tty
                })
        }
    }

    /// The kubelet's `attach`: the URL of the runtime's streaming server attached to the running container's streams.
    public func attachURL(namespace: String, pod: String, container: String, stdin: Bool, stdout: Bool, stderr: Bool, tty: Bool)
        async throws(APIError) -> String
    {
        let id = try await runningContainerID(namespace: namespace, pod: pod, container: container)
        return try await streamingURL("attach") { runtime in
            try await runtime.attach(
                .with {
                    $0.containerID = id
                    $0.stdin = stdin
                    $0.stdout = stdout
                    $0.stderr = stderr && !tty
                    $0.tty = tty
                })
        }
    }

    /// The kubelet's `portForward`: the URL of the runtime's streaming server forwarding connections into the
    /// pod's network namespace. The websocket channel protocol's `ports` go to the runtime with the request (its
    /// streaming server takes them from there); SPDY sessions name theirs per stream.
    public func portForwardURL(namespace: String, pod name: String, ports: [Int32]) async throws(APIError) -> String {
        let runtimePod = try await runtimePod(namespace: namespace, name: name)
        guard let sandbox = runtimePod.sandbox, sandbox.state == .sandboxReady else {
            throw APIError.badRequest("pod \(name) has no running sandbox to forward ports into")
        }
        return try await streamingURL("portforward") { runtime in try await runtime.portForward(podSandboxID: sandbox.id, ports: ports) }
    }

    private func runningContainerID(namespace: String, pod name: String, container: String) async throws(APIError) -> String {
        let runtimePod = try await runtimePod(namespace: namespace, name: name)
        guard let instance = runtimePod.instances[container]?.first, instance.state == .containerRunning else {
            // The kubelet's words, which kubectl prints after "unable to upgrade connection".
            throw APIError.badRequest("container not found (\"\(container)\")")
        }
        return instance.id
    }

    /// What the runtime holds of a pod bound to this node.
    private func runtimePod(namespace: String, name: String) async throws(APIError) -> RuntimePod {
        guard let pod = pods.get(ObjectKey(namespace: namespace, name: name)), let uid = pod[path: "metadata", "uid"]?.stringValue else {
            throw APIError.notFound(.init(group: "", resource: "pods"), name: name)
        }
        do {
            return try await observe(uid: uid)
        } catch {
            throw APIError(code: 500, reason: "InternalError", message: "cannot read the sandbox and containers of pod \(name): \(error)")
        }
    }

    private func streamingURL(_ verb: String, _ prepare: (any ContainerRuntime) async throws -> String) async throws(APIError) -> String {
        do {
            return try await prepare(try runtime)
        } catch {
            throw APIError(code: 500, reason: "InternalError", message: "the container runtime could not prepare \(verb): \(error)")
        }
    }
}
