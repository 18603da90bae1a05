import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging
import Synchronization

/// Deletes objects whose owners are gone and carries out the `orphan` and `foregroundDeletion` finalizers the API
/// server adds for `propagationPolicy` (Kubernetes' garbage collector).
///
/// Every watched object is indexed under the uids of its ownerReferences. A key is an object; its reconcile either
/// finishes the object's own deletion (orphaning or waiting for its dependents) or, for a live object, checks its
/// owners and deletes it — or drops references — when they are gone.
public final class GarbageCollector: Sendable {
    /// The namespaced resources that carry ownerReferences in a cluster without custom resources.
    public static let resources: [ResourceType] = [
        .pods, .replicaSets, .deployments, .statefulSets, .daemonSets, .jobs, .cronJobs, .controllerRevisions, .replicationControllers,
        .endpoints, .endpointSlices, .persistentVolumeClaims, .configMaps, .secrets, .serviceAccounts,
    ]

    private let client: KubeClient
    private let informers: [ResourceType: Informer]
    private let logger: Logger
    private let graph = Mutex(OwnerGraph())
    private let queue = WorkQueue<GraphNode>()

    /// - Parameter resources: the resources to collect, each watched through the context's shared informer; owners
    ///   of other kinds are never treated as absent.
    public init(context: ControllerContext, resources: [ResourceType] = GarbageCollector.resources) {
        client = context.client
        informers = Dictionary(resources.map { ($0, context.informer($0)) }, uniquingKeysWith: { first, _ in first })
        logger = context.logger
    }

    public func run() async {
        let watches = informers.map { resource, informer in Watch(informer, handler(for: resource)) }
        await ControllerWorkers.run(queue, watching: watches, workers: 2, name: "garbage-collector", logger: logger) { node throws(APIError) in
            try await self.reconcile(node)
        }
    }

    private func handler(for resource: ResourceType) -> InformerHandler {
        InformerHandler(
            onAdd: { [self] object in
                let node = GraphNode(resource: resource, key: ObjectKey(object))
                graph.withLock { $0.update(node, object: object) }
                if needsAttention(object) { queue.add(node) }
            },
            onUpdate: { [self] old, new in
                let node = GraphNode(resource: resource, key: ObjectKey(new))
                graph.withLock { $0.update(node, object: new) }
                if needsAttention(new) { queue.add(node) }
                // A foreground deletion waits on its blocking dependents: tell the owners when one changes its references or starts going.
                if OwnerGraph.ownerReferences(of: old) != OwnerGraph.ownerReferences(of: new) || GarbageCollection.isTerminating(new) {
                    enqueueOwners(of: old)
                    enqueueOwners(of: new)
                }
            },
            onDelete: { [self] object in
                let node = GraphNode(resource: resource, key: ObjectKey(object))
                let dependents = graph.withLock { graph in
                    graph.remove(node)
                    return object[path: "metadata", "uid"]?.stringValue.map { graph.dependents(of: $0) } ?? []
                }
                dependents.forEach(queue.add)
                enqueueOwners(of: object)
            })
    }

    /// Objects with owners to check, or whose deletion waits on this controller.
    private func needsAttention(_ object: JSONValue) -> Bool {
        if !OwnerGraph.ownerReferences(of: object).isEmpty { return true }
        let finalizers = GarbageCollection.finalizers(of: object)
        return GarbageCollection.isTerminating(object)
            && (finalizers.contains(GarbageCollection.orphanFinalizer) || finalizers.contains(GarbageCollection.foregroundFinalizer))
    }

    private func enqueueOwners(of object: JSONValue) {
        let namespace = object.metadata.namespace
        for reference in OwnerGraph.ownerReferences(of: object) {
            guard let resource = resource(of: reference), let name = reference["name"]?.stringValue else { continue }
            queue.add(GraphNode(resource: resource, key: ObjectKey(namespace: resource.namespaced ? namespace : nil, name: name)))
        }
    }

    /// The watched resource an ownerReference names, by its group and kind.
    private func resource(of reference: JSONValue) -> ResourceType? {
        let group = GarbageCollection.group(ofAPIVersion: reference["apiVersion"]?.stringValue ?? "")
        let kind = reference["kind"]?.stringValue
        return informers.keys.first { $0.group == group && $0.kind == kind }
    }

