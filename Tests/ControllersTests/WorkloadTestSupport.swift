import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import Foundation
import KubeClient
import Synchronization

/// What the workload controller tests share: running components in the background, reading objects as `kubectl`
/// shows them, and watching every state the pods pass through.
enum Workloads {
    /// Runs every body (informers, controllers, recorders, hollow nodes) in one task group; the caller cancels the
    /// returned task when the test ends, which ends them all.
    static func start(_ bodies: [@Sendable () async -> Void]) -> Task<Void, Never> {
        Task {
            await withTaskGroup(of: Void.self) { group in
                for body in bodies { group.addTask { await body() } }
            }
        }
    }

    /// The condition of `type` in an object's status, as `kubectl describe` lists it.
    static func condition(_ type: String, of object: JSONValue) -> JSONValue? {
        object[path: "status", "conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }

    static func name(_ object: JSONValue) -> String { object[path: "metadata", "name"]?.stringValue ?? "" }

    static func isTerminating(_ object: JSONValue) -> Bool { object[path: "metadata", "deletionTimestamp"] != nil }

    /// Ready and not being deleted: what counts as available for a workload without `minReadySeconds`.
    static func isReady(_ pod: JSONValue) -> Bool {
        !isTerminating(pod) && condition("Ready", of: pod)?["status"]?.stringValue == "True"
    }

    /// The objects in `default` (optionally matching a label selector), as `kubectl get` lists them.
    static func list(_ client: KubeClient, _ resource: ResourceType, selector: String? = nil) async throws -> [JSONValue] {
        try await client.list(resource, namespace: "default", options: ListOptions(labelSelector: selector))["items"]?.arrayValue ?? []
    }

    /// The object, or nil once it is gone.
    static func find(_ client: KubeClient, _ resource: ResourceType, _ name: String) async throws -> JSONValue? {
        do throws(APIError) {
            return try await client.get(resource, namespace: "default", name: name)
        } catch where error.isNotFound {
            return nil
        }
    }

    /// Touches an object, as any edit would, so that its controller looks at it again.
    ///
    /// Controllers requeue themselves for a time they read from the manual clock, but the work queue waits in real
    /// time: after the test moves the clock, a touch stands in for the timer the manual clock cannot fire.
    static func touch(_ client: KubeClient, _ resource: ResourceType, _ name: String) async throws {
        let patch: JSONValue = ["metadata": ["annotations": ["skiff.test/touched": .string(UUID().uuidString)]]]
        _ = try await client.patch(resource, namespace: "default", name: name, type: .merge, patch)
    }
}

/// Calls `sample` with the informer's whole cache after every change it sees, in the order the API server made the
/// changes: every state the objects pass through, not just the ones a poll happens to catch.
final class Timeline<Sample: Sendable>: Sendable {
    let informer: Informer
    private let samples = Mutex<[Sample]>([])

    init(_ informer: Informer, _ sample: @escaping @Sendable ([JSONValue]) -> Sample) {
        self.informer = informer
        let record: @Sendable () -> Void = { [weak self] in
            guard let self else { return }
            let value = sample(informer.list())
            samples.withLock { $0.append(value) }
        }
        informer.addHandler(InformerHandler(onAdd: { _ in record() }, onUpdate: { _, _ in record() }, onDelete: { _ in record() }))
    }

    var all: [Sample] { samples.withLock { $0 } }

    func reset() { samples.withLock { $0.removeAll() } }
}
