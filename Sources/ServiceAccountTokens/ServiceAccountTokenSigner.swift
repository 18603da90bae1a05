import Crypto
import Foundation

/// Issues and verifies service-account tokens: JWTs signed with ES256 by the server's service-account key, as
/// kube-apiserver signs with `--service-account-signing-key-file` and verifies with `--service-account-key-file`.
public struct ServiceAccountTokenSigner: Sendable {
    /// kube-apiserver's usual `--service-account-issuer`, which is also its default API audience.
    public static let defaultIssuer = "https://kubernetes.default.svc.cluster.local"
    /// Clock skew tolerated on `exp` and `nbf`, go-jose's default leeway that Kubernetes' validator uses.
    static let leeway: TimeInterval = 60

    /// The key as bytes: swift-crypto's key types are not `Sendable`; each use rebuilds one, which is cheap.
    private let privateKeyBytes: Data
    private let publicKeyBytes: Data
    public let issuer: String
    /// `kid`: the unpadded base64url SHA-256 of the public key's DER, as Kubernetes derives key ids.
    public let keyID: String

    public init(key: P256.Signing.PrivateKey, issuer: String = defaultIssuer) {
        self.privateKeyBytes = key.rawRepresentation
        self.publicKeyBytes = key.publicKey.x963Representation
        self.issuer = issuer
        self.keyID = Base64URL.encode(Array(SHA256.hash(data: key.publicKey.derRepresentation)))
    }

    /// A signer with a new key of its own, for servers whose tokens need not outlive the process (tests).
    public init(issuer: String = defaultIssuer) {
        self.init(key: P256.Signing.PrivateKey(), issuer: issuer)
    }

    /// A signer for a PEM ECDSA P-256 private key (PKCS#8 or SEC1).
    public init(privateKeyPEM: String, issuer: String = defaultIssuer) throws(ServiceAccountTokenError) {
        do {
            self.init(key: try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM), issuer: issuer)
        } catch {
            throw .signing("the service-account key is not an ECDSA P-256 private key: \(error)")
        }
    }

    /// The signed token for `claims`, with this signer's issuer.
    public func sign(_ claims: ServiceAccountTokenClaims) throws(ServiceAccountTokenError) -> String {
        var claims = claims
        claims.issuer = issuer
        let header = #"{"alg":"ES256","kid":"\#(keyID)"}"#
        let payload: Data
        do {
            let encoder = JSONEncoder()
            // Sorted as Go encodes the claims; slashes unescaped, as Go writes them.
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            payload = try encoder.encode(claims)
        } catch {
            throw .signing("cannot encode the claims: \(error)")
        }
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload))
        let signature: P256.Signing.ECDSASignature
        do {
            signature = try P256.Signing.PrivateKey(rawRepresentation: privateKeyBytes).signature(for: Array(signingInput.utf8))
        } catch {
            throw .signing("cannot sign: \(error)")
        }
        return signingInput + "." + Base64URL.encode(Array(signature.rawRepresentation))
    }

    /// The claims of a token this signer issued, once its signature, issuer, validity window and audience check out.
    /// `audiences` are those the caller accepts; the token must name at least one.
    public func verify(_ token: String, audiences: [String], now: Date) throws(ServiceAccountTokenError) -> ServiceAccountTokenClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]), let payloadBytes = Base64URL.decode(parts[1]),
            let signatureBytes = Base64URL.decode(parts[2])
        else {
            throw .malformed
        }
        guard let header = try? JSONDecoder().decode(Header.self, from: Data(headerBytes)) else { throw .malformed }
        guard header.alg == "ES256", let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signatureBytes),
            let publicKey = try? P256.Signing.PublicKey(x963Representation: publicKeyBytes),
            publicKey.isValidSignature(signature, for: Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8))
        else {
            throw .badSignature
        }
        guard let claims = try? JSONDecoder().decode(ServiceAccountTokenClaims.self, from: Data(payloadBytes)) else {
            throw .malformed
        }
        guard claims.issuer == issuer else { throw .wrongIssuer(claims.issuer) }
        if now.timeIntervalSince(claims.expiresAt) > Self.leeway { throw .expired }
        if claims.notBefore.timeIntervalSince(now) > Self.leeway { throw .notYetValid }
        guard claims.audiences.contains(where: audiences.contains) else { throw .wrongAudience }
        return claims
    }

    private struct Header: Decodable {
        var alg: String
    }
}

/// Unpadded base64url (RFC 7515 §2), the encoding of every JWT part.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: Substring) -> [UInt8]? {
        guard !text.contains("=") else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map(Array.init)
    }
}
