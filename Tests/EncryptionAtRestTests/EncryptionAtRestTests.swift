import EncryptionAtRest
import Foundation
import SQLiteStorage
import Storage
import Testing

private func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-encryption-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private let secretKey = "/registry/core/secrets/dev/db"
private let plainValue = Array(#"{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}"#.utf8)

private func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
    let needle = Array(needle.utf8)
    guard haystack.count >= needle.count else { return false }
    return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
}

private func key(_ name: String, byte: UInt8 = 1, length: Int = 32) -> EncryptionKey {
    EncryptionKey(name: name, secret: Data(repeating: byte, count: length))
}

private func encryption(_ providers: [EncryptionProvider], resources: [String] = ["secrets"]) -> ResourceEncryption {
    ResourceEncryption(EncryptionConfiguration(rules: [.init(resources: resources, providers: providers)]))
}

@Suite("encryption configuration")
struct EncryptionConfigurationTests {
    @Test func parsesKubernetesFormat() throws {
        let configuration = try EncryptionConfiguration.parse(
            """
            apiVersion: apiserver.config.k8s.io/v1
            kind: EncryptionConfiguration
            resources:
              - resources: [secrets, configmaps]
                providers:
                  - aescbc:
                      keys:
                        - name: key1
                          secret: \(Data(repeating: 3, count: 32).base64EncodedString())
                  - identity: {}
              - resources: ["*.apps"]
                providers:
                  - identity: {}
            """)
        #expect(configuration.rules.count == 2)
        #expect(configuration.rules[0].resources == ["secrets", "configmaps"])
        #expect(configuration.rules[0].providers == [.aescbc([key("key1", byte: 3)]), .identity])
        #expect(try EncryptionConfiguration.parse(configuration.rendered()) == configuration)
    }

    @Test(arguments: [
        ("aesgcm: {keys: [{name: k, secret: AAAA}]}", "resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: \"REDACTED\": secret is not of the expected length, got 3, expected one of [16 24 32]"),
        ("aesgcm: {keys: [{name: k, secret: '!!'}]}", "resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: \"REDACTED\": secrets must be base64 encoded"),
        ("aesgcm: {keys: [{secret: AAAA}]}", "resources[0].providers[0].aesgcm.keys[0].name: Required value: key name is required"),
        ("secretbox: {keys: [{name: k, secret: AAAA}]}", "resources[0].providers[0].secretbox: Unsupported value"),
        ("kms: {name: vault}", "resources[0].providers[0].kms: Unsupported value"),
        ("{identity: {}, aesgcm: {keys: []}}", "more than one provider specified in a single element"),
    ])
    func refusesABadProvider(provider: String, message: String) {
        let text = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - \(provider)\n"
        #expect {
            _ = try EncryptionConfiguration.parse(text)
        } throws: { error in
            (error as? EncryptionConfigurationError)?.message.contains(message) == true
        }
    }

    @Test func refusesAnotherKind() {
        #expect(throws: EncryptionConfigurationError.self) {
            _ = try EncryptionConfiguration.parse("apiVersion: v1\nkind: ConfigMap\n")
        }
    }

    @Test func refusesTheSameResourceTwiceAndCapitals() {
        let twice = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets, secrets]\n    providers: [{identity: {}}]\n"
        #expect(throws: EncryptionConfigurationError.self) { _ = try EncryptionConfiguration.parse(twice) }
        let capitals = twice.replacingOccurrences(of: "[secrets, secrets]", with: "[Secrets]")
        #expect(throws: EncryptionConfigurationError.self) { _ = try EncryptionConfiguration.parse(capitals) }
    }
}

@Suite("resource encryption")
struct ResourceEncryptionTests {
    @Test(arguments: [EncryptionProvider.aesgcm([key("a")]), .aescbc([key("b", length: 16)])])
    func sealsWithAPrefixAndOpens(provider: EncryptionProvider) throws {
        let encryption = encryption([provider])
        let sealed = try encryption.seal(plainValue, key: secretKey)
        #expect(sealed.starts(with: Array("k8s:enc:\(provider.typeName):v1:\(provider.keys[0].name):".utf8)))
        #expect(!contains(sealed, "aHVudGVyMg=="))
        #expect(try encryption.open(sealed, key: secretKey) == plainValue)
        #expect(try encryption.seal(plainValue, key: secretKey) != sealed, "every write has a fresh nonce or IV")
    }

    @Test func gcmBindsTheValueToItsKey() throws {
        let encryption = encryption([.aesgcm([key("a")])])
        let sealed = try encryption.seal(plainValue, key: secretKey)
        #expect(throws: (any Error).self) { _ = try encryption.open(sealed, key: "/registry/core/secrets/dev/other") }
    }

    @Test func onlyConfiguredResourcesAreSealed() throws {
        let encryption = encryption([.aesgcm([key("a")])], resources: ["secrets", "*.apps"])
        #expect(try encryption.seal(plainValue, key: "/registry/core/configmaps/dev/x") == plainValue)
        #expect(try encryption.seal(plainValue, key: "/registry/apps/deployments/dev/x") != plainValue)
        #expect(encryption.transformedPrefixes == ["/registry/apps/", "/registry/core/secrets/"])
        #expect(encryption.mayTransform(prefix: "/registry/core/secrets/dev/"))
        #expect(encryption.mayTransform(prefix: "/registry/"))
        #expect(!encryption.mayTransform(prefix: "/registry/core/pods/"))
    }

