import APIMachinery
import AsyncHTTPClient
import Foundation
import KubeClient
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// The transport of processes other than the server (agents, tools): Kubernetes REST calls over HTTPS with
/// AsyncHTTPClient, JSON bodies, and watches read as newline-delimited event streams.
///
/// One instance holds one connection pool; share it between clients and call `shutdown()` before it goes away.
public final class HTTPTransport: KubeTransport {
    public let configuration: HTTPTransportConfiguration
    private let client: HTTPClient
    /// The server URL without a trailing slash; request paths start with one.
    private let baseURL: String
    /// Given to AsyncHTTPClient for its own messages.
    private let logger: Logger

    /// Throws `TransportSetupError` when the URL or a certificate or key is unusable.
    public init(configuration: HTTPTransportConfiguration, logger: Logger) throws(TransportSetupError) {
        self.configuration = configuration
        // AsyncHTTPClient logs every connection and request at debug level, which drowns the caller's own debug logs.
        var clientLogger = logger
        clientLogger.logLevel = max(logger.logLevel, .info)
        self.logger = clientLogger
        self.baseURL = try Self.validatedBaseURL(configuration.serverURL)
        self.client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: try Self.clientConfiguration(configuration),
            backgroundActivityLogger: clientLogger)
    }

    /// A transport for the cluster, user and server that a kubeconfig's current context names (the admin
    /// kubeconfig `skiff server` writes, for instance). Throws `TransportSetupError`.
    public convenience init(kubeconfig path: String, logger: Logger) throws(TransportSetupError) {
        try self.init(configuration: HTTPTransportConfiguration(kubeconfig: path), logger: logger)
    }

    /// Closes every connection; requests made afterwards fail. Call it once, when no request is running.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    public func perform(_ request: KubeRequest) async throws(APIError) -> JSONValue {
        let body = try await performForBytes(request).readableBytesView
        // An empty answer (some DELETEs) is no error.
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) { return .null }
        do {
            return try JSONValue.parse(body)
        } catch {
            throw APIError.internalError("\(request.method) \(request.path) answered with undecodable JSON: \(error)")
        }
    }

    /// The cluster's CA certificates (PEM) from `/cacerts`, which the server answers without authentication as
    /// k3s does, so that an agent can pin them to the hash in its join token before trusting them.
    public func caCertificates() async throws(APIError) -> String {
        String(buffer: try await performForBytes(KubeRequest(method: "GET", path: "/cacerts")))
    }

    /// The body of a successful answer, whatever its media type.
    private func performForBytes(_ request: KubeRequest) async throws(APIError) -> ByteBuffer {
        let response = try await execute(request)
        let body = try await collect(response, path: request.path)
        guard (200..<300).contains(response.status.code) else {
            throw Self.failure(code: Int(response.status.code), body: body)
        }
        return body
    }

    public func watch(_ request: KubeRequest) async throws(APIError) -> AsyncThrowingStream<JSONValue, any Error> {
        let response = try await execute(request)
        guard (200..<300).contains(response.status.code) else {
            let body = try await collect(response, path: request.path)
            throw Self.failure(code: Int(response.status.code), body: body)
        }
        let limit = configuration.watchBufferLimit
        let (events, continuation) = AsyncThrowingStream<JSONValue, any Error>.makeStream(bufferingPolicy: .bufferingOldest(limit))
        let body = response.body
        let path = request.path
        let baseURL = self.baseURL
        let maximumLineBytes = configuration.maximumWatchEventBytes
        // Owned by the consumer's stream: its termination (finished, dropped or cancelled) cancels the pump, and
        // dropping the body iterator cancels the HTTP request, which closes the connection.
        let pump = Task {
            var splitter = WatchLineSplitter(maximumLineBytes: maximumLineBytes)
            do {
                for try await chunk in body {
                    for line in try splitter.append(chunk.readableBytesView) {
                        guard try Self.deliver(line, to: continuation, limit: limit) else { return }
                    }
                }
                if let last = splitter.finish() {
                    _ = try Self.deliver(last, to: continuation, limit: limit)
                }
                continuation.finish()
            } catch let error as APIError {
                continuation.finish(throwing: error)
            } catch let error as WatchLineSplitter.LineTooLong {
                continuation.finish(throwing: APIError.internalError("watch of \(path) sent an event longer than \(error.limit) bytes"))
            } catch {
                continuation.finish(throwing: Self.unreachable(baseURL, error))
            }
        }
        continuation.onTermination = { _ in pump.cancel() }
        return events
    }

    /// Decodes and hands on one event line; false when the consumer has gone away.
    private static func deliver(
        _ line: [UInt8], to continuation: AsyncThrowingStream<JSONValue, any Error>.Continuation, limit: Int
    ) throws(APIError) -> Bool {
        let event: JSONValue
        do {
            event = try JSONValue.parse(line)
        } catch {
            throw APIError.internalError("undecodable watch event: \(error)")
        }
        switch continuation.yield(event) {
        case .enqueued:
            return true
        case .dropped:
            throw APIError.expired("the watch consumer fell more than \(limit) events behind; re-list")
        case .terminated:
            return false
        @unknown default:
            return false
        }
    }

    private func execute(_ request: KubeRequest) async throws(APIError) -> HTTPClientResponse {
        var outgoing = HTTPClientRequest(url: baseURL + Self.encodedPath(request.path) + Self.encodedQuery(request.query))
        outgoing.method = HTTPMethod(rawValue: request.method)
        outgoing.headers.add(name: "Accept", value: "application/json")
        outgoing.headers.add(name: "User-Agent", value: configuration.userAgent)
        if let token = configuration.bearerToken {
            outgoing.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        if let body = request.body {
            outgoing.headers.add(name: "Content-Type", value: request.contentType)
            outgoing.body = .bytes(body.serialized())
        }
        do {
            // The deadline covers the answer's head only: a watch's body may then stream for as long as it lasts.
            return try await client.execute(outgoing, timeout: TimeAmount(configuration.requestTimeout), logger: logger)
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw APIError(
                code: 504, reason: "Timeout",
                message: "the API server at \(baseURL) did not answer \(request.method) \(request.path) within \(configuration.requestTimeout)")
        } catch {
            throw Self.unreachable(baseURL, error)
        }
    }

    private func collect(_ response: HTTPClientResponse, path: String) async throws(APIError) -> ByteBuffer {
        do {
            return try await response.body.collect(upTo: configuration.maximumResponseBytes)
        } catch is NIOTooManyBytesError {
            throw APIError.internalError("the answer to \(path) is larger than \(configuration.maximumResponseBytes) bytes")
        } catch {
            throw Self.unreachable(baseURL, error)
        }
    }

    /// A non-2xx answer: the server's `Status` when it sent one, else its text as the message.
    static func failure(code: Int, body: ByteBuffer) -> APIError {
        if let status = try? JSONValue.parse(body.readableBytesView), status["kind"]?.stringValue == "Status" {
            return APIError(status: status, fallbackCode: code)
        }
        let text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
        return APIError(code: code, reason: "", message: text.isEmpty ? "the server answered \(code)" : text)
    }

    /// A connection, TLS or protocol failure: the server could not be reached, which clients treat as 503.
    static func unreachable(_ baseURL: String, _ error: any Error) -> APIError {
        if error is CancellationError || (error as? HTTPClientError) == .cancelled {
            return APIError.serviceUnavailable("the request to \(baseURL) was cancelled")
        }
        if error is NIOSSLError {
            return APIError.serviceUnavailable(
                "TLS with the API server at \(baseURL) failed (is its certificate from the trusted CA and for this host?): \(error)")
        }
        return APIError.serviceUnavailable("cannot reach the API server at \(baseURL): \(error)")
    }

    /// Characters a path segment or query component keeps as they are (RFC 3986 unreserved).
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encodedPath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.addingPercentEncoding(withAllowedCharacters: unreserved) ?? String($0) }
            .joined(separator: "/")
    }

    /// `?key=value&...` in key order, every component percent-encoded (selectors carry `=`, `!` and `,`).
    static func encodedQuery(_ query: [String: String]) -> String {
        guard !query.isEmpty else { return "" }
        let encode = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text }
        return "?" + query.sorted { $0.key < $1.key }.map { "\(encode($0.key))=\(encode($0.value))" }.joined(separator: "&")
    }

    private static func validatedBaseURL(_ text: String) throws(TransportSetupError) -> String {
        var trimmed = text
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = url.host, !host.isEmpty
        else { throw TransportSetupError.invalidServerURL(text) }
        return trimmed
    }

    private static func clientConfiguration(_ configuration: HTTPTransportConfiguration) throws(TransportSetupError) -> HTTPClient.Configuration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.applicationProtocols = ["http/1.1"]
        // Closing a watch sends close_notify; a server that allows half-closure (Hummingbird does) answers it only when
        // the watch's response ends, so waiting the default 5 s for that answer would only delay every cancelled watch.
        tls.shutdownTimeout = .milliseconds(500)
        if configuration.insecureSkipTLSVerify {
            tls.certificateVerification = .none
        } else if let authority = configuration.certificateAuthorityPEM {
            tls.trustRoots = .certificates(try certificates(authority, what: "certificate authority"))
        }
        switch (configuration.clientCertificatePEM, configuration.clientKeyPEM) {
        case (let certificate?, let key?):
            tls.certificateChain = try certificates(certificate, what: "client certificate").map { .certificate($0) }
            do {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
            } catch {
                throw TransportSetupError.invalidCredential(what: "client key", reason: "\(error)")
            }
        case (nil, nil):
            break
        default:
            throw TransportSetupError.invalidCredential(what: "client certificate", reason: "a client certificate needs its key and a key its certificate")
        }
        var client = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: TimeAmount(configuration.connectTimeout)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, configuration.maximumConnections)),
            decompression: .disabled)
        // The API server speaks HTTP/1.1 only; offering h2 would only cost a negotiation.
        client.httpVersion = .http1Only
        return client
    }

    private static func certificates(_ pem: String, what: String) throws(TransportSetupError) -> [NIOSSLCertificate] {
        let parsed: [NIOSSLCertificate]
        do {
            parsed = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))
        } catch {
            throw TransportSetupError.invalidCredential(what: what, reason: "\(error)")
        }
        guard !parsed.isEmpty else { throw TransportSetupError.invalidCredential(what: what, reason: "no PEM certificate found") }
        return parsed
    }
}

extension HTTPTransport: CustomStringConvertible {
    public var description: String { "HTTPTransport(\(baseURL))" }
}
