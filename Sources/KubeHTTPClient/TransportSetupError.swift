/// Why an `HTTPTransport` could not be set up. Failures of requests themselves are `APIError`s.
public enum TransportSetupError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidServerURL(String)
    /// A CA or client certificate, or a client key, is not usable PEM.
    case invalidCredential(what: String, reason: String)
    /// A kubeconfig could not be read or lacks what the transport needs.
    case kubeconfig(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidServerURL(let url):
            "\(url) is not an https:// or http:// server URL"
        case .invalidCredential(let what, let reason):
            "invalid \(what): \(reason)"
        case .kubeconfig(let path, let reason):
            "kubeconfig \(path): \(reason)"
        }
    }
}