    @Test func plainTextReadsOnlyWithIdentity() throws {
        #expect(try encryption([.aesgcm([key("a")]), .identity]).open(plainValue, key: secretKey) == plainValue)
        #expect(throws: EncryptedValueError.self) { _ = try encryption([.aesgcm([key("a")])]).open(plainValue, key: secretKey) }
    }

    @Test func anOlderKeyStillOpensAndAnUnknownOneDoesNot() throws {
        let sealed = try encryption([.aesgcm([key("old", byte: 1)])]).seal(plainValue, key: secretKey)
        let rotated = encryption([.aesgcm([key("new", byte: 2), key("old", byte: 1)])])
        #expect(try rotated.open(sealed, key: secretKey) == plainValue)
        #expect(!rotated.isCurrent(sealed, key: secretKey))
        #expect(throws: EncryptedValueError.self) { _ = try encryption([.aesgcm([key("new", byte: 2)])]).open(sealed, key: secretKey) }
    }
}

@Suite("secrets encryption")
struct SecretsEncryptionTests {
    private func makeStore(directory: String) throws -> (EncryptingStore, SecretsEncryption, String) {
        let path = "\(directory)/server/encryption-config.yaml"
        let configuration = try SecretsEncryption.managedConfiguration(path: path)
        let store = EncryptingStore(backend: try SQLiteStore(path: "\(directory)/state.db"), encryption: ResourceEncryption(configuration))
        return (store, SecretsEncryption(store: store, managedPath: path), path)
    }

    @Test func theServersKeyFileIsMadeOnceAndOwnerOnly() throws {
        let directory = try temporaryDirectory()
        let path = "\(directory)/server/encryption-config.yaml"
        let first = try SecretsEncryption.managedConfiguration(path: path)
        #expect(try SecretsEncryption.managedConfiguration(path: path) == first)
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        #expect(first.rules.first?.providers.first?.keys.first?.secret.count == 32)
    }

    @Test func theBackendHoldsNoValueAndReadsAreUnchanged() async throws {
        let directory = try temporaryDirectory()
        let (store, _, _) = try makeStore(directory: directory)
        let revision = try await store.create(secretKey, value: plainValue)
        #expect(try await store.get(secretKey)?.value == plainValue)
        #expect(try await store.list(prefix: "/registry/core/secrets/", startAfter: nil, limit: nil, atRevision: nil).items.map(\.value) == [plainValue])
        let raw = try #require(try await store.backend.get(secretKey))
        #expect(!contains(raw.value, "aHVudGVyMg=="))
        let watch = try await store.watch(prefix: "/registry/core/secrets/", afterRevision: revision - 1)
        var iterator = watch.makeAsyncIterator()
        #expect(try await iterator.next()?.value.value == plainValue)
    }

    @Test func rotateThenReencryptMovesEveryValueToTheNewKeyAndDropsTheOld() async throws {
        let directory = try temporaryDirectory()
        let (store, encryption, path) = try makeStore(directory: directory)
        for index in 0..<3 { _ = try await store.create("\(secretKey)-\(index)", value: plainValue) }
        let before = try await encryption.status()
        let oldKey = try #require(before.activeKey)
        #expect(before.keys.map(\.values) == [3])

        let newKey = try await encryption.rotate()
        let rotated = try await encryption.status()
        #expect(rotated.activeKey == newKey.name)
        #expect(rotated.keys.map(\.name) == [newKey.name, oldKey])
        #expect(rotated.keys.map(\.values) == [0, 3])

        #expect(try await encryption.reencrypt() == 3)
        let after = try await encryption.status()
        #expect(after.keys.map(\.name) == [newKey.name])
        #expect(after.keys.map(\.values) == [3])
        #expect(try SecretsEncryption.managedConfiguration(path: path).rules[0].providers[0].keys.map(\.name) == [newKey.name])
        #expect(try await store.get("\(secretKey)-1")?.value == plainValue)
    }

    @Test func plainValuesFromBeforeAreCountedAndReencrypted() async throws {
        let directory = try temporaryDirectory()
        let plainStore = try SQLiteStore(path: "\(directory)/state.db")
        _ = try await plainStore.create(secretKey, value: plainValue)
        plainStore.close()
        let (store, encryption, _) = try makeStore(directory: directory)
        #expect(try await store.get(secretKey)?.value == plainValue)
        #expect(try await encryption.status().plaintextValues == 1)
        #expect(try await encryption.reencrypt() == 1)
        #expect(try await encryption.status().plaintextValues == 0)
        #expect(!contains(try #require(try await store.backend.get(secretKey)).value, "aHVudGVyMg=="))
    }

    @Test func aUsersConfigurationIsNeverRewritten() async throws {
        let directory = try temporaryDirectory()
        let store = EncryptingStore(backend: try SQLiteStore(path: "\(directory)/state.db"), encryption: encryption([.aescbc([key("mine")])]))
        let encryption = SecretsEncryption(store: store, managedPath: nil)
        await #expect(throws: EncryptionConfigurationError.self) { _ = try await encryption.rotate() }
    }
}
