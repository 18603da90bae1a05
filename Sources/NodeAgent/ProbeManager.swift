import Synchronization

/// The probe workers of the node's running containers and what they last decided, by container instance (the
/// kubelet's prober manager and results managers). A container instance has its workers from its first sync as
/// running until it stops or its pod goes; its successor starts afresh.
final class ProbeManager: Sendable {
    private struct Instance {
        var podUID: String
        var probes: Set<Probe.Kind>
        var results: [Probe.Kind: ProbeVerdict.Result]
        var workers: [Task<Void, Never>] = []
    }

    private let instances = Mutex<[String: Instance]>([:])
    let prober = Prober()

    init() {}

    /// Gives a running container instance its workers unless it has them; `start` makes the task of one probe's
    /// worker, which this manager cancels when the instance stops.
    func ensureWorkers(containerID: String, podUID: String, probes: [Probe], start: (Probe) -> Task<Void, Never>) {
        instances.withLock { instances in
            guard instances[containerID] == nil else { return }
            var instance = Instance(
                podUID: podUID, probes: Set(probes.map(\.kind)),
                results: Dictionary(uniqueKeysWithValues: probes.map { ($0.kind, ProbeVerdict($0).result) }))
            instance.workers = probes.map(start)
            instances[containerID] = instance
        }
    }

    /// Stops the workers of the pod's instances other than `running`.
    func stopWorkers(podUID: String, keeping running: Set<String>) {
        let stopped = instances.withLock { instances in
            let gone = instances.filter { $0.value.podUID == podUID && !running.contains($0.key) }
            for id in gone.keys { instances.removeValue(forKey: id) }
            return gone.values.flatMap(\.workers)
        }
        for worker in stopped { worker.cancel() }
    }

    func stopAllWorkers() {
        let stopped = instances.withLock { instances in
            defer { instances.removeAll() }
            return instances.values.flatMap(\.workers)
        }
        for worker in stopped { worker.cancel() }
    }

    func setResult(_ result: ProbeVerdict.Result, containerID: String, kind: Probe.Kind) {
        instances.withLock { $0[containerID]?.results[kind] = result }
    }

    /// Whether a running instance has started: its startup probe succeeded, or it has none.
    func started(containerID: String) -> Bool {
        instances.withLock { instances in
            guard let instance = instances[containerID], instance.probes.contains(.startup) else { return true }
            return instance.results[.startup] == .success
        }
    }

    /// Whether a running instance is ready: started, and its readiness probe succeeded or it has none.
    func ready(containerID: String) -> Bool {
        guard started(containerID: containerID) else { return false }
        return instances.withLock { instances in
            guard let instance = instances[containerID], instance.probes.contains(.readiness) else { return true }
            return instance.results[.readiness] == .success
        }
    }

    /// The probe that decided a running instance must be killed (startup or liveness), if any.
    func failedProbe(containerID: String) -> Probe.Kind? {
        instances.withLock { instances in
            guard let results = instances[containerID]?.results else { return nil }
            return [Probe.Kind.startup, .liveness].first { results[$0] == .failure }
        }
    }
}
