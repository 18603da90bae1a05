import Crypto
import Foundation
import Storage

/// Secrets encrypted at rest, and the keys' life: what `skiff secrets-encrypt status|rotate|reencrypt` asks the
/// server for, as k3s' `secrets-encrypt` does.
///
/// By default the server keeps its own configuration in the data directory (0600): AES-GCM for Secrets with a key
/// made at first start, and identity after it so that a store written before encryption still reads. Rotation puts
/// a new key first; re-encryption rewrites every value with the first key and then drops keys nothing uses any more.
/// A configuration given with `--encryption-provider-config` is the user's: it is used as it is and never rewritten.
public actor SecretsEncryption {
    public let store: EncryptingStore
    /// The file the server manages, or nil when the configuration is the user's.
    private let managedPath: String?
    private let clock: @Sendable () -> Date

    public init(store: EncryptingStore, managedPath: String?, clock: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.managedPath = managedPath
        self.clock = clock
    }

    /// The server's own configuration: read from `path`, or made there with a new AES-GCM key.
    public static func managedConfiguration(path: String, now: Date = Date()) throws(EncryptionConfigurationError) -> EncryptionConfiguration {
        if FileManager.default.fileExists(atPath: path) {
            return try EncryptionConfiguration.load(path: path)
        }
        let configuration = EncryptionConfiguration(rules: [
            .init(resources: ["secrets"], providers: [.aesgcm([newKey(now: now)]), .identity])
        ])
        try write(configuration, to: path)
        return configuration
    }

    static func newKey(now: Date) -> EncryptionKey {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        return EncryptionKey(name: "aesgcm-\(formatter.string(from: now))", secret: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }

    /// Writes the file whole or not at all (a new file renamed over the old), readable by its owner only.
    static func write(_ configuration: EncryptionConfiguration, to path: String) throws(EncryptionConfigurationError) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = "\(path).new"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try? FileManager.default.removeItem(atPath: temporary)
            guard FileManager.default.createFile(atPath: temporary, contents: Data(configuration.rendered().utf8), attributes: [.posixPermissions: 0o600])
            else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary])
            }
            guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        } catch {
            throw EncryptionConfigurationError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// A configured key and how many stored values it sealed.
    public struct KeyUsage: Sendable, Equatable {
        public var provider: String
        public var name: String
        public var values: Int
    }

    /// How the values of the encrypted resources are stored now.
    public struct Status: Sendable {
        /// `Enabled` when the first provider of some rule encrypts, else `Disabled`.
        public var enabled: Bool
        public var managed: Bool
        public var resources: [String]
        /// The provider and key every write uses now (for the first rule).
        public var activeProvider: String
        public var activeKey: String?
        /// Every configured key, in order, with how many stored values it sealed.
        public var keys: [KeyUsage]
        public var plaintextValues: Int
        /// Values sealed with a key no longer configured: they cannot be read.
        public var unreadableValues: Int

    }

    public func status() async throws(StoreError) -> Status {
        let encryption = store.encryption
        var counts: [String: Int] = [:]
        var plaintext = 0
        var unreadable = 0
        try await forEachStoredValue(under: encryption.transformedPrefixes) { stored in
            if let (provider, key) = encryption.sealing(stored.value, key: stored.key) {
                counts["\(provider.typeName)/\(key.name)", default: 0] += 1
            } else if stored.value.starts(with: EncryptionProvider.encryptedPrefix) {
                unreadable += 1
            } else if !encryption.providers(forKey: stored.key).isEmpty {
                plaintext += 1
            }
        }
        let rules = encryption.configuration.rules
        let active = rules.first?.providers.first ?? .identity
        var keys: [KeyUsage] = []
        for rule in rules {
            for provider in rule.providers {
                for key in provider.keys where !keys.contains(where: { $0.provider == provider.typeName && $0.name == key.name }) {
                    keys.append(KeyUsage(provider: provider.typeName, name: key.name, values: counts["\(provider.typeName)/\(key.name)", default: 0]))
                }
            }
        }
        return Status(
            enabled: rules.contains { $0.providers.first != .identity }, managed: managedPath != nil,
            resources: rules.flatMap(\.resources), activeProvider: active.displayName, activeKey: active.keys.first?.name,
            keys: keys, plaintextValues: plaintext, unreadableValues: unreadable)
    }

    /// Puts a new key first, so every write from now on uses it; values sealed with the older keys stay readable
    /// until `reencrypt` rewrites them.
    public func rotate() throws(EncryptionConfigurationError) -> EncryptionKey {
        guard let managedPath else { throw Self.notManaged }
        var configuration = store.encryption.configuration
        var now = clock()
        let existing = Set(configuration.rules.flatMap(\.providers).flatMap(\.keys).map(\.name))
        // Two rotations within a millisecond would otherwise name their keys alike.
        while existing.contains(Self.newKey(now: now).name) { now += 0.001 }
        let key = Self.newKey(now: now)
        for index in configuration.rules.indices {
            guard case .aesgcm(let keys)? = configuration.rules[index].providers.first else { continue }
            configuration.rules[index].providers[0] = .aesgcm([key] + keys)
        }
        try Self.write(configuration, to: managedPath)
        store.replace(ResourceEncryption(configuration))
        return key
    }

    /// Rewrites every stored value not sealed with the current key, then (for the server's own configuration)
    /// drops the keys no value uses any more. Returns how many values were rewritten.
    public func reencrypt() async throws(StoreError) -> Int {
        let encryption = store.encryption
        var stale: [StoredValue] = []
        try await forEachStoredValue(under: encryption.transformedPrefixes) { stored in
            if !encryption.isCurrent(stored.value, key: stored.key) { stale.append(stored) }
        }
        var rewritten = 0
        for stored in stale {
            let plain: [UInt8]
            do {
                plain = try encryption.open(stored.value, key: stored.key)
            } catch {
                throw .backend("\(error)")
            }
            do {
                _ = try await store.update(stored.key, value: plain, expectedRevision: stored.modRevision)
                rewritten += 1
            } catch .revisionMismatch, .keyNotFound {
                // Written or deleted since it was read: a write seals with the current key already.
                continue
            }
        }
        if managedPath != nil { try await dropUnusedKeys() }
        return rewritten
    }

    private func dropUnusedKeys() async throws(StoreError) {
        guard let managedPath else { return }
        let inUse = Set(try await status().keys.filter { $0.values > 0 }.map { "\($0.provider)/\($0.name)" })
        var configuration = store.encryption.configuration
        for ruleIndex in configuration.rules.indices {
            for (providerIndex, provider) in configuration.rules[ruleIndex].providers.enumerated() {
                guard case .aesgcm(let keys) = provider else { continue }
                let kept = keys.enumerated().filter { $0.offset == 0 && providerIndex == 0 || inUse.contains("aesgcm/\($0.element.name)") }.map(\.element)
                configuration.rules[ruleIndex].providers[providerIndex] = .aesgcm(kept)
            }
        }
        guard configuration != store.encryption.configuration else { return }
        do {
            try Self.write(configuration, to: managedPath)
        } catch {
            throw .backend(error.message)
        }
        store.replace(ResourceEncryption(configuration))
    }

    /// Every live stored value under the prefixes, as the backend holds it, a page at a time.
    private func forEachStoredValue(under prefixes: [String], _ body: (StoredValue) -> Void) async throws(StoreError) {
        for prefix in prefixes {
            var startAfter: String?
            var revision: Int64?
            repeat {
                let page = try await store.backend.list(prefix: prefix, startAfter: startAfter, limit: 500, atRevision: revision)
                page.items.forEach(body)
                revision = page.revision
                startAfter = page.hasMore ? page.items.last?.key : nil
            } while startAfter != nil
        }
    }

    static let notManaged = EncryptionConfigurationError(
        "the encryption configuration was given with --encryption-provider-config: rotate its keys by editing that file and restarting the server")
}
