import Foundation
import Yams

/// Kubernetes' `EncryptionConfiguration` (apiserver.config.k8s.io/v1), the file `--encryption-provider-config` names:
/// for groups of resources, an ordered list of providers. The first provider encrypts every write; all of them are
/// tried, by the prefix a stored value carries, to read.
public struct EncryptionConfiguration: Sendable, Equatable {
    public var rules: [Rule]

    /// One `resources[]` entry.
    public struct Rule: Sendable, Equatable {
        /// As written: `secrets`, `deployments.apps`, `*.apps`, `*.` (the core group) or `*.*`.
        public var resources: [String]
        public var providers: [EncryptionProvider]

        public init(resources: [String], providers: [EncryptionProvider]) {
            self.resources = resources
            self.providers = providers
        }
    }

    public init(rules: [Rule]) { self.rules = rules }

    public static let apiVersion = "apiserver.config.k8s.io/v1"
    public static let kind = "EncryptionConfiguration"

    /// Parses and validates a configuration file's text (YAML or JSON), with Kubernetes' field paths in the errors.
    public static func parse(_ text: String) throws(EncryptionConfigurationError) -> EncryptionConfiguration {
        let file: FileForm
        do {
            file = try YAMLDecoder().decode(FileForm.self, from: text)
        } catch {
            throw EncryptionConfigurationError("the file is not an EncryptionConfiguration: \(error)")
        }
        guard file.apiVersion == apiVersion, file.kind == kind else {
            throw EncryptionConfigurationError(
                "apiVersion \(file.apiVersion ?? "") kind \(file.kind ?? "") is not supported: expected apiVersion \(apiVersion), kind \(kind)")
        }
        guard let entries = file.resources, !entries.isEmpty else {
            throw EncryptionConfigurationError("resources: Required value: at least one resourceConfiguration is required")
        }
        var rules: [Rule] = []
        var seen: [String: String] = [:]
        for (index, entry) in entries.enumerated() {
            let path = "resources[\(index)]"
            guard let resources = entry.resources, !resources.isEmpty else {
                throw EncryptionConfigurationError("\(path).resources: Required value: at least one resource is required")
            }
            for (position, resource) in resources.enumerated() {
                let field = "\(path).resources[\(position)]"
                if let problem = resourceProblem(resource) {
                    throw EncryptionConfigurationError("\(field): Invalid value: \"\(resource)\": \(problem)")
                }
                if let earlier = seen[resource] {
                    throw EncryptionConfigurationError(
                        "\(field): Invalid value: \"\(resource)\": the same resource cannot be specified multiple times (first at \(earlier))")
                }
                seen[resource] = field
            }
            guard let providerEntries = entry.providers, !providerEntries.isEmpty else {
                throw EncryptionConfigurationError("\(path).providers: Required value: at least one provider is required")
            }
            var providers: [EncryptionProvider] = []
            for (position, providerEntry) in providerEntries.enumerated() {
                providers.append(try providerEntry.provider(path: "\(path).providers[\(position)]"))
            }
            rules.append(Rule(resources: resources, providers: providers))
        }
        return EncryptionConfiguration(rules: rules)
    }

