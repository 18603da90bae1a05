import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging

/// Keeps an Endpoints object per selector-bearing Service listing the addresses of the pods it selects, as
/// Kubernetes' endpoint controller does. Services without a selector are left to their users.
public final class EndpointsController: Sendable {
    private let client: KubeClient
    private let services: Informer
    private let pods: Informer
    private let endpoints: Informer
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let queue = WorkQueue<ObjectKey>()

    static let lastChangeTriggerTime = "endpoints.kubernetes.io/last-change-trigger-time"
    static let overCapacity = "endpoints.kubernetes.io/over-capacity"

    public init(context: ControllerContext, now: @escaping @Sendable () -> Date = { Date() }) {
        client = context.client
        services = context.informer(.services)
        pods = context.informer(.pods)
        endpoints = context.informer(.endpoints)
        logger = context.logger
        self.now = now
    }

    public func run() async {
        let watches: [Watch] = [
            .own(services, into: queue),
            // A hand-edited or deleted Endpoints of a managed Service is put back. Additions are not watched (as in
            // Kubernetes) so that Endpoints users create ahead of their Service are not removed on sight.
            Watch(
                endpoints,
                InformerHandler(
                    onUpdate: { [queue] _, object in queue.add(ObjectKey(object)) },
                    onDelete: { [queue] object in queue.add(ObjectKey(object)) })),
            Watch(pods, ServicePodHandler.enqueue(queue, services: services)),
        ]
        await ControllerWorkers.run(queue, watching: watches, workers: 2, name: "endpoints", logger: logger) { key throws(APIError) in
            try await self.reconcile(key)
        }
    }

    private func reconcile(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard let service = services.get(key) else {
            // The Service is gone: so is its Endpoints (Kubernetes deletes it whether or not it managed it).
            guard endpoints.get(key) != nil else { return .done }
            do throws(APIError) {
                try await client.delete(.endpoints, namespace: key.namespace, name: key.name)
            } catch where error.isNotFound {}
            return .done
        }
        guard Service(service).spec.selector != nil else { return .done }
        let backing = ServiceEndpoints.endpoints(
            for: service, pods: pods.list { $0.metadata.namespace == key.namespace }, includeTerminating: false)
        let (subsets, truncated) = ServiceEndpoints.truncated(ServiceEndpoints.subsets(for: service, endpoints: backing))
        let labels = ServiceEndpoints.inheritedLabels(service)
        let overCapacity: JSONValue? = truncated ? .string("truncated") : nil

        let existing = endpoints.get(key)
        if let existing, existing["subsets"]?.arrayValue ?? [] == subsets,
            existing[path: "metadata", "labels"]?.objectValue ?? [:] == labels,
            existing[path: "metadata", "annotations", Self.overCapacity] == overCapacity
        {
            return .done
        }
        var object =
            existing ?? ["apiVersion": "v1", "kind": "Endpoints", "metadata": ["name": .string(key.name), "namespace": .string(key.namespace ?? "")]]
        object[path: "metadata", "labels"] = .object(labels)
        object[path: "metadata", "annotations", Self.lastChangeTriggerTime] = .string(KubeTime.format(now()))
        object[path: "metadata", "annotations", Self.overCapacity] = overCapacity
        // An if, not a ternary: `nil` beside a JSONValue would be JSON null rather than "no field".
        if subsets.isEmpty {
            object["subsets"] = nil
        } else {
            object["subsets"] = .array(subsets)
        }
        do throws(APIError) {
            if existing == nil {
                _ = try await client.create(.endpoints, namespace: key.namespace, object)
            } else {
                _ = try await client.update(.endpoints, object)
            }
        } catch where error.isConflict || error.isAlreadyExists {
            // The cache was behind: look again once it has caught up.
            return .requeue(after: .milliseconds(100))
        } catch where existing == nil && (error.code == 403 || error.isNotFound) {
            // The namespace is going away (or gone), and its Services with it: creating again would only fail again.
            return .done
        }
        return .done
    }
}
