import APIMachinery
import Authorization
import Logging
import Storage
import Synchronization

/// The RBAC policy the API server authorizes with, read from the store at start and kept current by watching it, as
/// kube-apiserver's RBAC authorizer is fed by informers on its own API. Members of `system:masters` are allowed
/// everything before RBAC is asked, as kube-apiserver's privileged-group authorizer allows them.
final class RBACAuthorizer: Sendable {
    static let privilegedGroup = "system:masters"
    /// Every key of the four RBAC resources: `/registry/rbac.authorization.k8s.io/<resource>/[<namespace>/]<name>`.
    static let keyPrefix = "/registry/rbac.authorization.k8s.io/"

    private struct State {
        var policy = RBACPolicy()
        /// The revision the policy reflects; 0 until it is loaded.
        var revision: Int64 = 0
    }

    private let state = Mutex(State())

    /// The policy as it stands; a value, read without holding the lock while rules are checked.
    var policy: RBACPolicy { state.withLock { $0.policy } }

    var isLoaded: Bool { state.withLock { $0.revision > 0 } }

    func authorize(_ request: AuthorizationAttributes) -> AuthorizationDecision {
        if request.groups.contains(Self.privilegedGroup) { return .allow("") }
        return policy.authorize(request)
    }

    /// Reads every role and binding (again, after a watch could not continue).
    func load(from store: any RevisionedStore) async throws(StoreError) {
        var policy = RBACPolicy()
        var startAfter: String?
        var revision: Int64?
        repeat {
            let page = try await store.list(prefix: Self.keyPrefix, startAfter: startAfter, limit: 500, atRevision: revision)
            revision = page.revision
            for item in page.items {
                guard let (resource, _, _) = Self.parse(key: item.key), let object = try? JSONValue.parse(item.value) else { continue }
                policy.apply(resource: resource, object: object)
            }
            startAfter = page.hasMore ? page.items.last?.key : nil
        } while startAfter != nil
        let loaded = policy
        state.withLock { $0 = State(policy: loaded, revision: revision ?? 1) }
    }

    /// Follows the store's changes to roles and bindings until cancelled; re-reads everything when the watch
    /// cannot go on (compacted history, a watcher too slow).
    func follow(_ store: any RevisionedStore, logger: Logger) async {
        while !Task.isCancelled {
            do {
                let revision = state.withLock { $0.revision }
                if revision == 0 { try await load(from: store) }
                let events = try await store.watch(prefix: Self.keyPrefix, afterRevision: state.withLock { $0.revision })
                for try await event in events {
                    guard let (resource, namespace, name) = Self.parse(key: event.value.key) else { continue }
                    let object: JSONValue? = event.kind == .deleted ? Optional.none : try? JSONValue.parse(event.value.value)
                    state.withLock { state in
                        if let object {
                            state.policy.apply(resource: resource, object: object)
                        } else {
                            state.policy.remove(resource: resource, namespace: namespace, name: name)
                        }
                        state.revision = event.revision
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("re-reading the RBAC policy", metadata: ["error": "\(error)"])
                state.withLock { $0.revision = 0 }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// The resource, namespace and name of a key under `keyPrefix`.
    static func parse(key: String) -> (resource: String, namespace: String?, name: String)? {
        guard key.hasPrefix(keyPrefix) else { return nil }
        let parts = key.dropFirst(keyPrefix.count).split(separator: "/").map(String.init)
        switch parts.count {
        case 2: return (parts[0], nil, parts[1])
        case 3: return (parts[0], parts[1], parts[2])
        default: return nil
        }
    }
}
