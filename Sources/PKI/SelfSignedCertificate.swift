import Foundation

/// A certificate to serve with when no configured one applies, as ingress-nginx's "Fake Certificate": issued by a CA
/// made for it alone and then forgotten, so no client trusts it unless told to.
public enum SelfSignedCertificate {
    /// A new key and a certificate chain (leaf, then its CA) for `hostnames`, valid for a year.
    public static func issue(commonName: String, hostnames: [String]) throws -> (certificatePEM: String, keyPEM: String) {
        let now = Date()
        let authority = try CertificateAuthority.create(now: now)
        let credential = try authority.issue(commonName: commonName, organizations: [], purpose: .server(names: ServingNames(only: hostnames)), now: now)
        let chain = [try credential.certificatePEM, try authority.credential.certificatePEM]
        return (chain.map { $0.hasSuffix("\n") ? $0 : $0 + "\n" }.joined(), credential.keyPEM)
    }
}
