import APIMachinery

/// What a handler answers; the HTTP edge writes it.
public enum APIResponse: Sendable {
    /// A JSON body with a status code and extra headers (e.g. `Warning`).
    case json(code: Int, body: JSONValue, headers: [String: String])
    /// Pre-encoded bytes with their content type.
    case bytes(code: Int, body: [UInt8], contentType: String)
    /// A long-lived stream of watch events; the HTTP edge writes them as newline-separated JSON, an in-process
    /// client takes the objects as they are.
    case stream(contentType: String, events: AsyncStream<JSONValue>)
    /// A long-lived stream of bytes (a followed container log).
    case byteStream(contentType: String, chunks: AsyncStream<[UInt8]>)

    /// The status code written (200 for streams).
    public var code: Int {
        switch self {
        case .json(let code, _, _), .bytes(let code, _, _): code
        case .stream, .byteStream: 200
        }
    }

    public static func ok(_ body: JSONValue) -> APIResponse { .json(code: 200, body: body, headers: [:]) }
    public static func created(_ body: JSONValue) -> APIResponse { .json(code: 201, body: body, headers: [:]) }

    /// The error's `Status`; a suggested retry delay also goes in `Retry-After`, which client-go waits and retries on.
    public static func error(_ error: APIError) -> APIResponse {
        guard let delay = error.retryAfterSeconds, delay > 0 else { return .json(code: error.code, body: error.status, headers: [:]) }
        return .json(code: error.code, body: error.status, headers: ["retry-after": String(delay)])
    }

    public static func text(_ text: String, code: Int = 200) -> APIResponse {
        .bytes(code: code, body: Array(text.utf8), contentType: "text/plain; charset=utf-8")
    }
}
