import Storage
import Synchronization

/// A store whose values are encrypted at rest: every value is sealed on its way to the backend and opened on its way
/// back, by the resource's providers, as kube-apiserver's storage transformers sit between the registry and etcd.
/// Clients see no difference; the backend holds ciphertext only. The configuration can be replaced while running
/// (key rotation); values written before stay readable as long as their key is still configured.
public final class EncryptingStore: RevisionedStore {
    public let backend: any RevisionedStore
    private let current: Mutex<ResourceEncryption>

    public init(backend: any RevisionedStore, encryption: ResourceEncryption) {
        self.backend = backend
        self.current = Mutex(encryption)
    }

    public var encryption: ResourceEncryption { current.withLock { $0 } }

    /// Uses `encryption` from the next read or write on.
    public func replace(_ encryption: ResourceEncryption) { current.withLock { $0 = encryption } }

    private func opened(_ stored: StoredValue, with encryption: ResourceEncryption) throws(StoreError) -> StoredValue {
        var value = stored
        do {
            value.value = try encryption.open(stored.value, key: stored.key)
        } catch {
            throw .backend("\(error)")
        }
        return value
    }

    private func sealed(_ value: [UInt8], key: String) throws(StoreError) -> [UInt8] {
        do {
            return try encryption.seal(value, key: key)
        } catch {
            throw .backend("cannot encrypt \(key): \(error)")
        }
    }

    public func currentRevision() async throws(StoreError) -> Int64 { try await backend.currentRevision() }

    public func get(_ key: String) async throws(StoreError) -> StoredValue? {
        guard let stored = try await backend.get(key) else { return nil }
        return try opened(stored, with: encryption)
    }

    public func list(prefix: String, startAfter: String?, limit: Int?, atRevision: Int64?) async throws(StoreError) -> StoreList {
        var page = try await backend.list(prefix: prefix, startAfter: startAfter, limit: limit, atRevision: atRevision)
        let encryption = self.encryption
        guard encryption.mayTransform(prefix: prefix) else { return page }
        for index in page.items.indices {
            page.items[index] = try opened(page.items[index], with: encryption)
        }
        return page
    }

    public func count(prefix: String) async throws(StoreError) -> Int { try await backend.count(prefix: prefix) }

    public func create(_ key: String, value: [UInt8]) async throws(StoreError) -> Int64 {
        try await backend.create(key, value: try sealed(value, key: key))
    }

    public func update(_ key: String, value: [UInt8], expectedRevision: Int64) async throws(StoreError) -> Int64 {
        try await backend.update(key, value: try sealed(value, key: key), expectedRevision: expectedRevision)
    }

    public func delete(_ key: String, expectedRevision: Int64?) async throws(StoreError) -> (revision: Int64, previous: StoredValue) {
        let (revision, previous) = try await backend.delete(key, expectedRevision: expectedRevision)
        return (revision, try opened(previous, with: encryption))
    }

    /// The backend's events with their values opened. A watch of resources that are never encrypted is the
    /// backend's own stream, with no extra hop.
    public func watch(prefix: String, afterRevision: Int64) async throws(StoreError) -> StoreWatch {
        let events = try await backend.watch(prefix: prefix, afterRevision: afterRevision)
        guard encryption.mayTransform(prefix: prefix) else { return events }
        // Pulled one event at a time as the consumer asks, so the backend's own buffer still bounds a slow watcher.
        let source = EventSource(events.makeAsyncIterator())
        return StoreWatch(unfolding: {
            guard var event = try await source.next() else { return nil }
            let encryption = self.encryption
            event.value = try self.opened(event.value, with: encryption)
            if let previous = event.previous { event.previous = try self.opened(previous, with: encryption) }
            return event
        })
    }

    public func compact(upTo revision: Int64) async throws(StoreError) { try await backend.compact(upTo: revision) }

    public func compactedRevision() async throws(StoreError) -> Int64 { try await backend.compactedRevision() }
}

/// The backend's watch iterator, advanced by the one consumer of the opened stream.
// @unchecked: an AsyncThrowingStream calls its unfolding closure for one `next()` at a time, never concurrently.
private final class EventSource: @unchecked Sendable {
    private var iterator: StoreWatch.AsyncIterator

    init(_ iterator: StoreWatch.AsyncIterator) { self.iterator = iterator }

    func next() async throws -> StoreEvent? { try await iterator.next() }
}
