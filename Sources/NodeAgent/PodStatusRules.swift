import APIMachinery

/// The pod-level status the kubelet derives from its containers' statuses: the phase and the Initialized,
/// ContainersReady and Ready conditions, with Kubernetes' reasons and messages (`getPhase`,
/// `GeneratePodReadyCondition`, `GeneratePodInitializedCondition`).
enum PodStatusRules {
    /// An init container with `restartPolicy: Always` is a sidecar: it keeps running beside the app containers.
    static func isSidecar(_ container: JSONValue) -> Bool { container["restartPolicy"]?.stringValue == "Always" }

    static func status(named name: String, in statuses: [JSONValue]) -> JSONValue? {
        statuses.first { $0["name"]?.stringValue == name }
    }

    /// The phase for `spec` given the containers' statuses; `terminal` when the pod is being stopped for good
    /// (deleted, or its containers will not be restarted), which turns "all stopped" into Succeeded or Failed.
    static func phase(spec: JSONValue, initStatuses: [JSONValue], statuses: [JSONValue], terminal: Bool) -> String {
        let restartPolicy = spec["restartPolicy"]?.stringValue ?? "Always"
        var pendingInitialization = 0
        var failedInitialization = 0
        for container in spec["initContainers"]?.arrayValue ?? [] where !isSidecar(container) {
            guard let status = status(named: container["name"]?.stringValue ?? "", in: initStatuses) else {
                pendingInitialization += 1
                continue
            }
            if status[path: "state", "running"] != nil {
                pendingInitialization += 1
            } else if let exitCode = status[path: "state", "terminated", "exitCode"]?.integerValue {
                if exitCode != 0 { failedInitialization += 1 }
            } else if status[path: "state", "waiting"] != nil, let last = status[path: "lastState", "terminated", "exitCode"]?.integerValue {
                if last != 0 { failedInitialization += 1 }
            } else {
                pendingInitialization += 1
            }
        }
        var (unknown, running, waiting, stopped, succeeded) = (0, 0, 0, 0, 0)
        for container in spec["containers"]?.arrayValue ?? [] {
            guard let status = status(named: container["name"]?.stringValue ?? "", in: statuses) else {
                unknown += 1
                continue
            }
            if status[path: "state", "running"] != nil {
                running += 1
            } else if let exitCode = status[path: "state", "terminated", "exitCode"]?.integerValue {
                stopped += 1
                if exitCode == 0 { succeeded += 1 }
            } else if status[path: "state", "waiting"] != nil {
                if status[path: "lastState", "terminated"] != nil { stopped += 1 } else { waiting += 1 }
            } else {
                unknown += 1
            }
        }
        if failedInitialization > 0 && restartPolicy == "Never" { return "Failed" }
        let anyAppContainerStarted = statuses.contains { $0[path: "state", "waiting"] == nil || $0[path: "lastState", "terminated"] != nil }
        if (pendingInitialization > 0 && !anyAppContainerStarted) || waiting > 0 { return "Pending" }
        if running > 0 && unknown == 0 { return "Running" }
        guard running == 0, stopped > 0, unknown == 0 else { return "Pending" }
        if terminal { return stopped == succeeded ? "Succeeded" : "Failed" }
        if restartPolicy == "Always" { return "Running" }
        if stopped == succeeded { return "Succeeded" }
        return restartPolicy == "Never" ? "Failed" : "Running"
    }

    /// Initialized, ContainersReady and Ready (PodScheduled is the scheduler's), keeping each condition's
    /// transition time while its status stays; `now` stamps the ones that change.
    static func conditions(
        pod: JSONValue, phase: String, initStatuses: [JSONValue], statuses: [JSONValue], previous: [JSONValue], now: String
    ) -> [JSONValue] {
        let spec = pod["spec"] ?? .emptyObject
        func condition(_ type: String, _ isTrue: Bool, reason: String? = nil, message: String? = nil) -> JSONValue {
            var condition: JSONValue = ["type": .string(type), "status": isTrue ? "True" : "False", "lastProbeTime": .null]
            if let reason { condition["reason"] = .string(reason) }
            if let message { condition["message"] = .string(message) }
            let before = previous.first { $0["type"]?.stringValue == type }
            let keep = before?["status"] == condition["status"] ? before?["lastTransitionTime"] : nil
            condition["lastTransitionTime"] = keep ?? .string(now)
            return condition
        }
        /// Go prints a list of names as `[a b]`.
        func listed(_ label: String, _ names: [String]) -> String? {
            names.isEmpty ? nil : "containers with \(label) status: [\(names.joined(separator: " "))]"
        }

        var unknownInit: [String] = []
        var incompleteInit: [String] = []
        for container in spec["initContainers"]?.arrayValue ?? [] {
            let name = container["name"]?.stringValue ?? ""
            guard let status = status(named: name, in: initStatuses) else {
                unknownInit.append(name)
                continue
            }
            let done = isSidecar(container) ? status["started"] == true : status[path: "state", "terminated", "exitCode"] == 0
            if !done { incompleteInit.append(name) }
        }
        let appStarted = statuses.contains { $0[path: "state", "waiting"] == nil || $0[path: "lastState", "terminated"] != nil }
        let initMessage = [listed("unknown", unknownInit), listed("incomplete", incompleteInit)].compactMap { $0 }.joined(separator: ", ")
        let initialized =
            phase == "Succeeded" && unknownInit.isEmpty
            ? condition("Initialized", true, reason: "PodCompleted")
            : (initMessage.isEmpty || appStarted)
                ? condition("Initialized", true) : condition("Initialized", false, reason: "ContainersNotInitialized", message: initMessage)

        var unknown: [String] = []
        var unready: [String] = []
        let sidecars = (spec["initContainers"]?.arrayValue ?? []).filter(isSidecar).map { ($0, initStatuses) }
        for (container, pool) in sidecars + (spec["containers"]?.arrayValue ?? []).map({ ($0, statuses) }) {
            let name = container["name"]?.stringValue ?? ""
            guard let status = status(named: name, in: pool) else {
                unknown.append(name)
                continue
            }
            if status["ready"] != true { unready.append(name) }
        }
        let readyMessage = [listed("unknown", unknown), listed("unready", unready)].compactMap { $0 }.joined(separator: ", ")
        let containersReady: (Bool, String?, String?) =
            phase == "Succeeded" && unknown.isEmpty ? (false, "PodCompleted", nil)
            : phase == "Failed" ? (false, "PodFailed", nil)
            : readyMessage.isEmpty ? (true, nil, nil) : (false, "ContainersNotReady", readyMessage)
        var ready = containersReady
        if ready.0 {
            // Readiness gates: conditions other controllers set on the pod (e.g. a load balancer's).
            let current = pod[path: "status", "conditions"]?.arrayValue ?? []
            for gate in spec["readinessGates"]?.arrayValue ?? [] {
                let type = gate["conditionType"]?.stringValue ?? ""
                guard let found = current.first(where: { $0["type"]?.stringValue == type }) else {
                    ready = (false, "ReadinessGatesNotReady", "corresponding condition of pod readiness gate \"\(type)\" does not exist.")
                    break
                }
                if found["status"] != "True" {
                    let value = found["status"]?.stringValue ?? ""
                    ready = (false, "ReadinessGatesNotReady", "the status of pod readiness gate \"\(type)\" is not \"True\", but \(value)")
                    break
                }
            }
        }
        return [
            initialized,
            condition("Ready", ready.0, reason: ready.1, message: ready.2),
            condition("ContainersReady", containersReady.0, reason: containersReady.1, message: containersReady.2),
        ]
    }
}
