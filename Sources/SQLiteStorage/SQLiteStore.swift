import Foundation
import GRDB
import Storage

/// The embedded default store: a kine-style revision log in one SQLite file (WAL).
///
/// Two tables: `log` holds every change, its row id the revision (AUTOINCREMENT never reuses one); `objects` holds
/// the live state for fast reads. Writes run one at a time on GRDB's writer, which also publishes the change to
/// watchers before the next write starts, so watchers see revisions in order.
/// WAL with `synchronous=NORMAL` keeps every committed write across a crash of the process (kill -9).
public final class SQLiteStore: RevisionedStore {
    private let pool: DatabasePool
    private let hub: WatchHub

    enum ChangeKind: Int64 {
        case created = 0
        case updated = 1
        case deleted = 2
    }

    public init(path: String, watchBufferLimit: Int = 10_000) throws(StoreError) {
        do {
            var configuration = Configuration()
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            configuration.maximumReaderCount = 4
            let pool = try DatabasePool(path: path, configuration: configuration)
            try pool.writeWithoutTransaction { db in
                // auto_vacuum only takes effect before the first table exists; it lets compaction hand space back.
                try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                try Self.migrate(db)
            }
            let last = try pool.read { db in try Self.lastRevision(db) }
            self.pool = pool
            self.hub = WatchHub(lastRevision: last, bufferLimit: watchBufferLimit)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .backend("opening \(path): \(error)")
        }
    }

