import APIMachinery
import APIRegistry
import Logging
import Storage
import Synchronization

/// The ResourceQuotas and LimitRanges of every namespace, read from the store at start and kept current by watching
/// it, as kube-apiserver's quota and limit-range admission read them from informers: a create in a namespace that has
/// none costs no store read, and one that has them starts from what is known.
final class AdmissionObjects: Sendable {
    enum Kind: CaseIterable, Sendable {
        case resourceQuotas, limitRanges

        var resource: String {
            switch self {
            case .resourceQuotas: "resourcequotas"
            case .limitRanges: "limitranges"
            }
        }

        var prefix: String { "/registry/core/\(resource)/" }
    }

    private struct State {
        /// Per kind, per namespace, per name: the object as served (with its resourceVersion).
        var objects: [Kind: [String: [String: JSONValue]]] = [:]
        /// The revision each kind reflects; missing until it is loaded.
        var revisions: [Kind: Int64] = [:]
        /// The kinds whose changes are being followed: only those are current enough to answer from.
        var following: Set<Kind> = []
    }

    private let state = Mutex(State())
    /// Each kind's resource, looked up once rather than at every event.
    private let definitions: [Kind: ResourceDefinition]

    init(catalog: ResourceCatalog) {
        var definitions: [Kind: ResourceDefinition] = [:]
        for kind in Kind.allCases {
            definitions[kind] = catalog.resource(group: "", version: "v1", resource: kind.resource)
        }
        self.definitions = definitions
    }

    /// The namespace's objects of a kind, or nil unless they are loaded and followed (the caller reads the store
    /// instead). Like an informer, it may lag a write by the watch's latency.
    func objects(_ kind: Kind, namespace: String) -> [JSONValue]? {
        state.withLock { state in
            guard state.revisions[kind] != nil, state.following.contains(kind) else { return nil }
            return state.objects[kind]?[namespace].map { Array($0.values) } ?? []
        }
    }

    /// Records an object this server just wrote, so that the next admission sees it before the watch brings it.
    func remember(_ kind: Kind, _ object: JSONValue) {
        state.withLock { Self.apply(object, of: kind, to: &$0) }
    }

    func load(from store: any RevisionedStore) async throws(StoreError) {
        for kind in Kind.allCases { try await load(kind, from: store) }
    }

    /// Follows the store's changes until cancelled.
    func follow(_ store: any RevisionedStore, logger: Logger) async {
        await withTaskGroup(of: Void.self) { group in
            for kind in Kind.allCases {
                group.addTask { await self.follow(kind, store: store, logger: logger) }
            }
        }
    }

    private func served(_ stored: StoredValue, kind: Kind) -> JSONValue? {
        guard let definition = definitions[kind] else { return nil }
        return try? ObjectStore.decode(stored, as: definition)
    }

    private func load(_ kind: Kind, from store: any RevisionedStore) async throws(StoreError) {
        var loaded: [JSONValue] = []
        var startAfter: String?
        var revision: Int64?
        repeat {
            let page = try await store.list(prefix: kind.prefix, startAfter: startAfter, limit: 500, atRevision: revision)
            revision = page.revision
            loaded += page.items.compactMap { served($0, kind: kind) }
            startAfter = page.hasMore ? page.items.last?.key : nil
        } while startAfter != nil
        let objects = loaded
        state.withLock { state in
            state.objects[kind] = [:]
            for object in objects { Self.apply(object, of: kind, to: &state) }
            state.revisions[kind] = revision ?? 1
        }
    }

    /// Follows one kind's changes; reads it afresh when the watch cannot go on.
    private func follow(_ kind: Kind, store: any RevisionedStore, logger: Logger) async {
        while !Task.isCancelled {
            do {
                if state.withLock({ $0.revisions[kind] }) == nil { try await load(kind, from: store) }
                let events = try await store.watch(prefix: kind.prefix, afterRevision: state.withLock { $0.revisions[kind] ?? 0 })
                state.withLock { _ = $0.following.insert(kind) }
                for try await event in events {
                    let object = served(event.value, kind: kind)
                    state.withLock { state in
                        if event.kind == .deleted, let object {
                            state.objects[kind]?[object.metadata.namespace ?? ""]?[object.metadata.name] = nil
                        } else if let object {
                            Self.apply(object, of: kind, to: &state)
                        }
                        state.revisions[kind] = event.revision
                    }
                }
            } catch {
                state.withLock { _ = $0.following.remove(kind) }
                if Task.isCancelled { return }
                logger.warning("re-reading the objects admission decides from", metadata: ["prefix": "\(kind.prefix)", "error": "\(error)"])
                state.withLock { _ = $0.revisions.removeValue(forKey: kind) }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Keeps the newer of what is known and `object` (by resourceVersion).
    private static func apply(_ object: JSONValue, of kind: Kind, to state: inout State) {
        let namespace = object.metadata.namespace ?? ""
        let name = object.metadata.name
        let known = state.objects[kind]?[namespace]?[name]
        if let known, (Int64(known.metadata.resourceVersion) ?? 0) > (Int64(object.metadata.resourceVersion) ?? 0) { return }
        state.objects[kind, default: [:]][namespace, default: [:]][name] = object
    }
}
