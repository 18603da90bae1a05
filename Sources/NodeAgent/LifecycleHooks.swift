import APIMachinery
import CRI
import Foundation
import KubeObjects

/// A container's `lifecycle.postStart` or `lifecycle.preStop` handler.
enum LifecycleHook: Sendable, Equatable {
    case exec(command: [String])
    case httpGet(Probe.Action)
    case sleep(Duration)

    enum Event: String, Sendable {
        case postStart, preStop
    }

    /// The container's hook for `event`, nil when it has none (or only the deprecated, never-run `tcpSocket`).
    init?(_ event: Event, of container: JSONValue) {
        guard let spec = container[path: "lifecycle", event.rawValue], spec.objectValue != nil else { return nil }
        if let seconds = spec[path: "sleep", "seconds"]?.integerValue {
            self = .sleep(.seconds(seconds))
        } else if let command = spec[path: "exec", "command"]?.arrayValue {
            self = .exec(command: command.compactMap(\.stringValue))
        } else if spec["httpGet"] != nil, let action = Probe.action(["httpGet": spec["httpGet"] ?? .emptyObject], of: container) {
            self = .httpGet(action)
        } else {
            return nil
        }
    }

    /// The kubelet's words for a failed hook (`Exec lifecycle hook ([sh -c exit 1]) for Container "app" in Pod
    /// "web_default(uid)" failed - error: …, message: "…"`).
    static func failureMessage(_ hook: LifecycleHook, container: String, pod: String, error: String, output: String) -> String {
        let handler: String
        switch hook {
        case .exec(let command): handler = "Exec lifecycle hook ([\(command.joined(separator: " "))])"
        case .httpGet(let action):
            if case .httpGet(_, _, _, let path, _) = action { handler = "HTTP lifecycle hook (\(path))" } else { handler = "HTTP lifecycle hook" }
        case .sleep: handler = "Sleep lifecycle hook"
        }
        return "\(handler) for Container \(GoText.quoted(container)) in Pod \(GoText.quoted(pod)) failed - error: \(error), message: \(GoText.quoted(output))"
    }
}

/// How a preStop hook ended.
private enum HookEnd: Sendable {
    case finished(failure: String?)
    case gracePeriodOver
}

extension NodeAgent {
    /// Runs the container's postStart hook right after it started, as the kubelet does; a failed hook has the
    /// container killed. Returns the failure's message (for the `PostStartHookError` the container then shows).
    func runPostStartHook(_ container: JSONValue, pod: JSONValue, containerID: String, podIP: String?) async -> String? {
        guard let hook = LifecycleHook(.postStart, of: container) else { return nil }
        guard let failure = await runHook(hook, container: container, pod: pod, target: ProbeTarget(containerID: containerID, podIP: podIP), timeout: nil)
        else { return nil }
        let name = container["name"]?.stringValue ?? ""
        logger.info("postStart hook failed", metadata: ["pod": "\(Self.podDescription(pod))", "container": "\(name)", "error": "\(failure)"])
        // The message stays out of the event, as the kubelet's, so that secrets in it do not leak.
        recorder.record(pod, type: .warning, reason: "FailedPostStartHook", message: "PostStartHook failed")
        recorder.record(pod, type: .normal, reason: "Killing", message: "FailedPostStartHook")
        do {
            try await killContainer(containerID, spec: container, pod: pod, podIP: podIP, grace: .seconds(gracePeriod(pod)))
        } catch {
            logger.warning("cannot kill a container whose postStart hook failed", metadata: ["container": "\(containerID)", "error": "\(error)"])
        }
        return failure
    }

    /// Stops one container as the kubelet's `killContainer`: its preStop hook first, within the grace period, then
    /// the stop signal and, once what is left of the grace period (at least 2 s after a hook) has passed, SIGKILL.
    func killContainer(_ containerID: String, spec container: JSONValue?, pod: JSONValue, podIP: String?, grace: Duration) async throws {
        var remaining = grace
        if let container, grace > .zero, let hook = LifecycleHook(.preStop, of: container) {
            let started = ContinuousClock.now
            let target = ProbeTarget(containerID: containerID, podIP: podIP)
            let end = await withTaskGroup(of: HookEnd.self) { group in
                group.addTask { .finished(failure: await self.runHook(hook, container: container, pod: pod, target: target, timeout: grace)) }
                group.addTask {
                    try? await Task.sleep(for: grace)
                    return .gracePeriodOver
                }
                // Whichever ends first decides; a hook still running when the grace period is over is abandoned.
                let first = await group.next() ?? .gracePeriodOver
                group.cancelAll()
                return first
            }
            if case .finished(let failure?) = end {
                logger.info("preStop hook failed", metadata: ["pod": "\(Self.podDescription(pod))", "error": "\(failure)"])
                recorder.record(pod, type: .warning, reason: "FailedPreStopHook", message: "PreStopHook failed")
            }
            remaining = max(grace - (ContinuousClock.now - started), .seconds(2))
        }
        let runtime = try runtime
        try await runtime.stopContainer(id: containerID, gracePeriod: remaining)
    }

    /// The container spec of a running instance, by name (app, init or sidecar container).
    static func containerSpec(named name: String, in pod: JSONValue) -> JSONValue? {
        let spec = pod["spec"] ?? .emptyObject
        return ((spec["containers"]?.arrayValue ?? []) + (spec["initContainers"]?.arrayValue ?? [])).first { $0["name"]?.stringValue == name }
    }

    /// The pod's address for HTTP hooks and probes: the node's for host-network pods.
    func podIP(_ pod: JSONValue, runtimePod: RuntimePod) -> String? {
        Pod(pod).spec.hostNetwork ? options.nodeIP : runtimePod.sandboxIP
    }

    /// Runs one hook handler; returns why it failed, nil when it succeeded. `timeout` nil lets an exec run as long
    /// as it takes, as the kubelet's postStart does.
    private func runHook(_ hook: LifecycleHook, container: JSONValue, pod: JSONValue, target: ProbeTarget, timeout: Duration?) async -> String? {
        let name = container["name"]?.stringValue ?? ""
        let podName = Self.podDescription(pod)
        switch hook {
        case .sleep(let duration):
            try? await Task.sleep(for: timeout.map { min($0, duration) } ?? duration)
            return nil
        case .exec(let command):
            do {
                let runtime = try runtime
                let response = try await runtime.execSync(containerID: target.containerID, command: command, timeout: timeout)
                guard response.exitCode != 0 else { return nil }
                var output = response.stdout
                output.append(response.stderr)
                let text = String(decoding: output.prefix(Prober.maxOutputBytes), as: UTF8.self)
                let error = "command '\(command.joined(separator: " "))' exited with \(response.exitCode): \(text)"
                return LifecycleHook.failureMessage(hook, container: name, pod: podName, error: error, output: text)
            } catch {
                let message = (error as? CRIError)?.code == .deadlineExceeded ? Prober.execTimedOut(command) : ((error as? CRIError)?.message ?? "\(error)")
                return LifecycleHook.failureMessage(hook, container: name, pod: podName, error: message, output: "")
            }
        case .httpGet(let action):
            guard let runtime = try? runtime else { return "the container runtime is not connected" }
            switch await probeManager.prober.run(action, target: target, timeout: timeout ?? Self.httpHookTimeout, runtime: runtime) {
            case .success: return nil
            case .failure(let error), .error(let error):
                return LifecycleHook.failureMessage(hook, container: name, pod: podName, error: error, output: "")
            }
        }
    }

    /// How long an HTTP postStart hook may take (an exec one is unbounded, as in the kubelet).
    static let httpHookTimeout: Duration = .seconds(30)
}
