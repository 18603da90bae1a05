import Foundation

/// The certificate a node agent serves its kubelet endpoint with. The agent holds no CA key, so the certificate is
/// issued by a CA made for it alone (a self-signed chain, as kubelets without serving-certificate rotation use);
/// kube-apiserver does not verify kubelet certificates unless told to, and Skiff's server does not either.
public enum NodeServingCertificate {
    /// A new key and certificate for `nodeName` and `addresses`, valid for a year.
    public static func issue(nodeName: String, addresses: [String]) throws -> (certificateChainPEM: String, keyPEM: String) {
        let now = Date()
        let authority = try CertificateAuthority.create(now: now)
        let names = try ServingNames(hostName: nodeName, extraHostnames: [], extraIPAddresses: addresses)
        let credential = try authority.issue(commonName: nodeName, organizations: ["system:nodes"], purpose: .server(names: names), now: now)
        let chain = [try credential.certificatePEM, try authority.credential.certificatePEM]
        return (chain.map { $0.hasSuffix("\n") ? $0 : $0 + "\n" }.joined(), credential.keyPEM)
    }
}
