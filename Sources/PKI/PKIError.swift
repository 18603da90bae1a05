/// Why the cluster's certificates or kubeconfig could not be loaded, created or written.
public enum PKIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file could not be read, written or its directory created.
    case fileSystem(path: String, reason: String)
    /// A certificate or key file exists but does not hold a usable PEM document.
    case unreadableFile(path: String, reason: String)
    /// `ca.crt` exists without `ca.key`: the CA cannot sign, and replacing it would break every issued credential.
    case authorityKeyMissing(path: String)
    /// `ca.key` does not belong to `ca.crt`.
    case authorityKeyMismatch(path: String)
    /// A requested IP subject alternative name is not an IPv4 or IPv6 address.
    case invalidIPAddress(String)
    /// Signing or encoding a certificate failed.
    case signingFailed(reason: String)
    /// A join token is not in k3s' `K10<hash>::<user>:<secret>` form nor a bare secret.
    case invalidToken(reason: String)
    /// The server's token file exists but does not hold a token.
    case unreadableToken(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileSystem(let path, let reason):
            "\(path): \(reason)"
        case .unreadableFile(let path, let reason):
            "\(path): not a valid PEM file: \(reason)"
        case .authorityKeyMissing(let path):
            "\(path) is missing but the CA certificate exists; restore it or remove the whole TLS directory to start a new CA"
        case .authorityKeyMismatch(let path):
            "\(path) does not match the CA certificate; restore it or remove the whole TLS directory to start a new CA"
        case .invalidIPAddress(let address):
            "\(address) is not a valid IP address"
        case .signingFailed(let reason):
            "cannot issue certificate: \(reason)"
        case .invalidToken(let reason):
            "invalid token: \(reason)"
        case .unreadableToken(let path, let reason):
            "\(path): \(reason); remove the file to create a new token"
        }
    }
}