    private static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS log (
                    revision INTEGER PRIMARY KEY AUTOINCREMENT,
                    key TEXT NOT NULL,
                    kind INTEGER NOT NULL,
                    create_revision INTEGER NOT NULL,
                    prev_revision INTEGER NOT NULL,
                    value BLOB NOT NULL
                );
                CREATE INDEX IF NOT EXISTS log_key_revision ON log(key, revision);
                CREATE TABLE IF NOT EXISTS objects (
                    key TEXT PRIMARY KEY,
                    create_revision INTEGER NOT NULL,
                    mod_revision INTEGER NOT NULL,
                    value BLOB NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS meta (
                    name TEXT PRIMARY KEY,
                    value INTEGER NOT NULL
                ) WITHOUT ROWID;
                INSERT OR IGNORE INTO meta(name, value) VALUES ('compacted_revision', 0);
                """)
    }

    /// The newest revision; `sqlite_sequence` remembers it even when compaction removed the rows.
    private static func lastRevision(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(try db.cachedStatement(sql: "SELECT seq FROM sqlite_sequence WHERE name = 'log'")) ?? 0
    }

    private static func compactedRevision(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'compacted_revision'") ?? 0
    }

    /// Runs a database operation, mapping GRDB's errors into the store's one error type.
    private func perform<T>(_ operation: () async throws -> T) async throws(StoreError) -> T {
        do {
            return try await operation()
        } catch let error as StoreError {
            throw error
        } catch {
            throw .backend("\(error)")
        }
    }

    public func currentRevision() async throws(StoreError) -> Int64 {
        try await perform { try await pool.read { db in try Self.lastRevision(db) } }
    }

    public func compactedRevision() async throws(StoreError) -> Int64 {
        try await perform { try await pool.read { db in try Self.compactedRevision(db) } }
    }

    public func get(_ key: String) async throws(StoreError) -> StoredValue? {
        try await perform {
            try await pool.read { db in
                try Row.fetchOne(try db.cachedStatement(sql: "SELECT key, create_revision, mod_revision, value FROM objects WHERE key = ?"), arguments: [key])
                    .map(Self.storedValue)
            }
        }
    }

    static func storedValue(_ row: Row) -> StoredValue {
        StoredValue(key: row["key"], value: [UInt8](row["value"] as Data), createRevision: row["create_revision"], modRevision: row["mod_revision"])
    }

    /// The first key after every key that starts with `prefix`, for range scans that use the primary-key index.
    static func prefixEnd(_ prefix: String) -> String {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0x7f {
                bytes[bytes.count - 1] = last + 1
                return String(decoding: bytes, as: UTF8.self)
            }
            bytes.removeLast()
        }
        return "\u{7f}"
    }

    public func list(prefix: String, startAfter: String?, limit: Int?, atRevision: Int64?) async throws(StoreError) -> StoreList {
        try await perform {
            try await pool.read { db in
                let current = try Self.lastRevision(db)
                // Keys sort byte-wise; a continue token resumes strictly after the last key returned.
                let lowerBound = max(prefix, startAfter ?? prefix)
                let fetchLimit = limit.map { $0 + 1 } ?? -1
                var items: [StoredValue]
                var revision = current
                if let atRevision, atRevision < current {
                    let compacted = try Self.compactedRevision(db)
                    if atRevision < compacted { throw StoreError.compacted(requested: atRevision, compactedRevision: compacted) }
                    items = try Self.listFromLog(
                        db, from: lowerBound, after: startAfter ?? "", to: Self.prefixEnd(prefix), at: atRevision, limit: fetchLimit)
                    revision = atRevision
                } else {
                    if let atRevision, atRevision > current {
                        throw StoreError.futureRevision(requested: atRevision, current: current)
                    }
                    items = try Row.fetchAll(
                        db,
                        sql: "SELECT key, create_revision, mod_revision, value FROM objects WHERE key >= ? AND key > ? AND key < ? ORDER BY key LIMIT ?",
                        arguments: [lowerBound, startAfter ?? "", Self.prefixEnd(prefix), fetchLimit]
                    ).map(Self.storedValue)
                }
                var hasMore = false
                if let limit, items.count > limit {
                    items.removeLast(items.count - limit)
                    hasMore = true
                }
                return StoreList(items: items, revision: revision, hasMore: hasMore)
            }
        }
    }

    /// The state of a key range at a past revision: each key's newest logged change at or before it, unless a deletion.
    private static func listFromLog(_ db: Database, from: String, after: String, to: String, at revision: Int64, limit: Int) throws -> [StoredValue] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT l.key, l.create_revision, l.revision AS mod_revision, l.value, l.kind FROM log l
                JOIN (SELECT key, MAX(revision) AS revision FROM log WHERE key >= ? AND key > ? AND key < ? AND revision <= ? GROUP BY key) newest
                  ON l.revision = newest.revision
                WHERE l.kind != ?
                ORDER BY l.key LIMIT ?
                """,
            arguments: [from, after, to, revision, ChangeKind.deleted.rawValue, limit]
        ).map(storedValue)
    }

    public func count(prefix: String) async throws(StoreError) -> Int {
        try await perform {
            try await pool.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM objects WHERE key >= ? AND key < ?", arguments: [prefix, Self.prefixEnd(prefix)]) ?? 0
            }
        }
    }

    public func create(_ key: String, value: [UInt8]) async throws(StoreError) -> Int64 {
        try await write { db in
            if try Int64.fetchOne(try db.cachedStatement(sql: "SELECT mod_revision FROM objects WHERE key = ?"), arguments: [key]) != nil {
                throw StoreError.keyExists(key)
            }
            let revision = try Self.appendLog(db, key: key, kind: .created, createRevision: nil, previous: 0, value: value)
            try db.cachedStatement(sql: "INSERT INTO objects(key, create_revision, mod_revision, value) VALUES (?, ?, ?, ?)").execute(arguments: [key, revision, revision, Data(value)])
            return StoreEvent(kind: .created, value: StoredValue(key: key, value: value, createRevision: revision, modRevision: revision), revision: revision)
        }.revision
    }

    public func update(_ key: String, value: [UInt8], expectedRevision: Int64) async throws(StoreError) -> Int64 {
        try await write { db in
            guard let row = try Row.fetchOne(try db.cachedStatement(sql: "SELECT key, create_revision, mod_revision, value FROM objects WHERE key = ?"), arguments: [key]) else {
                throw StoreError.keyNotFound(key)
            }
            let previous = Self.storedValue(row)
            guard previous.modRevision == expectedRevision else {
                throw StoreError.revisionMismatch(key: key, currentRevision: previous.modRevision)
            }
            let revision = try Self.appendLog(db, key: key, kind: .updated, createRevision: previous.createRevision, previous: previous.modRevision, value: value)
            try db.cachedStatement(sql: "UPDATE objects SET mod_revision = ?, value = ? WHERE key = ?").execute(arguments: [revision, Data(value), key])
            return StoreEvent(
                kind: .updated, value: StoredValue(key: key, value: value, createRevision: previous.createRevision, modRevision: revision),
                revision: revision, previous: previous)
        }.revision
    }

    public func delete(_ key: String, expectedRevision: Int64?) async throws(StoreError) -> (revision: Int64, previous: StoredValue) {
        let event = try await write { db in
            guard let row = try Row.fetchOne(try db.cachedStatement(sql: "SELECT key, create_revision, mod_revision, value FROM objects WHERE key = ?"), arguments: [key]) else {
                throw StoreError.keyNotFound(key)
            }
            let previous = Self.storedValue(row)
            if let expectedRevision, expectedRevision != previous.modRevision {
                throw StoreError.revisionMismatch(key: key, currentRevision: previous.modRevision)
            }
            let revision = try Self.appendLog(
                db, key: key, kind: .deleted, createRevision: previous.createRevision, previous: previous.modRevision, value: previous.value)
            try db.cachedStatement(sql: "DELETE FROM objects WHERE key = ?").execute(arguments: [key])
            return StoreEvent(kind: .deleted, value: previous, revision: revision)
        }
        return (event.revision, event.value)
    }

    private static func appendLog(_ db: Database, key: String, kind: ChangeKind, createRevision: Int64?, previous: Int64, value: [UInt8]) throws -> Int64 {
        try db.cachedStatement(sql: "INSERT INTO log(key, kind, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?)").execute(arguments: [key, kind.rawValue, createRevision ?? 0, previous, Data(value)])
        let revision = db.lastInsertedRowID
        if createRevision == nil {
            try db.cachedStatement(sql: "UPDATE log SET create_revision = ? WHERE revision = ?").execute(arguments: [revision, revision])
        }
        return revision
    }

    /// Runs one write transaction and publishes its event while still holding the writer, keeping watch order.
    private func write(_ change: @escaping @Sendable (Database) throws -> StoreEvent) async throws(StoreError) -> StoreEvent {
        try await perform {
            try await pool.writeWithoutTransaction { [hub] db in
                var event: StoreEvent?
                try db.inTransaction {
                    event = try change(db)
                    return .commit
                }
                guard let event else { throw StoreError.backend("write produced no event") }
                hub.publish([event])
                return event
            }
        }
    }

    public func watch(prefix: String, afterRevision: Int64) async throws(StoreError) -> StoreWatch {
        let compacted = try await compactedRevision()
        if afterRevision < compacted {
            throw .compacted(requested: afterRevision, compactedRevision: compacted)
        }
        return hub.watch(prefix: prefix, afterRevision: afterRevision) { [pool] after, through in
            try await pool.read { db in
                let compacted = try Self.compactedRevision(db)
                if after < compacted { throw StoreError.compacted(requested: after, compactedRevision: compacted) }
                return try Row.fetchAll(
                    db,
                    sql: """
                        SELECT l.revision, l.key, l.kind, l.create_revision, l.prev_revision, l.value, p.value AS prev_value FROM log l
                        LEFT JOIN log p ON p.revision = l.prev_revision AND l.kind = 1
                        WHERE l.revision > ? AND l.revision <= ? AND l.key >= ? AND l.key < ? ORDER BY l.revision
                        """,
                    arguments: [after, through, prefix, Self.prefixEnd(prefix)]
                ).map(Self.event)
            }
        }
    }

    private static func event(_ row: Row) -> StoreEvent {
        let revision: Int64 = row["revision"]
        let kind = ChangeKind(rawValue: row["kind"]) ?? .updated
        let value = [UInt8](row["value"] as Data)
        switch kind {
        case .created:
            return StoreEvent(kind: .created, value: StoredValue(key: row["key"], value: value, createRevision: revision, modRevision: revision), revision: revision)
        case .updated:
            let previous = (row["prev_value"] as Data?).map {
                StoredValue(key: row["key"], value: [UInt8]($0), createRevision: row["create_revision"], modRevision: row["prev_revision"])
            }
            return StoreEvent(
                kind: .updated, value: StoredValue(key: row["key"], value: value, createRevision: row["create_revision"], modRevision: revision),
                revision: revision, previous: previous)
        case .deleted:
            return StoreEvent(
                kind: .deleted, value: StoredValue(key: row["key"], value: value, createRevision: row["create_revision"], modRevision: row["prev_revision"]),
                revision: revision)
        }
    }

    /// Drops history at and below `revision` the way etcd compacts: a key keeps its newest change at or below the
    /// compacted revision (so reads at later revisions still see it), superseded changes and deletions go.
    public func compact(upTo revision: Int64) async throws(StoreError) {
        try await perform {
            try await pool.writeWithoutTransaction { db in
                try db.inTransaction {
                    let current = try Self.lastRevision(db)
                    let target = min(revision, current)
                    guard target > (try Self.compactedRevision(db)) else { return .commit }
                    try db.execute(
                        sql: """
                            DELETE FROM log WHERE revision <= ?1 AND EXISTS (
                                SELECT 1 FROM log newer WHERE newer.key = log.key AND newer.revision > log.revision AND newer.revision <= ?1)
                            """,
                        arguments: [target])
                    try db.execute(sql: "DELETE FROM log WHERE revision <= ? AND kind = ?", arguments: [target, ChangeKind.deleted.rawValue])
                    try db.execute(sql: "UPDATE meta SET value = ? WHERE name = 'compacted_revision'", arguments: [target])
                    return .commit
                }
                try db.execute(sql: "PRAGMA incremental_vacuum")
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            }
        }
    }

    /// Ends all watches; called at shutdown.
    public func close() {
        hub.finishAll()
    }

    public var watcherCount: Int { hub.watcherCount }
}
