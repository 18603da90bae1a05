import APIMachinery
import Foundation
import KubeClient
import Logging
import Synchronization

/// What the controllers of one process share, as controller-runtime's manager and client-go's informer factory
/// provide: one informer per resource (and namespace and selectors), one event recorder per component, the client
/// they write with, and a `run()` that starts every informer and recorder handed out. An informer or recorder asked
/// for after `run()` began starts at once, so none is left unstarted (a controller waiting for an informer nobody
/// runs would wait forever).
public final class ControllerContext: Sendable {
    public let client: KubeClient
    public let logger: Logger
    /// The time events are stamped with (a test's manual clock).
    private let now: @Sendable () -> Date
    private let shared: Shared

    public convenience init(client: KubeClient, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.init(client: client, logger: logger, now: now, shared: Shared(informerClient: client))
    }

    private init(client: KubeClient, logger: Logger, now: @escaping @Sendable () -> Date, shared: Shared) {
        self.client = client
        self.logger = logger
        self.now = now
        self.shared = shared
    }

    /// The same informers and runner, writing (and recording events) as another user, e.g. the scheduler's. The
    /// informers still list and watch as the first context's user, as kube-controller-manager's shared informers do
    /// whichever controller asks for them.
    public func acting(as client: KubeClient) -> ControllerContext {
        ControllerContext(client: client, logger: logger, now: now, shared: shared)
    }

    /// The shared informer of `resource`, made on first request.
    public func informer(_ resource: ResourceType, namespace: String? = nil, selectors: ListOptions = ListOptions()) -> Informer {
        informer(InformerKey(resource: resource, namespace: namespace, selectors: selectors), transform: nil)
    }

    /// A shared informer of `resource` that caches each object as `transform` cuts it down (see `Informer`), made on
    /// first request; `pruning` names the transform, so that components asking for the same one share the cache and
    /// no one else gets its cut-down objects.
    public func informer(
        _ resource: ResourceType, namespace: String? = nil, selectors: ListOptions = ListOptions(), pruning: String,
        transform: @escaping @Sendable (JSONValue) -> JSONValue
    ) -> Informer {
        informer(InformerKey(resource: resource, namespace: namespace, selectors: selectors, pruning: pruning), transform: transform)
    }

    private func informer(_ key: InformerKey, transform: (@Sendable (JSONValue) -> JSONValue)?) -> Informer {
        shared.obtain(key) { [shared, logger] in
            Informer(
                client: shared.informerClient, resource: key.resource, namespace: key.namespace, selectors: key.selectors, transform: transform,
                logger: logger)
        } start: { informer in
            { await informer.run() }
        }
    }

    /// The event recorder reporting as `component` (`deployment-controller`), made on first request with this
    /// context's client.
    public func recorder(component: String) -> EventRecorder {
        shared.obtain(RecorderKey(component: component)) { [client, logger, now] in
            EventRecorder(client: client, component: component, logger: logger, now: now)
        } start: { recorder in
            { await recorder.run() }
        }
    }

    /// Runs every informer and recorder handed out, and those handed out later, until cancelled.
    public func run() async {
        let (starts, continuation) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
        for start in shared.beginRunning(continuation) { continuation.yield(start) }
        await withTaskGroup(of: Void.self) { group in
            for await start in starts {
                group.addTask { await start() }
            }
            group.cancelAll()
        }
    }

    private struct InformerKey: Hashable {
        var resource: ResourceType
        var namespace: String?
        var selectors: ListOptions
        var pruning: String?
    }

    private struct RecorderKey: Hashable {
        var component: String
    }

    /// The informers and recorders made so far, and how to start one.
    private final class Shared: Sendable {
        let informerClient: KubeClient
        private struct State {
            var made: [AnyHashable: any Sendable] = [:]
            var notStarted: [@Sendable () async -> Void] = []
            var running: AsyncStream<@Sendable () async -> Void>.Continuation?
        }

        private let state = Mutex(State())

        init(informerClient: KubeClient) {
            self.informerClient = informerClient
        }

        func obtain<Key: Hashable & Sendable, Value: Sendable>(
            _ key: Key, make: () -> Value, start: (Value) -> @Sendable () async -> Void
        ) -> Value {
            state.withLock { state in
                if let existing = state.made[AnyHashable(key)] as? Value { return existing }
                let value = make()
                state.made[AnyHashable(key)] = value
                if let running = state.running { running.yield(start(value)) } else { state.notStarted.append(start(value)) }
                return value
            }
        }

        /// What was handed out before `run()`; later ones go straight to `continuation`.
        func beginRunning(_ continuation: AsyncStream<@Sendable () async -> Void>.Continuation) -> [@Sendable () async -> Void] {
            state.withLock { state in
                state.running = continuation
                defer { state.notStarted.removeAll() }
                return state.notStarted
            }
        }
    }
}
