/// A key-value store where every write gets the next cluster-wide revision, modelled on etcd v3 as kine serves it.
///
/// Keys are paths such as `/registry/apps/deployments/dev/web`. Values are opaque bytes; the API layer sets an object's
/// `resourceVersion` from the revision it was read at, so stored bytes never carry one.
public protocol RevisionedStore: Sendable {
    /// The revision of the newest write.
    func currentRevision() async throws(StoreError) -> Int64

    func get(_ key: String) async throws(StoreError) -> StoredValue?

    /// The live keys under `prefix`, in key order, starting after `startAfter` (for `continue` tokens).
    /// `atRevision` reads the state as of that past revision (410 if compacted); `nil` reads the newest state.
    func list(prefix: String, startAfter: String?, limit: Int?, atRevision: Int64?) async throws(StoreError) -> StoreList

    /// Counts live keys under a prefix (for `remainingItemCount` and metrics).
    func count(prefix: String) async throws(StoreError) -> Int

    /// Creates a key that must not exist; returns the new revision.
    func create(_ key: String, value: [UInt8]) async throws(StoreError) -> Int64

    /// Replaces a key's value only if its current modification revision equals `expectedRevision` (compare-and-swap).
    func update(_ key: String, value: [UInt8], expectedRevision: Int64) async throws(StoreError) -> Int64

    /// Deletes a key, optionally only at `expectedRevision`; returns the deletion's revision and the last value.
    func delete(_ key: String, expectedRevision: Int64?) async throws(StoreError) -> (revision: Int64, previous: StoredValue)

    /// Every change under `prefix` with a revision greater than `afterRevision`, in revision order, with no gaps or
    /// duplicates, first replaying history and then following live writes. Throws `.compacted` when history
    /// older than `afterRevision` has been compacted away. The stream ends with `.watcherTooSlow` if its consumer
    /// falls too far behind; the consumer must re-list.
    func watch(prefix: String, afterRevision: Int64) async throws(StoreError) -> StoreWatch

    /// Discards history at and below `revision`; watches and reads from there answer `.compacted`.
    func compact(upTo revision: Int64) async throws(StoreError)

    /// The oldest revision still readable (everything at or below the compacted revision is gone).
    func compactedRevision() async throws(StoreError) -> Int64
}

/// A live key with its revisions.
public struct StoredValue: Sendable, Hashable {
    public var key: String
    public var value: [UInt8]
    /// The revision that created the key (etcd's create_revision).
    public var createRevision: Int64
    /// The revision of the last write to the key (etcd's mod_revision) — the object's resourceVersion.
    public var modRevision: Int64

    public init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
    }
}

/// One page of a list, read at a single revision.
public struct StoreList: Sendable {
    public var items: [StoredValue]
    /// The revision the page reflects; the list's resourceVersion.
    public var revision: Int64
    /// True when more keys follow the last one returned.
    public var hasMore: Bool

    public init(items: [StoredValue], revision: Int64, hasMore: Bool) {
        self.items = items
        self.revision = revision
        self.hasMore = hasMore
    }
}

/// A change to a key.
public struct StoreEvent: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case created, updated, deleted
    }

    public var kind: Kind
    /// The key's value after the change; for a deletion, its last value before it.
    public var value: StoredValue
    /// The revision of this change (for deletions, `value.modRevision` is still the last write's revision).
    public var revision: Int64
    /// For updates, the value before the change (nil if compaction already dropped it), so watchers with
    /// selectors can tell an object that stopped matching from one that never did.
    public var previous: StoredValue?

    public init(kind: Kind, value: StoredValue, revision: Int64, previous: StoredValue? = nil) {
        self.kind = kind
        self.value = value
        self.revision = revision
        self.previous = previous
    }
}

public enum StoreError: Error, Sendable, Hashable {
    case keyExists(String)
    case keyNotFound(String)
    /// The compare-and-swap failed: the key's current revision differs from the expected one.
    case revisionMismatch(key: String, currentRevision: Int64)
    /// The requested revision is older than the oldest kept; clients must re-list (HTTP 410).
    case compacted(requested: Int64, compactedRevision: Int64)
    /// The requested revision lies in the future.
    case futureRevision(requested: Int64, current: Int64)
    case watcherTooSlow
    case backend(String)
}

/// The events of one watch. Ends (throws) with `StoreError.watcherTooSlow` when its buffer overflows.
public typealias StoreWatch = AsyncThrowingStream<StoreEvent, any Error>
