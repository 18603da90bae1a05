import APIMachinery
import KubeObjects
import Logging

/// One informer a controller watches and what a change to its objects means to the controller: which keys to
/// enqueue, or any other reaction. `ControllerWorkers.run(_:watching:...)` adds the handlers and waits for every
/// watched informer's first list before reconciling.
public struct Watch: Sendable {
    public let informer: Informer
    public let handler: InformerHandler

    public init(_ informer: Informer, _ handler: InformerHandler) {
        self.informer = informer
        self.handler = handler
    }

    /// The controller's own kind: each object's key.
    public static func own(_ informer: Informer, into queue: WorkQueue<ObjectKey>) -> Watch {
        Watch(informer, .enqueue(queue) { ObjectKey($0) })
    }

    /// Objects the controller owns: the key of the owner their controller reference names, when it is of `kind`.
    public static func owned(_ informer: Informer, by kind: String, apiVersion: String? = nil, into queue: WorkQueue<ObjectKey>) -> Watch {
        Watch(informer, .enqueue(queue) { ObjectKey.owner(of: $0, kind: kind, apiVersion: apiVersion) })
    }

    /// Any kind, mapped to at most one key of the controller's.
    public static func mapped<Key: Hashable & Sendable>(
        _ informer: Informer, into queue: WorkQueue<Key>, _ key: @escaping @Sendable (JSONValue) -> Key?
    ) -> Watch {
        Watch(informer, .enqueue(queue, key: key))
    }

    /// Waits for the informer's first list without reacting to its changes (a cache the reconcile reads).
    public static func cache(_ informer: Informer) -> Watch {
        Watch(informer, InformerHandler())
    }

    /// Adds the watches' handlers and returns once every watched informer has loaded its first list.
    public static func start(_ watches: [Watch]) async {
        for watch in watches { watch.informer.addHandler(watch.handler) }
        for watch in watches { await watch.informer.waitForSync() }
    }
}

extension ObjectKey {
    /// The key of the object's controller when the controller is of `kind` (and `apiVersion`, when given): owners
    /// and what they own share a namespace.
    public static func owner(of object: JSONValue, kind: String, apiVersion: String? = nil) -> ObjectKey? {
        let metadata = object.metadata
        return metadata.controller(kind: kind, apiVersion: apiVersion).map { ObjectKey(namespace: metadata.namespace, name: $0.name) }
    }
}

extension ControllerWorkers {
    /// Adds the watches' handlers, waits until every watched informer has loaded its first list, then reconciles
    /// the queue's keys with `workers` workers until cancelled.
    public static func run<Key: Hashable & Sendable>(
        _ queue: WorkQueue<Key>, watching watches: [Watch], workers: Int, name: String, logger: Logger,
        reconcile: @escaping @Sendable (Key) async throws(APIError) -> ReconcileResult
    ) async {
        // Named before the informers' first adds, so that they are counted too.
        queue.measure(as: name)
        await Watch.start(watches)
        await run(queue, workers: workers, name: name, logger: logger, reconcile: reconcile)
    }
}