    /// Reads and parses a file.
    public static func load(path: String) throws(EncryptionConfigurationError) -> EncryptionConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw EncryptionConfigurationError("cannot read \(path): \(error.localizedDescription)")
        }
        do {
            return try parse(text)
        } catch {
            throw EncryptionConfigurationError("\(path): \(error.message)")
        }
    }

    /// The file's text, as `parse` reads it back. Key secrets appear in it: the caller keeps the file 0600.
    public func rendered() -> String {
        var lines = ["apiVersion: \(Self.apiVersion)", "kind: \(Self.kind)", "resources:"]
        for rule in rules {
            lines.append("  - resources:")
            // Quoted: `*.apps` would otherwise read as a YAML alias.
            lines += rule.resources.map { "      - \"\($0)\"" }
            lines.append("    providers:")
            for provider in rule.providers {
                switch provider {
                case .identity:
                    lines.append("      - identity: {}")
                case .aesgcm(let keys), .aescbc(let keys):
                    lines.append("      - \(provider.typeName):")
                    lines.append("          keys:")
                    for key in keys {
                        lines.append("            - name: \(key.name)")
                        lines.append("              secret: \(key.secret.base64EncodedString())")
                    }
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Kubernetes' checks on a resource name in the file.
    private static func resourceProblem(_ resource: String) -> String? {
        if resource == "*" { return "use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources" }
        if resource != resource.lowercased() { return "resource name should not contain capital letters" }
        if resource.hasSuffix(".extensions") { return "'extensions' group has been removed and cannot be used for encryption" }
        if resource.hasSuffix(".events.k8s.io") {
            return "'*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file"
        }
        return nil
    }

    /// The file's shape, as YAMLDecoder reads it.
    private struct FileForm: Decodable {
        var apiVersion: String?
        var kind: String?
        var resources: [RuleForm]?
    }

    private struct RuleForm: Decodable {
        var resources: [String]?
        var providers: [ProviderForm]?
    }

    private struct KeyForm: Decodable {
        var name: String?
        var secret: String?
    }

    private struct KeysForm: Decodable {
        var keys: [KeyForm]?
    }

    private struct KMSForm: Decodable {
        var name: String?
    }

    private struct IdentityForm: Decodable {}

    private struct ProviderForm: Decodable {
        var aesgcm: KeysForm?
        var aescbc: KeysForm?
        var secretbox: KeysForm?
        var kms: KMSForm?
        var identity: IdentityForm?

        func provider(path: String) throws(EncryptionConfigurationError) -> EncryptionProvider {
            let given = [aesgcm != nil, aescbc != nil, secretbox != nil, kms != nil, identity != nil].filter { $0 }.count
            if given == 0 {
                throw EncryptionConfigurationError("\(path): Invalid value: \"{}\": provider does not contain any of the expected providers: KMS, secretbox, AESGCM, AESCBC or Identity")
            }
            if given > 1 {
                throw EncryptionConfigurationError(
                    "\(path): Invalid value: \"\": more than one provider specified in a single element, should split into different list elements")
            }
            if identity != nil { return .identity }
            if let aesgcm { return .aesgcm(try Self.keys(aesgcm, path: "\(path).aesgcm")) }
            if let aescbc { return .aescbc(try Self.keys(aescbc, path: "\(path).aescbc")) }
            if secretbox != nil {
                throw EncryptionConfigurationError(
                    "\(path).secretbox: Unsupported value: Skiff has no XSalsa20-Poly1305 implementation (swift-crypto lacks it); use aesgcm or aescbc")
            }
            throw EncryptionConfigurationError(
                "\(path).kms: Unsupported value: Skiff does not talk to KMS plugins; use aesgcm or aescbc with a key kept in the file")
        }

        private static func keys(_ form: KeysForm, path: String) throws(EncryptionConfigurationError) -> [EncryptionKey] {
            guard let forms = form.keys, !forms.isEmpty else {
                throw EncryptionConfigurationError("\(path).keys: Required value: at least one key is required")
            }
            var keys: [EncryptionKey] = []
            for (index, key) in forms.enumerated() {
                let field = "\(path).keys[\(index)]"
                guard let name = key.name, !name.isEmpty else {
                    throw EncryptionConfigurationError("\(field).name: Required value: key name is required")
                }
                if name.contains(":") {
                    throw EncryptionConfigurationError("\(field).name: Invalid value: \"\(name)\": key name must not contain ':'")
                }
                if keys.contains(where: { $0.name == name }) {
                    throw EncryptionConfigurationError("\(field).name: Duplicate value: \"\(name)\"")
                }
                guard let encoded = key.secret, !encoded.isEmpty else {
                    throw EncryptionConfigurationError("\(field).secret: Required value: secret is required")
                }
                guard let secret = Data(base64Encoded: encoded) else {
                    throw EncryptionConfigurationError("\(field).secret: Invalid value: \"REDACTED\": secrets must be base64 encoded")
                }
                guard EncryptionKey.allowedLengths.contains(secret.count) else {
                    throw EncryptionConfigurationError(
                        "\(field).secret: Invalid value: \"REDACTED\": secret is not of the expected length, got \(secret.count), expected one of [16 24 32]")
                }
                keys.append(EncryptionKey(name: name, secret: secret))
            }
            return keys
        }
    }
}

/// A configuration file that cannot be used, with the reason in Kubernetes' words where it has them.
public struct EncryptionConfigurationError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
