/// Where an `HTTPTransport` connects and how it proves who it is.
public struct HTTPTransportConfiguration: Sendable {
    /// The API server's base URL, e.g. `https://127.0.0.1:6443`.
    public var serverURL: String
    /// The CA the server's certificate must chain to (PEM); nil trusts the system's roots. The host name is checked too.
    public var certificateAuthorityPEM: String?
    /// Accepts any server certificate. Only for fetching `/cacerts` before the CA is known, whose answer the caller
    /// must check against a pinned hash (as a join token carries).
    public var insecureSkipTLSVerify: Bool
    /// A client certificate and its key (PEM) for x509 authentication; both or neither.
    public var clientCertificatePEM: String?
    public var clientKeyPEM: String?
    /// Sent as `Authorization: Bearer <token>`.
    public var bearerToken: String?
    /// Sent as `User-Agent`.
    public var userAgent: String
    /// HTTP/1.1 connections kept open to the server. Every open watch holds one; other requests share the rest
    /// and queue when all are busy, so one process can serve thousands of simulated nodes over a few dozen.
    public var maximumConnections: Int
    /// How long a request may wait for the server's answer to begin (connecting included).
    public var requestTimeout: Duration
    /// How long a new connection may take, refused attempts retried meanwhile (the server may be restarting).
    public var connectTimeout: Duration
    /// The largest non-watch answer read; lists are paged, so this only bounds a misbehaving server.
    public var maximumResponseBytes: Int
    /// The longest watch event line; a longer one ends the watch with an error.
    public var maximumWatchEventBytes: Int
    /// Decoded watch events held for a consumer that has not caught up; past this the watch ends with 410 Expired
    /// and the consumer re-lists, as Kubernetes does with a slow watcher.
    public var watchBufferLimit: Int

    public init(
        serverURL: String, certificateAuthorityPEM: String? = nil, insecureSkipTLSVerify: Bool = false,
        clientCertificatePEM: String? = nil, clientKeyPEM: String? = nil, bearerToken: String? = nil, userAgent: String = "skiff",
        maximumConnections: Int = 64, requestTimeout: Duration = .seconds(60), connectTimeout: Duration = .seconds(10),
        maximumResponseBytes: Int = 256 * 1024 * 1024, maximumWatchEventBytes: Int = 16 * 1024 * 1024, watchBufferLimit: Int = 10_000
    ) {
        self.serverURL = serverURL
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.bearerToken = bearerToken
        self.userAgent = userAgent
        self.maximumConnections = maximumConnections
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.maximumResponseBytes = maximumResponseBytes
        self.maximumWatchEventBytes = maximumWatchEventBytes
        self.watchBufferLimit = watchBufferLimit
    }
}

extension HTTPTransportConfiguration: CustomStringConvertible {
    /// Never prints the key or the token: configurations end up in logs.
    public var description: String { "HTTPTransportConfiguration(\(serverURL))" }
}
