/// An `EncryptionConfiguration` applied to storage keys: which providers a key's resource has, how its values are
/// sealed on write and opened on read.
///
/// Keys follow the API server's layout, `/registry/<group>/<resource>/...`, with `core` for the core group. A
/// resource's providers come from the rule that names it exactly, else from `*.<group>`, else from `*.*`, as
/// kube-apiserver resolves them; a resource no rule names is stored as it is.
public struct ResourceEncryption: Sendable {
    public let configuration: EncryptionConfiguration
    private let exact: [String: [EncryptionProvider]]
    private let groups: [String: [EncryptionProvider]]
    private let everything: [EncryptionProvider]?
    /// The prefixes of every resource this configuration encrypts, as the store's keys spell them, for re-encryption
    /// and status. Wildcards give the group's prefix (`/registry/apps/`) or `/registry/`.
    public let transformedPrefixes: [String]

    public init(_ configuration: EncryptionConfiguration) {
        self.configuration = configuration
        var exact: [String: [EncryptionProvider]] = [:]
        var groups: [String: [EncryptionProvider]] = [:]
        var everything: [EncryptionProvider]?
        for rule in configuration.rules {
            for resource in rule.resources {
                let (name, group) = Self.split(resource)
                if name == "*" && group == "*" {
                    everything = everything ?? rule.providers
                } else if name == "*" {
                    groups[group] = groups[group] ?? rule.providers
                } else {
                    exact["\(group)/\(name)"] = exact["\(group)/\(name)"] ?? rule.providers
                }
            }
        }
        self.exact = exact
        self.groups = groups
        self.everything = everything
        self.transformedPrefixes = Self.prefixes(exact: exact, groups: groups, everything: everything != nil)
    }

    /// `deployments.apps` → (`deployments`, `apps`); `secrets` → (`secrets`, ``); `*.` → (`*`, ``).
    private static func split(_ resource: String) -> (name: String, group: String) {
        guard let dot = resource.firstIndex(of: ".") else { return (resource, "") }
        return (String(resource[..<dot]), String(resource[resource.index(after: dot)...]))
    }

    /// The group and resource of a storage key, or nil for a key outside `/registry/<group>/<resource>/`.
    private static func groupResource(of key: String) -> (group: String, resource: String)? {
        let parts = key.split(separator: "/", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].isEmpty, parts[1] == "registry" else { return nil }
        return (parts[2] == "core" ? "" : String(parts[2]), String(parts[3]))
    }

    /// The providers of the resource a key belongs to; empty when its values are stored as they are.
    public func providers(forKey key: String) -> [EncryptionProvider] {
        guard let (group, resource) = Self.groupResource(of: key) else { return [] }
        return exact["\(group)/\(resource)"] ?? groups[group] ?? everything ?? []
    }

    /// Whether a watch or list of `prefix` may see values this configuration transforms.
    public func mayTransform(prefix: String) -> Bool {
        transformedPrefixes.contains { $0.hasPrefix(prefix) || prefix.hasPrefix($0) }
    }

    private static func prefixes(exact: [String: [EncryptionProvider]], groups: [String: [EncryptionProvider]], everything: Bool) -> [String] {
        if everything { return ["/registry/"] }
        let groupPrefixes = groups.keys.map { "/registry/\($0.isEmpty ? "core" : $0)/" }
        let exactPrefixes = exact.keys.compactMap { groupResource -> String? in
            let parts = groupResource.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            let prefix = "/registry/\(parts[0].isEmpty ? "core" : String(parts[0]))/\(parts[1])/"
            return groupPrefixes.contains { prefix.hasPrefix($0) } ? nil : prefix
        }
        return (groupPrefixes + exactPrefixes).sorted()
    }

    /// The stored form of a value written at `key`: sealed by the first provider.
    public func seal(_ value: [UInt8], key: String) throws -> [UInt8] {
        guard let first = providers(forKey: key).first else { return value }
        return try first.seal(value, storageKey: key)
    }

    /// The plain value of a stored value, opened by whichever provider's prefix it carries.
    public func open(_ stored: [UInt8], key: String) throws -> [UInt8] {
        let providers = providers(forKey: key)
        if providers.isEmpty { return stored }
        if stored.starts(with: EncryptionProvider.encryptedPrefix) {
            for provider in providers {
                if let sealingKey = provider.key(sealing: stored) {
                    return try provider.open(stored, with: sealingKey, storageKey: key)
                }
            }
            throw EncryptedValueError(key: key, reason: "no configured key matches the prefix the value was encrypted with")
        }
        guard providers.contains(.identity) else {
            throw EncryptedValueError(key: key, reason: "the value is not encrypted and the configuration has no identity provider to read plain text")
        }
        return stored
    }

    /// Which provider and key sealed a stored value: nil for plain text, or for a key no provider holds any more.
    public func sealing(_ stored: [UInt8], key: String) -> (provider: EncryptionProvider, key: EncryptionKey)? {
        guard stored.starts(with: EncryptionProvider.encryptedPrefix) else { return nil }
        for provider in providers(forKey: key) {
            if let sealingKey = provider.key(sealing: stored) { return (provider, sealingKey) }
        }
        return nil
    }

    /// Whether a stored value is already in the form a write makes now (the first provider's first key).
    public func isCurrent(_ stored: [UInt8], key: String) -> Bool {
        guard let first = providers(forKey: key).first else { return true }
        guard let firstKey = first.keys.first else { return !stored.starts(with: EncryptionProvider.encryptedPrefix) }
        return stored.starts(with: first.prefix(of: firstKey))
    }
}

/// A stored value that cannot be read with the configured keys.
public struct EncryptedValueError: Error, Sendable, CustomStringConvertible {
    public let key: String
    public let reason: String
    public var description: String { "cannot decrypt \(key): \(reason)" }
}