    private func reconcile(_ node: GraphNode) async throws(APIError) -> ReconcileResult {
        guard let object = informers[node.resource]?.get(node.key) else { return .done }
        if GarbageCollection.isTerminating(object) {
            try await finishDeletion(node, object: object)
            return .done
        }
        let references = OwnerGraph.ownerReferences(of: object)
        guard !references.isEmpty, let uid = object[path: "metadata", "uid"]?.stringValue else { return .done }
        var owners: [String: GarbageCollection.OwnerState] = [:]
        for reference in references {
            guard let ownerUID = reference["uid"]?.stringValue else { continue }
            owners[ownerUID] = try await ownerState(reference, uid: ownerUID, namespace: node.key.namespace)
        }
        let hasDependents = graph.withLock { !$0.dependents(of: uid).isEmpty }
        switch GarbageCollection.dependentAction(owners: owners, finalizers: GarbageCollection.finalizers(of: object), hasDependents: hasDependents) {
        case .keep:
            return .done
        case .removeOwnerReferences(let released):
            logger.debug("removing owner references", metadata: ["object": "\(node)", "owners": "\(released.sorted())"])
            try await ignoringNotFound { () async throws(APIError) in
                _ = try await client.update(node.resource, GarbageCollection.removingOwnerReferences(released, from: object))
            }
        case .delete(let policy):
            logger.debug("deleting object whose owners are gone", metadata: ["object": "\(node)", "propagationPolicy": "\(policy)"])
            try await ignoringNotFound { () async throws(APIError) in
                _ = try await client.delete(
                    node.resource, namespace: node.key.namespace, name: node.key.name,
                    options: ["propagationPolicy": .string(policy), "preconditions": ["uid": .string(uid)]])
            }
        }
        return .done
    }

    /// Whether an owner still exists: the cache first, and — since it may lag behind a freshly created owner — a
    /// GET before calling it gone, as Kubernetes does.
    private func ownerState(_ reference: JSONValue, uid: String, namespace: String?) async throws(APIError) -> GarbageCollection.OwnerState {
        guard let resource = resource(of: reference), let name = reference["name"]?.stringValue else { return .solid }
        let namespace = resource.namespaced ? namespace : nil
        let cached = informers[resource]?.get(ObjectKey(namespace: namespace, name: name))
        if let cached, cached.metadata.uid == uid {
            return GarbageCollection.ownerState(uid: uid, found: cached)
        }
        do throws(APIError) {
            let live = try await client.get(resource, namespace: namespace, name: name)
            return GarbageCollection.ownerState(uid: uid, found: live)
        } catch where error.isNotFound {
            return .dangling
        }
    }

    /// Carries out the collector's finalizer on a terminating object: orphan its dependents, or wait until the
    /// foreground deletion of its blocking dependents has finished; removing the finalizer lets the server delete it.
    private func finishDeletion(_ node: GraphNode, object: JSONValue) async throws(APIError) {
        guard let uid = object[path: "metadata", "uid"]?.stringValue else { return }
        let finalizers = GarbageCollection.finalizers(of: object)
        let dependents = graph.withLock { $0.dependents(of: uid) }.compactMap { dependent -> (GraphNode, JSONValue)? in
            guard let current = informers[dependent.resource]?.get(dependent.key),
                GarbageCollection.ownerUIDs(of: current).contains(uid)
            else { return nil }
            return (dependent, current)
        }
        if finalizers.contains(GarbageCollection.orphanFinalizer) {
            for (dependent, current) in dependents {
                logger.debug("orphaning dependent", metadata: ["owner": "\(node)", "dependent": "\(dependent)"])
                try await ignoringNotFound { () async throws(APIError) in
                    _ = try await client.update(dependent.resource, GarbageCollection.removingOwnerReferences([uid], from: current))
                }
            }
            try await removeFinalizer(GarbageCollection.orphanFinalizer, from: object, node: node)
        } else if finalizers.contains(GarbageCollection.foregroundFinalizer) {
            guard dependents.contains(where: { GarbageCollection.blocks($0.1, ownerUID: uid) }) else {
                try await removeFinalizer(GarbageCollection.foregroundFinalizer, from: object, node: node)
                return
            }
            // Each dependent's own reconcile sees this owner waiting and deletes it; their deletions requeue this owner.
            for (dependent, current) in dependents where !GarbageCollection.isTerminating(current) {
                queue.add(dependent)
            }
        }
    }

    private func removeFinalizer(_ finalizer: String, from object: JSONValue, node: GraphNode) async throws(APIError) {
        logger.debug("removing finalizer", metadata: ["object": "\(node)", "finalizer": "\(finalizer)"])
        try await ignoringNotFound { () async throws(APIError) in
            _ = try await client.update(node.resource, GarbageCollection.removingFinalizer(finalizer, from: object))
        }
    }

    /// An object that is already gone needs nothing more from the collector.
    private func ignoringNotFound(_ write: () async throws(APIError) -> Void) async throws(APIError) {
        do throws(APIError) {
            try await write()
        } catch where error.isNotFound {
            return
        }
    }
}
