import EncryptionAtRest
import Foundation
import SQLiteStorage
import Storage
import Testing

/// The behaviour every `RevisionedStore` backend must share. Each backend adds itself to `backends`.
enum StoreBackends {
    /// `encrypted-sqlite` encrypts every value (`*.*`): the encryption layer must be invisible to the store's users.
    static let names = ["sqlite", "encrypted-sqlite"]

    static func make(_ name: String) throws -> any RevisionedStore {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let sqlite = try SQLiteStore(path: directory.appendingPathComponent("state.db").path, watchBufferLimit: 100)
        switch name {
        case "encrypted-sqlite":
            let key = EncryptionKey(name: "k1", secret: Data(repeating: 7, count: 32))
            return EncryptingStore(
                backend: sqlite, encryption: ResourceEncryption(EncryptionConfiguration(rules: [.init(resources: ["*.*"], providers: [.aesgcm([key])])])))
        default: return sqlite
        }
    }
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

private func collect(_ watch: StoreWatch, count: Int) async throws -> [StoreEvent] {
    var events: [StoreEvent] = []
    for try await event in watch {
        events.append(event)
        if events.count == count { break }
    }
    return events
}

@Suite("store conformance")
struct StoreConformanceTests {
    @Test(arguments: StoreBackends.names)
    func everyWriteGetsTheNextRevision(backend: String) async throws {
        let store = try StoreBackends.make(backend)
        let start = try await store.currentRevision()
        let first = try await store.create("/registry/a/1", value: bytes("one"))
        let second = try await store.create("/registry/b/1", value: bytes("two"))
        let third = try await store.update("/registry/a/1", value: bytes("uno"), expectedRevision: first)
        #expect(first == start + 1)
        #expect(second == first + 1)
        #expect(third == second + 1)
        #expect(try await store.currentRevision() == third)
        let stored = try #require(try await store.get("/registry/a/1"))
        #expect(stored.value == bytes("uno"))
        #expect(stored.createRevision == first)
        #expect(stored.modRevision == third)
    }

    @Test(arguments: StoreBackends.names)
    func createRefusesAnExistingKey(backend: String) async throws {
        let store = try StoreBackends.make(backend)
        _ = try await store.create("/registry/a/x", value: bytes("1"))
        await #expect(throws: StoreError.keyExists("/registry/a/x")) {
            _ = try await store.create("/registry/a/x", value: bytes("2"))
        }
        #expect(try await store.get("/registry/a/x")?.value == bytes("1"))
    }

