import APIMachinery
import Authorization
import Logging
import Storage
import Synchronization

/// kube-apiserver's authorizer chain (`--authorization-mode=Node,RBAC`): members of `system:masters` may do anything;
/// a kubelet's request (`system:node:<name>`) is the Node authorizer's to allow; everything else is RBAC's. What they
/// decide from — roles and bindings, and which pods and claims are on which node — is read from the store at start
/// and kept current by watching it, as kube-apiserver's authorizers are fed by informers on its own API.
final class RequestAuthorizer: Sendable {
    static let privilegedGroup = "system:masters"

    /// What the authorizers read, each under its own key prefix.
    enum Source: CaseIterable {
        case rbac, pods, claims

        /// `/registry/rbac.authorization.k8s.io/<resource>/[<namespace>/]<name>`, `/registry/core/pods/<namespace>/<name>`…
        var prefix: String {
            switch self {
            case .rbac: "/registry/rbac.authorization.k8s.io/"
            case .pods: "/registry/core/pods/"
            case .claims: "/registry/core/persistentvolumeclaims/"
            }
        }
    }

    private struct State {
        var policy = RBACPolicy()
        var nodes = NodeGraph()
        /// The revision each source reflects; missing until it is loaded.
        var revisions: [Source: Int64] = [:]
    }

    private let state = Mutex(State())

    /// The RBAC policy as it stands; a value, read without holding the lock while rules are checked.
    var policy: RBACPolicy { state.withLock { $0.policy } }

    func authorize(_ request: AuthorizationAttributes) -> AuthorizationDecision {
        if request.groups.contains(Self.privilegedGroup) { return .allow("") }
        var reasons: [String] = []
        if let node = NodeAuthorizer.node(of: request) {
            let graph = state.withLock { $0.nodes }
            let decision = NodeAuthorizer.authorize(request, node: node, graph: graph)
            if decision.allowed { return decision }
            if !decision.reason.isEmpty { reasons.append(decision.reason) }
        }
        let decision = policy.authorize(request)
        if decision.allowed { return decision }
        if !decision.reason.isEmpty { reasons.append(decision.reason) }
        return .noOpinion(reasons.joined(separator: "\n"))
    }

    /// Reads everything the authorizers decide from.
    func load(from store: any RevisionedStore) async throws(StoreError) {
        for source in Source.allCases { try await load(source, from: store) }
    }

    /// Follows the store's changes until cancelled.
    func follow(_ store: any RevisionedStore, logger: Logger) async {
        await withTaskGroup(of: Void.self) { group in
            for source in Source.allCases {
                group.addTask { await self.follow(source, store: store, logger: logger) }
            }
        }
    }

    /// Reads one source afresh, replacing what was known of it.
    private func load(_ source: Source, from store: any RevisionedStore) async throws(StoreError) {
        var objects: [(key: String, object: JSONValue)] = []
        var startAfter: String?
        var revision: Int64?
        repeat {
            let page = try await store.list(prefix: source.prefix, startAfter: startAfter, limit: 500, atRevision: revision)
            revision = page.revision
            for item in page.items {
                if let object = try? JSONValue.parse(item.value) { objects.append((item.key, object)) }
            }
            startAfter = page.hasMore ? page.items.last?.key : nil
        } while startAfter != nil
        let loaded = objects
        state.withLock { state in
            switch source {
            case .rbac: state.policy = RBACPolicy()
            case .pods: state.nodes.removeAllPods()
            case .claims: state.nodes.removeAllClaims()
            }
            for (key, object) in loaded { Self.apply(source, key: key, object: object, to: &state) }
            state.revisions[source] = revision ?? 1
        }
    }

    /// Follows one source's changes until cancelled; re-reads it when the watch cannot go on (compacted history, a
    /// watcher too slow).
    private func follow(_ source: Source, store: any RevisionedStore, logger: Logger) async {
        while !Task.isCancelled {
            do {
                if state.withLock({ $0.revisions[source] }) == nil { try await load(source, from: store) }
                let events = try await store.watch(prefix: source.prefix, afterRevision: state.withLock { $0.revisions[source] ?? 0 })
                for try await event in events {
                    let object: JSONValue? = event.kind == .deleted ? Optional.none : try? JSONValue.parse(event.value.value)
                    state.withLock { state in
                        Self.apply(source, key: event.value.key, object: object, to: &state)
                        state.revisions[source] = event.revision
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("re-reading what authorization decides from", metadata: ["prefix": "\(source.prefix)", "error": "\(error)"])
                state.withLock { _ = $0.revisions.removeValue(forKey: source) }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Adds, replaces or (for nil) removes the object at `key`.
    private static func apply(_ source: Source, key: String, object: JSONValue?, to state: inout State) {
        let parts = key.dropFirst(source.prefix.count).split(separator: "/").map(String.init)
        switch source {
        case .rbac:
            guard parts.count == 2 || parts.count == 3 else { return }
            if let object {
                state.policy.apply(resource: parts[0], object: object)
            } else {
                state.policy.remove(resource: parts[0], namespace: parts.count == 3 ? parts[1] : nil, name: parts[parts.count - 1])
            }
        case .pods:
            guard parts.count == 2 else { return }
            if let object { state.nodes.apply(pod: object) } else { state.nodes.removePod(namespace: parts[0], name: parts[1]) }
        case .claims:
            guard parts.count == 2 else { return }
            if let object { state.nodes.apply(claim: object) } else { state.nodes.removeClaim(namespace: parts[0], name: parts[1]) }
        }
    }
}
