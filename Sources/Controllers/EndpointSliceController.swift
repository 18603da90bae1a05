import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging
import Synchronization

/// Keeps the EndpointSlices (discovery.k8s.io/v1) of each selector-bearing Service, as Kubernetes' endpointslice
/// controller does; the slices are owned by their Service and removed with it.
public final class EndpointSliceController: Sendable {
    private let client: KubeClient
    private let services: Informer
    private let pods: Informer
    private let slices: Informer
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let maxEndpointsPerSlice: Int
    private let queue = WorkQueue<ObjectKey>()
    /// A slice write the informer may not show yet: planning from a cache without it would, for one, create a second
    /// slice for the same endpoints.
    private struct Write {
        /// The version written; nil for a deletion.
        var version: Int64?
        var at: ContinuousClock.Instant
    }

    /// Per Service, its slices' writes by slice name.
    private let written = Mutex<[ObjectKey: [String: Write]]>([:])
    /// How long a write is waited for before the cache is trusted anyway (someone else may have deleted the slice).
    private static let writeVisibilityTimeout: Duration = .seconds(5)

    public init(context: ControllerContext, maxEndpointsPerSlice: Int = 100, now: @escaping @Sendable () -> Date = { Date() }) {
        client = context.client
        services = context.informer(.services)
        pods = context.informer(.pods)
        slices = context.informer(.endpointSlices)
        self.maxEndpointsPerSlice = maxEndpointsPerSlice
        logger = context.logger
        self.now = now
    }

    public func run() async {
        let watches: [Watch] = [
            .own(services, into: queue), .mapped(slices, into: queue) { slice in Self.serviceKey(of: slice) },
            Watch(pods, ServicePodHandler.enqueue(queue, services: services)),
        ]
        await ControllerWorkers.run(queue, watching: watches, workers: 2, name: "endpointslice", logger: logger) { key throws(APIError) in
            try await self.reconcile(key)
        }
    }

    /// The Service a slice this controller manages belongs to.
    static func serviceKey(of slice: JSONValue) -> ObjectKey? {
        guard slice.metadata.labels[EndpointSlicePlan.managedByLabel] == EndpointSlicePlan.controllerName,
            let service = slice.metadata.labels[EndpointSlicePlan.serviceNameLabel]
        else { return nil }
        return ObjectKey(namespace: slice.metadata.namespace, name: service)
    }

    private func reconcile(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        let owned = slices.list { Self.serviceKey(of: $0) == key }
        guard cacheHasCaughtUp(key, owned: owned) else { return .requeue(after: .milliseconds(50)) }
        let service = services.get(key)
        var plan = EndpointSlicePlan()
        if let service, Service(service).spec.selector != nil {
            let backing = ServiceEndpoints.endpoints(
                for: service, pods: pods.list { $0.metadata.namespace == key.namespace }, includeTerminating: true)
            plan = EndpointSlicePlan.plan(
                service: service, endpoints: backing, existing: owned, maxEndpointsPerSlice: maxEndpointsPerSlice,
                stamp: KubeTime.format(now()))
        } else {
            // The Service is gone or no longer selects pods: its slices go (there is no garbage collector to do it).
            plan.deletes = owned.compactMap { $0.metadata.name }
        }
        guard !plan.isEmpty else { return .done }
        do throws(APIError) {
            for slice in plan.creates {
                do throws(APIError) {
                    remember(key, try await client.create(.endpointSlices, namespace: key.namespace, slice))
                } catch where error.code == 403 || error.isNotFound {
                    // The namespace is going away (or gone), and its Services with it: creating again would only fail again.
                    return .done
                }
            }
            for slice in plan.updates {
                remember(key, try await client.update(.endpointSlices, slice))
            }
            for name in plan.deletes {
                do throws(APIError) {
                    try await client.delete(.endpointSlices, namespace: key.namespace, name: name)
                } catch where error.isNotFound {}
                written.withLock { $0[key, default: [:]][name] = Write(version: nil, at: .now) }
            }
        } catch where error.isConflict || error.isNotFound {
            // A slice changed or vanished behind the cache's back: plan again once the cache has caught up.
            return .requeue(after: .milliseconds(100))
        }
        return .done
    }

    private func remember(_ key: ObjectKey, _ slice: JSONValue) {
        guard let name = slice[path: "metadata", "name"]?.stringValue else { return }
        let version = slice[path: "metadata", "resourceVersion"]?.stringValue.flatMap { Int64($0) }
        written.withLock { $0[key, default: [:]][name] = Write(version: version, at: .now) }
    }

    /// Whether the informer shows every slice write made for this Service; forgets the writes it does show.
    private func cacheHasCaughtUp(_ key: ObjectKey, owned: [JSONValue]) -> Bool {
        let cached = Dictionary(
            owned.map { slice in
                (slice.metadata.name, slice[path: "metadata", "resourceVersion"]?.stringValue.flatMap { Int64($0) } ?? 0)
            },
            uniquingKeysWith: { first, _ in first })
        return written.withLock { table in
            guard let pending = table[key] else { return true }
            let outstanding = pending.filter { name, write in
                guard write.at.duration(to: .now) < Self.writeVisibilityTimeout else { return false }
                guard let version = write.version else { return cached[name] != nil }
                return (cached[name] ?? -1) < version
            }
            table[key] = outstanding.isEmpty ? nil : outstanding
            return outstanding.isEmpty
        }
    }
}