    @Test(arguments: StoreBackends.names)
    func updateIsCompareAndSwap(backend: String) async throws {
        let store = try StoreBackends.make(backend)
        let created = try await store.create("/registry/a/x", value: bytes("1"))
        let updated = try await store.update("/registry/a/x", value: bytes("2"), expectedRevision: created)
        await #expect(throws: StoreError.revisionMismatch(key: "/registry/a/x", currentRevision: updated)) {
            _ = try await store.update("/registry/a/x", value: bytes("stale"), expectedRevision: created)
        }
        #expect(try await store.get("/registry/a/x")?.value == bytes("2"))
        await #expect(throws: StoreError.keyNotFound("/registry/a/missing")) {
            _ = try await store.update("/registry/a/missing", value: bytes("1"), expectedRevision: 1)
        }
    }

    @Test(arguments: StoreBackends.names)
    func deleteReturnsTheLastValueAndHonoursPreconditions(backend: String) async throws {
        let store = try StoreBackends.make(backend)
        let created = try await store.create("/registry/a/x", value: bytes("1"))
        await #expect(throws: StoreError.revisionMismatch(key: "/registry/a/x", currentRevision: created)) {
            _ = try await store.delete("/registry/a/x", expectedRevision: created + 100)
        }
        let (revision, previous) = try await store.delete("/registry/a/x", expectedRevision: created)
        #expect(revision == created + 1)
        #expect(previous.value == bytes("1"))
        #expect(try await store.get("/registry/a/x") == nil)
        await #expect(throws: StoreError.keyNotFound("/registry/a/x")) {
            _ = try await store.delete("/registry/a/x", expectedRevision: nil)
        }
    }

    @Test(arguments: StoreBackends.names)
    func listPagesInKeyOrderAndReadsPastRevisions(backend: String) async throws {
        let store = try StoreBackends.make(backend)
        for name in ["c", "a", "b", "d"] {
            _ = try await store.create("/registry/pods/ns/\(name)", value: bytes(name))
        }
        _ = try await store.create("/registry/podsx/ns/zzz", value: bytes("other prefix"))
        let before = try await store.currentRevision()
        let page = try await store.list(prefix: "/registry/pods/", startAfter: nil, limit: 3, atRevision: nil)
        #expect(page.items.map(\.value) == ["a", "b", "c"].map(bytes))
        #expect(page.hasMore)
        let rest = try await store.list(prefix: "/registry/pods/", startAfter: page.items.last?.key, limit: 3, atRevision: page.revision)
        #expect(rest.items.map(\.value) == [bytes("d")])
        #expect(!rest.hasMore)

        let aRevision = try #require(try await store.get("/registry/pods/ns/a")).modRevision
        _ = try await store.update("/registry/pods/ns/a", value: bytes("a2"), expectedRevision: aRevision)
        _ = try await store.delete("/registry/pods/ns/b", expectedRevision: nil)
        _ = try await store.create("/registry/pods/ns/e", value: bytes("e"))
        let past = try await store.list(prefix: "/registry/pods/", startAfter: nil, limit: nil, atRevision: before)
        #expect(past.items.map(\.value) == ["a", "b", "c", "d"].map(bytes))
        #expect(past.revision == before)
        let now = try await store.list(prefix: "/registry/pods/", startAfter: nil, limit: nil, atRevision: nil)
        #expect(now.items.map(\.value) == ["a2", "c", "d", "e"].map(bytes))
        #expect(try await store.count(prefix: "/registry/pods/") == 4)
    }

    @Test(arguments: StoreBackends.names)
    func watchReplaysHistoryThenFollowsLiveWritesWithoutGaps(backend: String) async throws {
        let store = try StoreBackends.make(backend)
        let start = try await store.currentRevision()
        let created = try await store.create("/registry/cm/ns/one", value: bytes("1"))
        _ = try await store.create("/registry/other/ns/x", value: bytes("not watched"))
        let updated = try await store.update("/registry/cm/ns/one", value: bytes("2"), expectedRevision: created)

        let watch = try await store.watch(prefix: "/registry/cm/", afterRevision: start)
        async let received = collect(watch, count: 4)
        let second = try await store.create("/registry/cm/ns/two", value: bytes("3"))
        let deleted = try await store.delete("/registry/cm/ns/one", expectedRevision: nil).revision
        let events = try await received

        #expect(events.map(\.kind) == [.created, .updated, .created, .deleted])
        #expect(events.map(\.revision) == [created, updated, second, deleted])
        #expect(events.last?.value.value == bytes("2"))
        // Updates carry the value they replaced, from history and live alike.
        #expect(events[1].previous?.value == bytes("1"))
        #expect(events[1].previous?.modRevision == created)
    }

    @Test(arguments: StoreBackends.names)
    func liveUpdatesCarryThePreviousValue(backend: String) async throws {
        let store = try StoreBackends.make(backend)
        let created = try await store.create("/registry/cm/ns/one", value: bytes("1"))
        let watch = try await store.watch(prefix: "/registry/cm/", afterRevision: created)
        async let received = collect(watch, count: 1)
        _ = try await store.update("/registry/cm/ns/one", value: bytes("2"), expectedRevision: created)
        let event = try #require(try await received.first)
        #expect(event.previous?.value == bytes("1"))
        #expect(event.value.value == bytes("2"))
    }

    @Test(arguments: StoreBackends.names)
    func concurrentWritersAreSeenInRevisionOrder(backend: String) async throws {
        let store = try StoreBackends.make(backend)
        let start = try await store.currentRevision()
        let watch = try await store.watch(prefix: "/registry/", afterRevision: start)
        async let received = collect(watch, count: 60)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<6 {
                group.addTask {
                    for index in 0..<10 {
                        _ = try await store.create("/registry/w/\(writer)-\(index)", value: bytes("x"))
                    }
                }
            }
            try await group.waitForAll()
        }
        let revisions = try await received.map(\.revision)
        #expect(revisions == Array((start + 1)...(start + 60)))
    }

    @Test(arguments: StoreBackends.names)
    func compactionMakesOldRevisionsExpireButKeepsLiveState(backend: String) async throws {
        let store = try StoreBackends.make(backend)
        let created = try await store.create("/registry/cm/ns/a", value: bytes("1"))
        var revision = created
        for step in 2...5 {
            revision = try await store.update("/registry/cm/ns/a", value: bytes("\(step)"), expectedRevision: revision)
        }
        let kept = try await store.create("/registry/cm/ns/b", value: bytes("b"))
        let gone = try await store.create("/registry/cm/ns/c", value: bytes("c"))
        _ = try await store.delete("/registry/cm/ns/c", expectedRevision: gone)
        let compactTo = try await store.currentRevision()
        try await store.compact(upTo: compactTo)
        #expect(try await store.compactedRevision() == compactTo)

        await #expect(throws: StoreError.compacted(requested: created, compactedRevision: compactTo)) {
            _ = try await store.watch(prefix: "/registry/cm/", afterRevision: created)
        }
        await #expect(throws: StoreError.compacted(requested: created, compactedRevision: compactTo)) {
            _ = try await store.list(prefix: "/registry/cm/", startAfter: nil, limit: nil, atRevision: created)
        }
        let now = try await store.list(prefix: "/registry/cm/", startAfter: nil, limit: nil, atRevision: nil)
        #expect(now.items.map(\.value) == [bytes("5"), bytes("b")])
        #expect(now.items.last?.modRevision == kept)

        // A read at a later revision still sees keys last written before the compaction.
        _ = try await store.create("/registry/cm/ns/d", value: bytes("d"))
        let atCompaction = try await store.list(prefix: "/registry/cm/", startAfter: nil, limit: nil, atRevision: compactTo)
        #expect(atCompaction.items.map(\.value) == [bytes("5"), bytes("b")])

        // Watching from the compacted revision itself still works: nothing after it was lost.
        let watch = try await store.watch(prefix: "/registry/cm/", afterRevision: compactTo)
        let events = try await collect(watch, count: 1)
        #expect(events.first?.value.key == "/registry/cm/ns/d")
    }

    @Test(arguments: StoreBackends.names)
    func aWatcherThatFallsBehindIsDropped(backend: String) async throws {
        let store = try StoreBackends.make(backend)
        let watch = try await store.watch(prefix: "/registry/", afterRevision: try await store.currentRevision())
        for index in 0..<150 {
            _ = try await store.create("/registry/flood/\(index)", value: bytes("x"))
        }
        await #expect(throws: StoreError.watcherTooSlow) {
            for try await _ in watch {}
        }
    }
}
