import APIMachinery
import ControllerRuntime
import KubeClient
import KubeObjects
import Logging
import Synchronization

/// Pods held by a ConfigMap, Secret or claim they name that is missing or not ready yet (`CreateContainerConfigError`),
/// synced again as soon as one of those objects is created or changes, rather than when a blind back-off runs out.
/// Each object is watched by name, as the kubelet's watch-based ConfigMap and Secret managers do; a watch starts with
/// the object as it is, so one created between the failed read and the watch still wakes its pods.
final class ReferencedObjectWatches: Sendable {
    struct Reference: Hashable, Sendable {
        var resource: ResourceType
        var namespace: String
        var name: String
    }

    private struct Watched {
        var task: Task<Void, Never>
        var pods: Set<ObjectKey>
    }

    private struct State {
        var watched: [Reference: Watched] = [:]
        var heldBy: [ObjectKey: Set<Reference>] = [:]
    }

    private let client: KubeClient
    private let wake: @Sendable (ObjectKey) -> Void
    private let logger: Logger
    private let state = Mutex(State())
    /// How long a watch that ended waits before it starts again.
    static let rewatchDelay: Duration = .seconds(1)

    init(client: KubeClient, logger: Logger, wake: @escaping @Sendable (ObjectKey) -> Void) {
        self.client = client
        self.logger = logger
        self.wake = wake
    }

    /// Holds the pod until one of `references` changes; the references it held before and no longer names are let go.
    func hold(_ pod: ObjectKey, on references: Set<Reference>) {
        let stopped = state.withLock { state -> [Task<Void, Never>] in
            let stopped = release(pod, in: &state, keeping: references)
            for reference in references where state.heldBy[pod]?.contains(reference) != true {
                if state.watched[reference] == nil {
                    state.watched[reference] = Watched(task: startWatch(reference), pods: [])
                }
                state.watched[reference]?.pods.insert(pod)
            }
            state.heldBy[pod] = references
            return stopped
        }
        for task in stopped { task.cancel() }
    }

    /// The pod no longer waits on anything (it started, or is gone).
    func release(_ pod: ObjectKey) {
        let stopped = state.withLock { state in
            let stopped = release(pod, in: &state, keeping: [])
            state.heldBy.removeValue(forKey: pod)
            return stopped
        }
        for task in stopped { task.cancel() }
    }

    var watchedCount: Int { state.withLock { $0.watched.count } }

    /// The ConfigMaps, Secrets and claims a pod's containers and volumes name.
    static func references(of pod: JSONValue) -> Set<Reference> {
        let namespace = pod.metadata.namespace ?? "default"
        var references = Set<Reference>()
        func add(_ resource: ResourceType, _ name: String?) {
            if let name, !name.isEmpty { references.insert(Reference(resource: resource, namespace: namespace, name: name)) }
        }
        let containers = (pod[path: "spec", "initContainers"]?.arrayValue ?? []) + (pod[path: "spec", "containers"]?.arrayValue ?? [])
        for container in containers {
            for (resource, names) in NodeAgent.referencedObjects(container) {
                for name in names { add(resource, name) }
            }
        }
        for volume in Pod(pod).spec.volumes {
            add(.configMaps, volume[path: "configMap", "name"]?.stringValue)
            add(.secrets, volume[path: "secret", "secretName"]?.stringValue)
            add(.persistentVolumeClaims, volume[path: "persistentVolumeClaim", "claimName"]?.stringValue)
            for source in volume[path: "projected", "sources"]?.arrayValue ?? [] {
                add(.configMaps, source[path: "configMap", "name"]?.stringValue)
                add(.secrets, source[path: "secret", "name"]?.stringValue)
            }
        }
        return references
    }

    /// Drops the pod from the watches of what it held but does not keep; returns the watches no pod needs any more.
    private func release(_ pod: ObjectKey, in state: inout State, keeping: Set<Reference>) -> [Task<Void, Never>] {
        var stopped: [Task<Void, Never>] = []
        for reference in state.heldBy[pod, default: []].subtracting(keeping) {
            state.watched[reference]?.pods.remove(pod)
            if let watched = state.watched[reference], watched.pods.isEmpty {
                stopped.append(watched.task)
                state.watched.removeValue(forKey: reference)
            }
        }
        return stopped
    }

    private func startWatch(_ reference: Reference) -> Task<Void, Never> {
        Task { [client, logger] in
            while !Task.isCancelled {
                do {
                    let events = try await client.watch(
                        reference.resource, namespace: reference.namespace, options: ListOptions(fieldSelector: "metadata.name=\(reference.name)"))
                    for try await event in events where event["type"] == "ADDED" || event["type"] == "MODIFIED" {
                        for pod in self.state.withLock({ $0.watched[reference]?.pods ?? [] }) { self.wake(pod) }
                    }
                } catch {
                    logger.debug("watch of a pod's reference ended", metadata: ["object": "\(reference.resource)/\(reference.name)", "error": "\(error)"])
                }
                try? await Task.sleep(for: Self.rewatchDelay)
            }
        }
    }
}
