import APIMachinery

/// One REST call as a client makes it.
public struct KubeRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var body: JSONValue?
    /// The body's media type; JSON unless a patch says otherwise.
    public var contentType: String

    public init(method: String, path: String, query: [String: String] = [:], body: JSONValue? = nil, contentType: String = "application/json") {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.contentType = contentType
    }
}

/// How requests reach an API server: over HTTPS from another process, or by a direct call inside the server's own.
///
/// Failures are Kubernetes `Status` errors; a transport that cannot reach the server answers 503.
public protocol KubeTransport: Sendable {
    /// Sends a request and returns the decoded JSON answer.
    func perform(_ request: KubeRequest) async throws(APIError) -> JSONValue
    /// Opens a watch: each element is one decoded watch event object (`{"type": ..., "object": ...}`).
    ///
    /// The stream ends when the server closes the watch; the consumer re-lists or resumes from its last resourceVersion.
    func watch(_ request: KubeRequest) async throws(APIError) -> AsyncThrowingStream<JSONValue, any Error>
}
