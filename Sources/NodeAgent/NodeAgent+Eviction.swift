import APIMachinery
import CRI
import ControllerRuntime
import Foundation
import KubeObjects

extension NodeAgent {
    /// How often the eviction manager looks at the node and its pods (the kubelet's `evictionMonitoringPeriod`).
    static let evictionMonitoringPeriod: Duration = .seconds(10)
    /// A hard threshold gives pods this long to stop (the kubelet's `immediateEvictionGracePeriodSeconds`).
    static let evictionGracePeriod: Duration = .seconds(1)

    /// The kubelet's eviction manager: pods that break their own local storage limits are evicted, and while a hard
    /// eviction threshold is met, one pod per round — the first in the kubelet's ranking for that resource.
    func runEvictionManager() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.evictionMonitoringPeriod)
            await evictIfNeeded()
        }
    }

    func evictIfNeeded() async {
        let active = pods.list().filter { pod in
            let phase = Pod(pod).status.phase
            guard !pod.metadata.isDeleting, phase != "Succeeded", phase != "Failed",
                let uid = pod[path: "metadata", "uid"]?.stringValue
            else { return false }
            return podStates.withLock { $0[uid]?.eviction } == nil
        }
        guard !active.isEmpty else { return }
        let met = options.evictionThresholds.met(NodeResourceReadings.read(directory: options.directory))
        let underDiskPressure = met.contains { $0.signal.resource == "ephemeral-storage" || $0.signal == .nodefsInodesFree }
        // Without pressure only pods with local storage limits need measuring; most rounds measure nothing.
        let measured = met.isEmpty ? active.filter(EvictionRules.hasLocalStorageLimits) : active
        guard !measured.isEmpty else { return }
        let statsByPod: [String: [Runtime_V1_ContainerStats]]
        do {
            statsByPod = Dictionary(grouping: try await runtime.listContainerStats()) { $0.attributes.labels[RuntimeConfigs.podUIDLabel] ?? "" }
        } catch {
            logger.debug("eviction manager cannot read container stats", metadata: ["error": "\(error)"])
            return
        }
        var usages: [PodUsage] = []
        for pod in measured {
            let uid = pod.metadata.uid
            let usage = podUsage(pod, uid: uid, stats: statsByPod[uid] ?? [])
            let emptyDirs = emptyDirUsage(pod, uid: uid, all: underDiskPressure)
            let containerStorage = Dictionary(usage.containers.map { ($0.name, $0.storageBytes) }, uniquingKeysWith: +)
            if let message = EvictionRules.localStorageViolation(pod: pod, emptyDirUsage: emptyDirs, containerUsage: containerStorage) {
                evict(pod, uid: uid, message: message)
                continue
            }
            var ranked = usage
            ranked.storageUsageBytes += emptyDirs.values.reduce(0, +)
            usages.append(ranked)
        }
        // Memory first, then storage, then what is left (inodes, PIDs), as the kubelet orders its signals.
        guard let observation = met.min(by: { Self.evictionOrder($0.signal) < Self.evictionOrder($1.signal) }) else { return }
        let ranking: [PodUsage]
        switch observation.signal.resource {
        case "memory": ranking = EvictionRules.rankForMemory(usages)
        case "ephemeral-storage": ranking = EvictionRules.rankForStorage(usages)
        default: ranking = usages.sorted { $0.priority < $1.priority }
        }
        guard let victim = ranking.first, let pod = measured.first(where: { $0.metadata.uid == victim.uid }) else { return }
        let resource = observation.signal.resource == "memory" ? "memory" : "ephemeral-storage"
        let message = EvictionRules.nodePressureMessage(observation, pod: victim, requests: EvictionRules.requests(pod, resource: resource))
        logger.info("evicting a pod", metadata: ["pod": "\(Self.podDescription(pod))", "signal": "\(observation.signal.rawValue)"])
        evict(pod, uid: victim.uid, message: message)
    }

    private static func evictionOrder(_ signal: EvictionThresholds.Signal) -> Int {
        switch signal {
        case .memoryAvailable: 0
        case .nodefsAvailable, .imagefsAvailable: 1
        case .nodefsInodesFree: 2
        case .pidAvailable: 3
        }
    }

    /// Marks the pod evicted and has its worker stop it: the worker owns the pod's containers, so an eviction
    /// cannot race a restart.
    private func evict(_ pod: JSONValue, uid: String, message: String) {
        podStates.withLock { $0[uid, default: PodState()].eviction = message }
        recorder.record(pod, type: .warning, reason: EvictionRules.reason, message: message)
        let (name, namespace, _) = RuntimeConfigs.podIdentity(pod)
        queue.add(ObjectKey(namespace: namespace, name: name))
    }

    /// Stops an evicted pod's containers within the eviction grace period and reports it Failed and Evicted.
    func finishEviction(_ pod: JSONValue, uid: String, message: String) async throws {
        probeManager.stopWorkers(podUID: uid, keeping: [])
        var runtimePod = try await observe(uid: uid)
        if let sandbox = runtimePod.sandbox, sandbox.state == .sandboxReady {
            for instance in runtimePod.instances.values.compactMap(\.first) where instance.state == .containerRunning {
                recorder.record(pod, type: .normal, reason: "Killing", message: "Stopping container \(instance.name)")
            }
            try await stopSandbox(sandbox.id, pod: pod, runtimePod: runtimePod, grace: Self.evictionGracePeriod)
            runtimePod = try await observe(uid: uid)
        }
        try await writeStatus(pod, runtimePod: runtimePod, eviction: message)
    }

    /// A new pod the node refuses under pressure: Failed with reason Evicted, as the kubelet rejects it.
    func admissionRefusal(_ pod: JSONValue) -> String? {
        EvictionRules.admissionRefusal(pod, pressure: NodePressure(options.evictionThresholds.met(NodeResourceReadings.read(directory: options.directory))))
    }

    func reject(_ pod: JSONValue, message: String) async throws(APIError) {
        recorder.record(pod, type: .warning, reason: EvictionRules.reason, message: message)
        var updated = pod
        updated[path: "status", "phase"] = "Failed"
        updated[path: "status", "reason"] = .string(EvictionRules.reason)
        updated[path: "status", "message"] = .string("Pod was rejected: \(message)")
        _ = try await client.update(.pods, updated, subresource: "status")
    }

    /// Each container's memory working set and ephemeral storage (its writable layer and its logs).
    private func podUsage(_ pod: JSONValue, uid: String, stats: [Runtime_V1_ContainerStats]) -> PodUsage {
        let logDirectory = RuntimeConfigs.logDirectory(pod, logRoot: paths.podLogs)
        let containers = stats.map { stat in
            let name = stat.attributes.metadata.name
            let logs = Self.diskUsage("\(logDirectory)/\(name)")
            return PodUsage.ContainerUsage(
                name: name, memoryBytes: Int64(clamping: stat.memory.workingSetBytes.value),
                storageBytes: Int64(clamping: stat.writableLayer.usedBytes.value) + logs)
        }
        return PodUsage(
            uid: uid,
            priority: Pod(pod).spec.priority,
            memoryRequestBytes: EvictionRules.requests(pod, resource: "memory").values.reduce(0, +),
            memoryUsageBytes: containers.reduce(0) { $0 + $1.memoryBytes },
            storageRequestBytes: EvictionRules.requests(pod, resource: "ephemeral-storage").values.reduce(0, +),
            storageUsageBytes: containers.reduce(0) { $0 + $1.storageBytes }, containers: containers)
    }

    /// The bytes in the pod's disk-backed emptyDir volumes: those with a `sizeLimit`, or all of them under disk pressure.
    private func emptyDirUsage(_ pod: JSONValue, uid: String, all: Bool) -> [String: Int64] {
        var usage: [String: Int64] = [:]
        for volume in Pod(pod).spec.volumes {
            guard let name = volume["name"]?.stringValue, let emptyDir = volume["emptyDir"], emptyDir["medium"]?.stringValue != "Memory",
                all || emptyDir["sizeLimit"] != nil
            else { continue }
            usage[name] = Self.diskUsage("\(paths.pods)/\(uid)/volumes/kubernetes.io~empty-dir/\(name)")
        }
        return usage
    }

    /// The bytes the files under `path` take on disk (allocated blocks, as `du` counts them), not following links.
    static func diskUsage(_ path: String) -> Int64 {
        var total: Int64 = 0
        var pending = [path]
        while let directory = pending.popLast() {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for entry in entries {
                let child = "\(directory)/\(entry)"
                var info = stat()
                guard lstat(child, &info) == 0 else { continue }
                total += Int64(info.st_blocks) * 512
                if info.st_mode & S_IFMT == S_IFDIR { pending.append(child) }
            }
        }
        return total
    }
}
