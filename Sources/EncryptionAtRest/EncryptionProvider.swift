import Crypto
import Foundation
import _CryptoExtras

/// A named AES key from the configuration.
public struct EncryptionKey: Sendable, Equatable {
    public var name: String
    public var secret: Data

    /// AES-128, -192 and -256, the lengths Kubernetes accepts for aesgcm and aescbc.
    public static let allowedLengths: Set<Int> = [16, 24, 32]

    public init(name: String, secret: Data) {
        self.name = name
        self.secret = secret
    }
}

/// One provider of a rule, with Kubernetes' storage formats, so a store written by kube-apiserver reads here:
/// - aesgcm: `k8s:enc:aesgcm:v1:<key>:` + 12-byte nonce + ciphertext + 16-byte tag, the storage key authenticated;
/// - aescbc: `k8s:enc:aescbc:v1:<key>:` + 16-byte IV + PKCS#7-padded ciphertext;
/// - identity: the plain bytes, with no prefix.
public enum EncryptionProvider: Sendable, Equatable {
    case aesgcm([EncryptionKey])
    case aescbc([EncryptionKey])
    case identity

    /// The name the configuration file gives the provider.
    public var typeName: String {
        switch self {
        case .aesgcm: "aesgcm"
        case .aescbc: "aescbc"
        case .identity: "identity"
        }
    }

    /// As `skiff secrets-encrypt status` shows it (k3s' "Active Key Type").
    public var displayName: String {
        switch self {
        case .aesgcm: "AES-GCM"
        case .aescbc: "AES-CBC"
        case .identity: "none (identity)"
        }
    }

    public var keys: [EncryptionKey] {
        switch self {
        case .aesgcm(let keys), .aescbc(let keys): keys
        case .identity: []
        }
    }

    /// Every stored value that is not plain text starts with this.
    public static let encryptedPrefix = Array("k8s:enc:".utf8)

    func prefix(of key: EncryptionKey) -> [UInt8] { Array("k8s:enc:\(typeName):v1:\(key.name):".utf8) }

    /// The stored form of `value` under this provider's first key.
    func seal(_ value: [UInt8], storageKey: String) throws -> [UInt8] {
        switch self {
        case .identity:
            return value
        case .aesgcm(let keys):
            guard let key = keys.first else { throw ValueTransformError.noKey(typeName) }
            let box = try AES.GCM.seal(value, using: SymmetricKey(data: key.secret), nonce: AES.GCM.Nonce(), authenticating: Array(storageKey.utf8))
            guard let combined = box.combined else { throw ValueTransformError.noKey(typeName) }
            return prefix(of: key) + Array(combined)
        case .aescbc(let keys):
            guard let key = keys.first else { throw ValueTransformError.noKey(typeName) }
            let iv = AES._CBC.IV()
            let ciphertext = try AES._CBC.encrypt(value, using: SymmetricKey(data: key.secret), iv: iv)
            return prefix(of: key) + withUnsafeBytes(of: iv) { Array($0) } + Array(ciphertext)
        }
    }

    /// The key whose prefix `stored` carries, if it is one of this provider's.
    func key(sealing stored: [UInt8]) -> EncryptionKey? {
        keys.first { stored.starts(with: prefix(of: $0)) }
    }

    /// The plain value of a stored value sealed with `key` (one of this provider's).
    func open(_ stored: [UInt8], with key: EncryptionKey, storageKey: String) throws -> [UInt8] {
        let sealed = stored.dropFirst(prefix(of: key).count)
        switch self {
        case .identity:
            return stored
        case .aesgcm:
            let box = try AES.GCM.SealedBox(combined: sealed)
            return Array(try AES.GCM.open(box, using: SymmetricKey(data: key.secret), authenticating: Array(storageKey.utf8)))
        case .aescbc:
            guard sealed.count > 16 else { throw ValueTransformError.truncated(storageKey) }
            let iv = try AES._CBC.IV(ivBytes: sealed.prefix(16))
            return Array(try AES._CBC.decrypt(sealed.dropFirst(16), using: SymmetricKey(data: key.secret), iv: iv))
        }
    }
}

/// Why a value could not be sealed or opened.
enum ValueTransformError: Error, CustomStringConvertible {
    case noKey(String)
    case truncated(String)

    var description: String {
        switch self {
        case .noKey(let provider): "the \(provider) provider has no key"
        case .truncated(let key): "the stored value of \(key) is too short to be encrypted data"
        }
    }
}
