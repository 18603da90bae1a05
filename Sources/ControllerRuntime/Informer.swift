import APIMachinery
import KubeClient
import Logging
import Synchronization

/// A list-then-watch cache of one resource, shared by the components of a process (client-go's shared informer).
///
/// `run` lists, then watches from the list's resourceVersion; when a watch ends it resumes from the last version
/// seen, and when the server says that version is too old (410) it lists again and reports the difference.
public final class Informer: Sendable {
    public let resource: ResourceType
    private let client: KubeClient
    private let namespace: String?
    private let selectors: ListOptions
    /// What is kept of each object (client-go's transform): all of it when nil.
    private let transform: (@Sendable (JSONValue) -> JSONValue)?
    private let logger: Logger

    private struct State {
        var objects: [ObjectKey: JSONValue] = [:]
        var handlers: [InformerHandler] = []
        var synced = false
        var syncWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// `transform` cuts each object down before it is cached and handed to handlers (client-go's `SetTransform`), for
    /// a cache of many objects of which a few fields are read; it must keep `metadata.name`, `namespace` and
    /// `resourceVersion`.
    public init(
        client: KubeClient, resource: ResourceType, namespace: String? = nil, selectors: ListOptions = ListOptions(),
        transform: (@Sendable (JSONValue) -> JSONValue)? = nil, logger: Logger
    ) {
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.selectors = selectors
        self.transform = transform
        self.logger = logger
    }

    /// Adds a handler; one added after the first list gets ADDs for what is already cached.
    public func addHandler(_ handler: InformerHandler) {
        let existing = state.withLock { state in
            state.handlers.append(handler)
            return state.synced ? Array(state.objects.values) : []
        }
        existing.forEach(handler.onAdd)
    }

    public func get(_ key: ObjectKey) -> JSONValue? {
        state.withLock { $0.objects[key] }
    }

    public func list() -> [JSONValue] {
        state.withLock { Array($0.objects.values) }
    }

    /// The cached objects that satisfy a predicate, without copying the whole cache out first.
    public func list(where predicate: (JSONValue) -> Bool) -> [JSONValue] {
        state.withLock { state in state.objects.values.filter(predicate) }
    }

    public var hasSynced: Bool { state.withLock { $0.synced } }

    /// Returns once the first list has been loaded into the cache.
    public func waitForSync() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state in
                if state.synced { return true }
                state.syncWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Lists and watches until cancelled.
    public func run() async {
        var revision: String?
        var failures = 0
        while !Task.isCancelled {
            do throws(APIError) {
                if revision == nil {
                    revision = try await relist()
                }
                revision = try await watch(from: revision ?? "")
                failures = 0
            } catch {
                if error.code == 410 {
                    revision = nil
                    continue
                }
                failures += 1
                logger.debug(
                    "informer retrying", metadata: ["resource": "\(resource)", "error": "\(error.message)", "failures": "\(failures)"])
                if failures > 1 { revision = nil }
                try? await Task.sleep(for: .milliseconds(min(100 * (1 << min(failures, 5)), 3000)))
            }
        }
    }

    private func relist() async throws(APIError) -> String {
        let (items, revision) = try await client.listAll(resource, namespace: namespace, options: selectors)
        var fresh: [ObjectKey: JSONValue] = [:]
        fresh.reserveCapacity(items.count)
        for var item in items {
            // List items carry no kind (Kubernetes omits it); cached objects get it so that events can reference them.
            if item["kind"] == nil {
                item["kind"] = .string(resource.kind)
                item["apiVersion"] = .string(resource.apiVersion)
            }
            if let transform { item = transform(item) }
            fresh[ObjectKey(item)] = item
        }
        let (handlers, previous, waiters) = state.withLock { state in
            let previous = state.objects
            state.objects = fresh
            let waiters = state.syncWaiters
            state.syncWaiters.removeAll()
            state.synced = true
            return (state.handlers, previous, waiters)
        }
        for (key, object) in fresh {
            if let old = previous[key] {
                if old[path: "metadata", "resourceVersion"] != object[path: "metadata", "resourceVersion"] {
                    handlers.forEach { $0.onUpdate(old, object) }
                }
            } else {
                handlers.forEach { $0.onAdd(object) }
            }
        }
        for (key, old) in previous where fresh[key] == nil {
            handlers.forEach { $0.onDelete(old) }
        }
        waiters.forEach { $0.resume() }
        return revision
    }

    /// Applies watch events until the stream ends; returns the last resourceVersion seen.
    private func watch(from revision: String) async throws(APIError) -> String {
        var options = selectors
        options.resourceVersion = revision
        options.allowWatchBookmarks = true
        options.timeoutSeconds = Int.random(in: 300..<600)
        let events = try await client.watch(resource, namespace: namespace, options: options)
        var last = revision
        do {
            for try await line in events {
                guard let event = WatchEvent(line: line) else { continue }
                switch event {
                case .added(let object), .modified(let object):
                    last = object[path: "metadata", "resourceVersion"]?.stringValue ?? last
                    apply(object, deleted: false)
                case .deleted(let object):
                    last = object[path: "metadata", "resourceVersion"]?.stringValue ?? last
                    apply(object, deleted: true)
                case .bookmark(let version):
                    if !version.isEmpty { last = version }
                case .error(let error):
                    throw error
                }
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.serviceUnavailable("watch of \(resource) failed: \(error)")
        }
        return last
    }

    private func apply(_ received: JSONValue, deleted: Bool) {
        let object = transform?(received) ?? received
        let key = ObjectKey(object)
        let (handlers, old) = state.withLock { state in
            let old = deleted ? state.objects.removeValue(forKey: key) : state.objects.updateValue(object, forKey: key)
            return (state.handlers, old)
        }
        if deleted {
            handlers.forEach { $0.onDelete(old ?? object) }
        } else if let old {
            handlers.forEach { $0.onUpdate(old, object) }
        } else {
            handlers.forEach { $0.onAdd(object) }
        }
    }
}
