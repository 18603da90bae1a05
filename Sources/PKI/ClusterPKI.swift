import Crypto
import Foundation
import X509

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The cluster's CA with the API server's serving certificate and the admin client certificate, kept as
/// `ca.{crt,key}`, `serving.{crt,key}` and `admin.{crt,key}` in one directory as k3s keeps its `server/tls`, beside
/// `service.key`, the key that signs service-account tokens.
public struct ClusterPKI: Sendable {
    public private(set) var caCertificatePEM: String
    /// Valid for localhost, 127.0.0.1, ::1, the `kubernetes` service names, the host name and the extra names.
    public private(set) var servingCertificatePEM: String
    public private(set) var servingKeyPEM: String
    /// Subject `O=system:masters, CN=system:admin`, the group Kubernetes' default RBAC binds to cluster-admin.
    public private(set) var adminCertificatePEM: String
    public private(set) var adminKeyPEM: String
    /// The ECDSA P-256 key that signs and verifies service-account tokens, as kube-apiserver's
    /// `--service-account-key-file`. Created once: a new key would invalidate every token already handed out.
    public private(set) var serviceAccountKeyPEM: String

    let authority: CertificateAuthority

    static let servingCommonName = "skiff"
    static let servingOrganizations = ["skiff"]
    static let adminCommonName = "system:admin"
    static let adminOrganizations = ["system:masters"]

    /// Loads `<directory>/{ca,serving,admin}.{crt,key}`, creating what is missing. The CA is only ever created when
    /// `ca.crt` is absent; a leaf is re-issued when missing, unreadable, not from this CA, within 90 days of expiry
    /// or (serving) not valid for every requested name. Keys are ECDSA P-256 in files of mode 0600.
    ///
    /// Throws `PKIError`. An entry of `extraHostnames` that is an IP address is used as one.
    public static func loadOrCreate(directory: String, extraHostnames: [String], extraIPAddresses: [String]) throws -> ClusterPKI {
        try loadOrCreate(
            directory: directory, extraHostnames: extraHostnames, extraIPAddresses: extraIPAddresses,
            hostName: currentHostName(), now: Date())
    }

    static func loadOrCreate(
        directory: String, extraHostnames: [String], extraIPAddresses: [String], hostName: String?, now: Date
    ) throws -> ClusterPKI {
        let names = try ServingNames(hostName: hostName, extraHostnames: extraHostnames, extraIPAddresses: extraIPAddresses)
        try SecureFile.createDirectory(directory, mode: 0o700)
        let files = CredentialFiles(directory: directory)

        let authority = try loadOrCreateAuthority(files: files.authority, now: now)
        let serving = try loadOrIssue(files: files.serving, authority: authority, now: now) { certificate in
            names.areCovered(by: certificate)
        } issue: {
            try authority.issue(
                commonName: servingCommonName, organizations: servingOrganizations, purpose: .server(names: names), now: now)
        }
        let admin = try loadOrIssue(files: files.admin, authority: authority, now: now) { _ in
            true
        } issue: {
            try authority.issue(commonName: adminCommonName, organizations: adminOrganizations, purpose: .client, now: now)
        }
        return ClusterPKI(
            caCertificatePEM: try authority.credential.certificatePEM,
            servingCertificatePEM: try serving.certificatePEM, servingKeyPEM: serving.keyPEM,
            adminCertificatePEM: try admin.certificatePEM, adminKeyPEM: admin.keyPEM,
            serviceAccountKeyPEM: try loadOrCreateServiceAccountKey(path: files.serviceAccountKey),
            authority: authority)
    }

    /// A new key and a client certificate from the cluster CA, e.g. for a node agent (`CN=system:node:<name>`,
    /// `O=system:nodes`). Valid for one year.
    public func issueClientCertificate(commonName: String, organizations: [String]) throws -> (certificatePEM: String, keyPEM: String) {
        let credential = try authority.issue(commonName: commonName, organizations: organizations, purpose: .client, now: Date())
        return (try credential.certificatePEM, credential.keyPEM)
    }

    /// The paths of one certificate and its key.
    struct FilePair {
        let certificate: String
        let key: String
    }

    struct CredentialFiles {
        let authority: FilePair
        let serving: FilePair
        let admin: FilePair
        let serviceAccountKey: String

        init(directory: String) {
            func pair(_ name: String) -> FilePair {
                FilePair(certificate: "\(directory)/\(name).crt", key: "\(directory)/\(name).key")
            }
            authority = pair("ca")
            serving = pair("serving")
            admin = pair("admin")
            serviceAccountKey = "\(directory)/service.key"
        }
    }

    private static func loadOrCreateAuthority(files: FilePair, now: Date) throws -> CertificateAuthority {
        guard let certificatePEM = try SecureFile.read(files.certificate) else {
            let authority = try CertificateAuthority.create(now: now)
            try store(authority.credential, in: files)
            return authority
        }
        guard let keyPEM = try SecureFile.read(files.key) else {
            throw PKIError.authorityKeyMissing(path: files.key)
        }
        let credential = try Credential(
            certificatePEM: certificatePEM, keyPEM: keyPEM, certificatePath: files.certificate, keyPath: files.key)
        guard credential.keyMatchesCertificate else {
            throw PKIError.authorityKeyMismatch(path: files.key)
        }
        return CertificateAuthority(credential: credential)
    }

    /// An unreadable key is reported, not replaced: replacing it would log every pod out of the API.
    private static func loadOrCreateServiceAccountKey(path: String) throws -> String {
        if let keyPEM = try SecureFile.read(path) {
            do {
                _ = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
            } catch {
                throw PKIError.unreadableFile(path: path, reason: "not an ECDSA P-256 private key: \(error)")
            }
            return keyPEM
        }
        let keyPEM = P256.Signing.PrivateKey().pemRepresentation
        try SecureFile.writeAtomically(keyPEM, to: path, mode: 0o600)
        return keyPEM
    }

    /// Leaf credentials can always be re-issued, so any file that cannot be used is replaced rather than reported.
    private static func loadOrIssue(
        files: FilePair, authority: CertificateAuthority, now: Date,
        isSufficient: (Certificate) -> Bool, issue: () throws -> Credential
    ) throws -> Credential {
        if let certificatePEM = try? SecureFile.read(files.certificate), let keyPEM = try? SecureFile.read(files.key),
            let credential = try? Credential(
                certificatePEM: certificatePEM, keyPEM: keyPEM, certificatePath: files.certificate, keyPath: files.key),
            credential.keyMatchesCertificate,
            authority.signed(credential.certificate),
            credential.certificate.notValidBefore <= now,
            credential.certificate.notValidAfter > now + CertificateAuthority.Lifetime.renewalWindow,
            isSufficient(credential.certificate)
        {
            return credential
        }
        let credential = try issue()
        try store(credential, in: files)
        return credential
    }

    /// The key goes first: a crash in between leaves a certificate that does not match, which the next start replaces.
    private static func store(_ credential: Credential, in files: FilePair) throws {
        try SecureFile.writeAtomically(credential.keyPEM, to: files.key, mode: 0o600)
        try SecureFile.writeAtomically(try credential.certificatePEM, to: files.certificate, mode: 0o644)
    }

    /// The lowercased host name, which k3s also puts in its serving certificate and uses as the node name.
    static func currentHostName() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let name = String(decoding: bytes, as: UTF8.self).lowercased()
        return name.isEmpty ? nil : name
    }
}
