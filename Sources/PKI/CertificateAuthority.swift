import Crypto
import Foundation
import SwiftASN1
import X509

/// The cluster CA: issues the serving and client certificates and recognises the ones it issued.
struct CertificateAuthority: Sendable {
    let credential: Credential

    /// How long certificates live, as k3s sets them.
    enum Lifetime {
        static let authority: TimeInterval = 10 * 365 * 24 * 3600
        static let leaf: TimeInterval = 365 * 24 * 3600
        /// notBefore lies this far in the past so a peer whose clock runs behind still accepts a fresh certificate.
        static let clockSkewAllowance: TimeInterval = 3600
        /// k3s renews leaf certificates at start-up when they expire within 90 days.
        static let renewalWindow: TimeInterval = 90 * 24 * 3600
    }

    /// What a leaf certificate is for.
    enum Purpose {
        case server(names: ServingNames)
        case client
    }

    init(credential: Credential) {
        self.credential = credential
    }

    /// A new self-signed CA named like k3s' (`<product>-server-ca@<unix seconds>`), so a re-created CA is distinguishable.
    static func create(now: Date) throws -> CertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let name = DistinguishedName([
            RelativeDistinguishedName(
                .init(type: .RDNAttributeType.commonName, utf8String: "skiff-server-ca@\(Int(now.timeIntervalSince1970))"))
        ])
        let certificate = try sign {
            try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now - Lifetime.clockSkewAllowance,
                notValidAfter: now + Lifetime.authority,
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: publicKey)
                },
                issuerPrivateKey: Certificate.PrivateKey(key))
        }
        return CertificateAuthority(credential: Credential(certificate: certificate, key: key))
    }

    /// A new key and a certificate for it with subject `O=<organizations>, CN=<commonName>` (Go's attribute order).
    func issue(commonName: String, organizations: [String], purpose: Purpose, now: Date) throws -> Credential {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let authorityCertificate = credential.certificate
        let authorityKeyIdentifier = try? authorityCertificate.extensions.subjectKeyIdentifier
        let subject = DistinguishedName(
            organizations.map { RelativeDistinguishedName(.init(type: .RDNAttributeType.organizationName, utf8String: $0)) }
                + [RelativeDistinguishedName(.init(type: .RDNAttributeType.commonName, utf8String: commonName))])
        let certificate = try Self.sign {
            try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now - Lifetime.clockSkewAllowance,
                notValidAfter: now + Lifetime.leaf,
                issuer: authorityCertificate.subject,
                subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    // ECDSA keys only sign during the handshake; key encipherment is an RSA key-transport usage.
                    Critical(KeyUsage(digitalSignature: true))
                    switch purpose {
                    case .server(let names):
                        try ExtendedKeyUsage([.serverAuth])
                        SubjectAlternativeNames(names.generalNames)
                    case .client:
                        try ExtendedKeyUsage([.clientAuth])
                    }
                    SubjectKeyIdentifier(hash: publicKey)
                    if let authorityKeyIdentifier {
                        AuthorityKeyIdentifier(keyIdentifier: authorityKeyIdentifier.keyIdentifier)
                    }
                },
                issuerPrivateKey: credential.key)
        }
        return Credential(certificate: certificate, key: key)
    }

    /// Whether this CA signed `certificate` (name chaining plus a valid signature by the CA key).
    func signed(_ certificate: Certificate) -> Bool {
        certificate.issuer == credential.certificate.subject
            && credential.certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    /// Wraps swift-certificates' errors so callers see one error type.
    private static func sign(_ body: () throws -> Certificate) throws -> Certificate {
        do {
            return try body()
        } catch {
            throw PKIError.signingFailed(reason: "\(error)")
        }
    }
}
