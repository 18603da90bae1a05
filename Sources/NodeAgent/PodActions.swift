import APIMachinery
import KubeObjects

/// What the runtime holds for one container of a pod (its latest instance, by name).
struct ObservedContainer: Sendable, Equatable {
    enum State: Sendable, Equatable {
        case created
        case running
        case exited(code: Int32)
        case unknown
    }

    var id: String
    var name: String
    /// How many times this container was started before in this sandbox (CRI's `attempt`).
    var attempt: UInt32
    var state: State
}

/// What the runtime holds for one pod: its newest sandbox and the latest instance of each container.
struct ObservedPod: Sendable, Equatable {
    struct Sandbox: Sendable, Equatable {
        var id: String
        var ready: Bool
        var attempt: UInt32
    }

    var sandbox: Sandbox?
    var containers: [ObservedContainer] = []

    func container(named name: String) -> ObservedContainer? { containers.first { $0.name == name } }
}

/// The next steps to bring a pod's containers to what its spec asks, as the kubelet's `computePodActions`:
/// (re)create the sandbox — and with it everything — when it is missing or not ready, run init containers one at a
/// time in order, then start the app containers that should (re)start under the restart policy and kill those that
/// failed their liveness or startup probe.
struct PodActions: Sendable, Equatable {
    struct Kill: Sendable, Equatable {
        var id: String
        var name: String
        var message: String
    }

    /// Stop the sandbox and every container in it (a new sandbox, or nothing left to run).
    var killPod = false
    var createSandbox = false
    var sandboxAttempt: UInt32 = 0
    /// The index in `spec.initContainers` to start next, if any.
    var initContainerToStart: Int?
    /// Indexes in `spec.containers` to start (after any back-off).
    var containersToStart: [Int] = []
    var containersToKill: [Kill] = []

    /// - Parameter failedProbes: containers whose liveness or startup probe failed, by name, with the message
    ///   ("Container app failed liveness probe").
    static func compute(pod: JSONValue, observed: ObservedPod, failedProbes: [String: String] = [:]) -> PodActions {
        let spec = pod["spec"] ?? .emptyObject
        let restartPolicy = spec["restartPolicy"]?.stringValue ?? "Always"
        let initContainers = (spec["initContainers"]?.arrayValue ?? []).filter { !PodStatusRules.isSidecar($0) }
        let containers = spec["containers"]?.arrayValue ?? []
        let names = containers.map { $0["name"]?.stringValue ?? "" }
        var actions = PodActions()

        let sandboxReady = observed.sandbox?.ready == true
        if !sandboxReady {
            actions.killPod = observed.sandbox != nil
            actions.createSandbox = true
            actions.sandboxAttempt = observed.sandbox.map { $0.attempt + 1 } ?? 0
            // A pod that must not restart and has run before is not brought back.
            if restartPolicy == "Never" && observed.sandbox != nil && !observed.containers.isEmpty {
                actions.createSandbox = false
                return actions
            }
            let toStart = names.indices.filter { index in
                !(restartPolicy == "OnFailure" && observed.container(named: names[index])?.state == .exited(code: 0))
            }
            let initialized = names.contains { observed.container(named: $0) != nil }
            if initialized && toStart.isEmpty {
                actions.createSandbox = false
                return actions
            }
            if initContainers.isEmpty { actions.containersToStart = toStart } else { actions.initContainerToStart = 0 }
            return actions
        }

        // Init containers, one at a time; app containers wait until the last one succeeded.
        let initialized = names.contains { observed.container(named: $0) != nil }
        if !initialized {
            for (index, container) in initContainers.enumerated() {
                guard let status = observed.container(named: container["name"]?.stringValue ?? "") else {
                    actions.initContainerToStart = index
                    return actions
                }
                switch status.state {
                case .exited(code: 0):
                    continue
                case .running:
                    return actions
                case .exited:
                    if restartPolicy == "Never" {
                        actions.killPod = true
                    } else {
                        actions.initContainerToStart = index
                    }
                    return actions
                case .created, .unknown:
                    actions.initContainerToStart = index
                    return actions
                }
            }
        }

        var keep = 0
        let deleting = pod.metadata.isDeleting
        for (index, name) in names.enumerated() {
            guard let status = observed.container(named: name), status.state == .running else {
                if !deleting && shouldStart(observed.container(named: name), restartPolicy: restartPolicy) {
                    actions.containersToStart.append(index)
                    if let status = observed.container(named: name), status.state == .unknown {
                        // It may still run: stop it first so that two instances never run at once.
                        actions.containersToKill.append(Kill(id: status.id, name: name, message: "Container \(name) is in an unknown state"))
                    }
                }
                continue
            }
            guard let failure = failedProbes[name] else {
                keep += 1
                continue
            }
            var message = failure
            if restartPolicy != "Never" {
                message += ", will be restarted"
                actions.containersToStart.append(index)
            }
            actions.containersToKill.append(Kill(id: status.id, name: name, message: message))
        }
        if keep == 0 && actions.containersToStart.isEmpty { actions.killPod = true }
        return actions
    }

    /// Whether a container that is not running should be started: never started, only created or in an unknown
    /// state always; an exited one as the restart policy says.
    static func shouldStart(_ status: ObservedContainer?, restartPolicy: String) -> Bool {
        guard let status else { return true }
        switch status.state {
        case .running: return false
        case .created, .unknown: return true
        case .exited(let code): return restartPolicy == "Always" || (restartPolicy == "OnFailure" && code != 0)
        }
    }
}
