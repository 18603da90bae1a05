import APIMachinery
import ControllerRuntime
import Foundation
import KubeObjects

extension NodeAgent {
    /// Gives each running container with probes its workers and stops those of containers no longer running; a
    /// pod without probes costs nothing here.
    func updateProbes(_ pod: JSONValue, runtimePod: RuntimePod) {
        let uid = pod.metadata.uid
        let spec = pod["spec"] ?? .emptyObject
        let podIP = spec["hostNetwork"]?.boolValue == true ? options.nodeIP : runtimePod.sandboxIP
        let containers = (spec["initContainers"]?.arrayValue ?? []).filter(PodStatusRules.isSidecar) + (spec["containers"]?.arrayValue ?? [])
        var running = Set<String>()
        for container in containers {
            let probes = [Probe.Kind.startup, .liveness, .readiness].compactMap { Probe($0, of: container) }
            let name = container["name"]?.stringValue ?? ""
            guard !probes.isEmpty, let instance = runtimePod.instances[name]?.first, instance.state == .containerRunning else { continue }
            running.insert(instance.id)
            let target = ProbeTarget(containerID: instance.id, podIP: podIP)
            let started = Self.instant(ofWallClock: instance.status?.startedAt)
            probeManager.ensureWorkers(containerID: instance.id, podUID: uid, probes: probes) { probe in
                let worker = probeWorker(probe, pod: pod, target: target, containerStarted: started)
                // Cancelled by the probe manager when the container stops or its pod goes.
                return Task { await worker.run() }
            }
        }
        probeManager.stopWorkers(podUID: uid, keeping: running)
    }

    /// The running containers a liveness or startup probe condemned, with the kubelet's reason
    /// (`Container app failed liveness probe`), for `PodActions`.
    func failedProbes(_ runtimePod: RuntimePod) -> [String: String] {
        var failed: [String: String] = [:]
        for (name, instances) in runtimePod.instances {
            guard let instance = instances.first, instance.state == .containerRunning,
                let kind = probeManager.failedProbe(containerID: instance.id)
            else { continue }
            failed[name] = "Container \(name) failed \(kind.rawValue) probe"
        }
        return failed
    }

    /// How long a container killed by `PodActions` may take to stop: a failed probe's own
    /// `terminationGracePeriodSeconds` when it has one, else the pod's.
    func killGracePeriod(_ kill: PodActions.Kill, pod: JSONValue) -> Duration {
        let probeGrace = probeManager.failedProbe(containerID: kill.id).flatMap { kind in
            Self.containerSpec(named: kill.name, in: pod)?[path: "\(kind.rawValue)Probe", "terminationGracePeriodSeconds"]?.integerValue
        }
        return .seconds(probeGrace ?? gracePeriod(pod))
    }

    private func probeWorker(_ probe: Probe, pod: JSONValue, target: ProbeTarget, containerStarted: ContinuousClock.Instant) -> ProbeWorker {
        let manager = probeManager
        return ProbeWorker(
            probe: probe, containerStarted: containerStarted,
            mayProbe: { manager.started(containerID: target.containerID) },
            runProbe: { [weak self] probe in
                guard let self, let runtime = try? self.runtime else { return .error("the container runtime is not connected") }
                return await manager.prober.run(probe.action, target: target, timeout: probe.timeout, runtime: runtime)
            },
            report: { [weak self] step in
                guard let self else { return }
                if let event = step.event { recorder.record(pod, type: .warning, reason: "Unhealthy", message: event) }
                if let changed = step.changed {
                    manager.setResult(changed, containerID: target.containerID, kind: probe.kind)
                    // A new verdict changes the container's readiness or dooms it: the pod is synced again.
                    queue.add(ObjectKey(pod))
                }
            })
    }

    /// A CRI wall-clock time (nanoseconds since the epoch) on the continuous clock; now when unknown.
    static func instant(ofWallClock nanoseconds: Int64?) -> ContinuousClock.Instant {
        let now = ContinuousClock.now
        guard let nanoseconds, nanoseconds > 0 else { return now }
        let age = Date().timeIntervalSince1970 - Double(nanoseconds) / 1e9
        return now - .milliseconds(Int64(max(0, age) * 1000))
    }
}
