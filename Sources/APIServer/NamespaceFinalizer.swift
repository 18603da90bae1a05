import APIMachinery
import KubeObjects
import APIRegistry
import Foundation
import Logging

/// Empties terminating namespaces and then removes them, as Kubernetes' namespace controller does.
///
/// It is woken when a namespace is marked for deletion and also re-checks every few seconds, so it stays
/// level-triggered: a restart mid-way simply carries on.
final class NamespaceFinalizer: Sendable {
    private let wakeUps: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (wakeUps, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func trigger() {
        continuation.yield()
    }

    func run(_ api: KubernetesAPI) async {
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(5))
                continuation.yield()
            }
        }
        defer { ticker.cancel() }
        await withTaskCancellationHandler {
            for await _ in wakeUps {
                do {
                    try await api.finalizeTerminatingNamespaces()
                } catch {
                    api.logger.warning("namespace cleanup failed", metadata: ["error": "\(error)"])
                }
            }
        } onCancel: {
            continuation.finish()
        }
    }
}

extension KubernetesAPI {
    /// One resource per storage location, for every namespaced resource that can be listed and deleted.
    var namespacedStorage: [ResourceDefinition] {
        var seen: Set<String> = []
        return catalog.resources.filter { definition in
            guard definition.isStored, definition.namespaced, definition.verbs.contains("list"), definition.verbs.contains("delete") else { return false }
            return seen.insert(ObjectStore.keyPrefix(definition, namespace: nil)).inserted
        }
    }

    func finalizeTerminatingNamespaces() async throws(APIError) {
        guard let namespaces = catalog.resource(group: "", version: "v1", resource: "namespaces") else { return }
        for namespace in try await listAll(namespaces, namespace: nil) where ObjectLifecycle.isTerminating(namespace) {
            let name = namespace.metadata.name
            var remaining = 0
            for definition in namespacedStorage {
                for object in try await listAll(definition, namespace: name) {
                    remaining += 1
                    if ObjectLifecycle.isTerminating(object) { continue }
                    do {
                        _ = try await deleteObject(
                            definition, namespace: name, name: object.metadata.name, options: DeleteOptions(),
                            dryRun: false)
                    } catch {
                        if error.code != 404 && error.code != 409 { throw error }
                    }
                }
            }
            if remaining > 0 {
                trigger(afterSeconds: 1)
                continue
            }
            let emptied = try await commitUpdate(
                ResourceRequest(
                    definition: namespaces,
                    path: ResourcePath(group: "", version: "v1", namespace: nil, resource: "namespaces", name: name, subresource: "finalize"),
                    request: APIRequest(method: "PUT", path: "", query: [:], headers: [:], body: [])),
                name: name, subresource: "finalize", retryOnConflict: true
            ) { current throws(APIError) in
                var object = current
                let finalizers = (current[path: "spec", "finalizers"]?.arrayValue ?? []).filter { $0.stringValue != "kubernetes" }
                object[path: "spec", "finalizers"] = finalizers.isEmpty ? nil : .array(finalizers)
                return object
            }
            if ObjectLifecycle.isReadyForRemoval(emptied) {
                do {
                    _ = try await objects.delete(namespaces, namespace: nil, name: name, expectedRevision: nil)
                    logger.info("namespace deleted", metadata: ["namespace": "\(name)"])
                } catch {
                    if error.code != 404 { throw error }
                }
            }
        }
    }

    private func trigger(afterSeconds seconds: Double) {
        // Short-lived: it only re-wakes the finalizer loop, which ignores wake-ups once cancelled.
        Task { [namespaceFinalizer] in
            try? await Task.sleep(for: .seconds(seconds))
            namespaceFinalizer.trigger()
        }
    }
}
