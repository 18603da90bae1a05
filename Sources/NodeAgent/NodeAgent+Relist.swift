import APIMachinery
import CRI
import ControllerRuntime
import Foundation
import KubeObjects

extension NodeAgent {
    /// Lists the runtime every second, as the kubelet's PLEG does: a pod whose containers changed state is synced
    /// again, and sandboxes whose pod is gone from the API are removed.
    func relist() async {
        await pods.waitForSync()
        var previous: [String: [String: Runtime_V1_ContainerState]] = [:]
        var lastResync = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.relistInterval)
            if ContinuousClock.now - lastResync >= options.syncFrequency {
                lastResync = .now
                // A pod waiting out a back-off is not due, as the kubelet's periodic sync takes only pods whose
                // work-queue time has come: a failing sandbox must not be retried at every resync.
                for pod in pods.list() where !queue.isDelayed(ObjectKey(pod)) { queue.add(ObjectKey(pod)) }
            }
            guard let runtime = try? runtime, let containers = try? await runtime.listContainers(filter: nil),
                let sandboxes = try? await runtime.listPodSandboxes(filter: nil)
            else { continue }
            var current: [String: [String: Runtime_V1_ContainerState]] = [:]
            for container in containers {
                guard let uid = container.labels[RuntimeConfigs.podUIDLabel] else { continue }
                current[uid, default: [:]][container.id] = container.state
            }
            let byUID = Dictionary(pods.list().compactMap { pod in pod[path: "metadata", "uid"]?.stringValue.map { ($0, pod) } }, uniquingKeysWith: { a, _ in a })
            for (uid, states) in current where previous[uid] != states {
                if let pod = byUID[uid] { queue.add(ObjectKey(pod)) }
            }
            previous = current
            for sandbox in sandboxes {
                guard let uid = sandbox.labels[RuntimeConfigs.podUIDLabel], byUID[uid] == nil else { continue }
                // The pod was deleted while the agent was away (or forcibly): nothing should run for it.
                probeManager.stopWorkers(podUID: uid, keeping: [])
                let leftovers = containers.filter { $0.podSandboxID == sandbox.id && $0.state == .containerRunning }
                for container in leftovers { try? await runtime.stopContainer(id: container.id, gracePeriod: .seconds(2)) }
                try? await runtime.stopPodSandbox(id: sandbox.id)
                try? await runtime.removePodSandbox(id: sandbox.id)
                VolumeMounts.tearDown(podDirectory: "\(paths.pods)/\(uid)")
                serviceAccountTokens.forget(podUID: uid)
            }
        }
    }
}
