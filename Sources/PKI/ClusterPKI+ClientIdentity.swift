import Foundation
import SwiftASN1
import X509

extension ClusterPKI {
    /// The user (CN) and groups (O) of a client certificate, as Kubernetes' x509 authenticator maps them, when this
    /// CA signed it, it is currently valid, it may be used for client authentication and its CN is not empty.
    public func clientIdentity(certificateDER: [UInt8]) -> (user: String, groups: [String])? {
        clientIdentity(certificateDER: certificateDER, at: Date())
    }

    func clientIdentity(certificateDER: [UInt8], at now: Date) -> (user: String, groups: [String])? {
        guard let certificate = try? Certificate(derEncoded: certificateDER),
            authority.signed(certificate),
            certificate.notValidBefore <= now, now <= certificate.notValidAfter,
            Self.allowsClientAuthentication(certificate)
        else { return nil }
        return Self.subjectIdentity(of: certificate)
    }

    /// The user (CN) and groups (O) a certificate names, unchecked: for a peer whose chain TLS has already verified
    /// against the cluster CA.
    public static func subjectIdentity(certificateDER: [UInt8]) -> (user: String, groups: [String])? {
        guard let certificate = try? Certificate(derEncoded: certificateDER) else { return nil }
        return subjectIdentity(of: certificate)
    }

    private static func subjectIdentity(of certificate: Certificate) -> (user: String, groups: [String])? {
        var user: String?
        var groups: [String] = []
        for attribute in certificate.subject.flatMap({ $0 }) {
            guard let value = String(attribute.value) else { continue }
            switch attribute.type {
            case .RDNAttributeType.commonName where user == nil: user = value
            case .RDNAttributeType.organizationName: groups.append(value)
            default: continue
            }
        }
        guard let user, !user.isEmpty else { return nil }
        return (user, groups)
    }

    /// Go's chain verification with `ExtKeyUsageClientAuth`: a certificate without the extension may be used for
    /// anything; with it, it must list clientAuth or anyExtendedKeyUsage. A CA certificate is never a client.
    private static func allowsClientAuthentication(_ certificate: Certificate) -> Bool {
        if case .isCertificateAuthority = try? certificate.extensions.basicConstraints { return false }
        guard let usages = try? certificate.extensions.extendedKeyUsage else {
            return certificate.extensions[oid: .X509ExtensionID.extendedKeyUsage] == nil
        }
        return usages.contains(.clientAuth) || usages.contains(.any)
    }
}
