import APIMachinery
import CRI
import Foundation
import KubeClient
import KubeObjects

extension NodeAgent {
    /// Writes the pod's status as the kubelet does — phase, conditions, IPs, start time and a status per container —
    /// when it differs from what the API holds. An evicted pod (`eviction` is why) is Failed with reason Evicted.
    func writeStatus(_ pod: JSONValue, runtimePod: RuntimePod, eviction: String? = nil) async throws(APIError) {
        let uid = pod.metadata.uid
        let state = podStates.withLock { $0[uid] } ?? PodState()
        let spec = pod["spec"] ?? .emptyObject
        let initContainers = spec["initContainers"]?.arrayValue ?? []
        let containers = spec["containers"]?.arrayValue ?? []
        let initDone = initContainers.filter { !PodStatusRules.isSidecar($0) }.allSatisfy { container in
            runtimePod.instances[container["name"]?.stringValue ?? ""]?.first?.status?.exitCode == 0
                && runtimePod.instances[container["name"]?.stringValue ?? ""]?.first?.state == .containerExited
        }
        let initStatuses = initContainers.map { containerStatus($0, runtimePod: runtimePod, state: state, waitingReason: "PodInitializing") }
        let statuses = containers.map { containerStatus($0, runtimePod: runtimePod, state: state, waitingReason: initDone ? "ContainerCreating" : "PodInitializing") }
        let phase = eviction == nil ? PodStatusRules.phase(spec: spec, initStatuses: initStatuses, statuses: statuses, terminal: false) : "Failed"
        var status = pod["status"] ?? .emptyObject
        let previous = status["conditions"]?.arrayValue ?? []
        let now = KubeTime.format(Date())
        var conditions = previous.filter { condition in
            !["Initialized", "Ready", "ContainersReady", "PodReadyToStartContainers"].contains(condition["type"]?.stringValue ?? "")
        }
        let sandboxReady = runtimePod.sandbox?.state == .sandboxReady && runtimePod.sandboxIP != nil
        var readyToStart: JSONValue = ["type": "PodReadyToStartContainers", "status": sandboxReady ? "True" : "False", "lastProbeTime": .null]
        let before = previous.first { $0["type"] == "PodReadyToStartContainers" }
        readyToStart["lastTransitionTime"] = before?["status"] == readyToStart["status"] ? before?["lastTransitionTime"] ?? .string(now) : .string(now)
        conditions.append(readyToStart)
        conditions += PodStatusRules.conditions(pod: pod, phase: phase, initStatuses: initStatuses, statuses: statuses, previous: previous, now: now)
        if let eviction {
            conditions.removeAll { $0["type"] == "DisruptionTarget" }
            conditions.append([
                "type": "DisruptionTarget", "status": "True", "reason": "TerminationByKubelet", "message": .string(eviction),
                "lastProbeTime": .null, "lastTransitionTime": .string(now),
            ])
            status["reason"] = .string(EvictionRules.reason)
            status["message"] = .string(eviction)
        }
        status["phase"] = .string(phase)
        status["conditions"] = .array(conditions)
        status["hostIP"] = .string(options.nodeIP)
        status["hostIPs"] = [["ip": .string(options.nodeIP)]]
        if let ip = Pod(pod).spec.hostNetwork ? options.nodeIP : runtimePod.sandboxIP {
            status["podIP"] = .string(ip)
            status["podIPs"] = [["ip": .string(ip)]]
        }
        if status["startTime"] == nil, let started = state.startTime { status["startTime"] = .string(KubeTime.format(started)) }
        if initContainers.isEmpty { status["initContainerStatuses"] = nil } else { status["initContainerStatuses"] = .array(initStatuses) }
        status["containerStatuses"] = .array(statuses)
        guard status != pod["status"] else { return }
        var updated = pod
        updated["status"] = status
        _ = try await client.update(.pods, updated, subresource: "status")
    }

    /// One entry of `containerStatuses`: the newest instance's state, the one before as `lastState`, the restart
    /// count, and — while it is not running — why it waits.
    func containerStatus(_ container: JSONValue, runtimePod: RuntimePod, state: PodState, waitingReason: String) -> JSONValue {
        let name = container["name"]?.stringValue ?? ""
        let instances = runtimePod.instances[name] ?? []
        let latest = instances.first
        // A running container has started once its startup probe succeeded, and is ready once its readiness probe
        // did (each when it has one).
        let running = latest.map { $0.state == .containerRunning } ?? false
        var status: JSONValue = [
            "name": .string(name), "image": container["image"] ?? "", "imageID": .string(latest?.status?.imageRef ?? ""),
            "restartCount": .integer(Int64(latest?.attempt ?? 0)),
            "started": .bool(running && probeManager.started(containerID: latest?.id ?? "")),
            "ready": .bool(running && probeManager.ready(containerID: latest?.id ?? "")), "lastState": .emptyObject,
        ]
        if let latest { status["containerID"] = .string("containerd://\(latest.id)") }
        let waiting = state.waiting[name]
        switch latest?.state {
        case .containerRunning?:
            status["state"] = ["running": ["startedAt": .string(Self.time(latest?.status?.startedAt))]]
            if instances.count > 1 { status["lastState"] = Self.terminated(instances[1]) }
        case .containerExited?:
            if let waiting, waiting.reason == "CrashLoopBackOff" || waiting.reason.hasPrefix("ErrImage") || waiting.reason.hasSuffix("BackOff")
                || waiting.reason.hasSuffix("Error")
            {
                status["state"] = ["waiting": ["reason": .string(waiting.reason), "message": .string(waiting.message)]]
                status["lastState"] = latest.map(Self.terminated) ?? .emptyObject
            } else {
                status["state"] = latest.map(Self.terminated) ?? .emptyObject
                if instances.count > 1 { status["lastState"] = Self.terminated(instances[1]) }
            }
        default:
            let reason = waiting?.reason ?? waitingReason
            var detail: JSONValue = ["reason": .string(reason)]
            if let message = waiting?.message { detail["message"] = .string(message) }
            status["state"] = ["waiting": detail]
        }
        return status
    }

    static func terminated(_ instance: ContainerInstance) -> JSONValue {
        let status = instance.status
        let exitCode = Int64(status?.exitCode ?? 0)
        var terminated: JSONValue = [
            "exitCode": .integer(exitCode), "reason": .string(status?.reason.isEmpty == false ? status?.reason ?? "" : (exitCode == 0 ? "Completed" : "Error")),
            "startedAt": .string(time(status?.startedAt)), "finishedAt": .string(time(status?.finishedAt)), "containerID": .string("containerd://\(instance.id)"),
        ]
        if let message = status?.message, !message.isEmpty { terminated["message"] = .string(message) }
        return ["terminated": terminated]
    }

    /// CRI times are nanoseconds since the epoch.
    static func time(_ nanoseconds: Int64?) -> String {
        KubeTime.format(Date(timeIntervalSince1970: Double(nanoseconds ?? 0) / 1e9))
    }
}
