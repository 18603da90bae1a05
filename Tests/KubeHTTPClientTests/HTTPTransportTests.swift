import APIMachinery
import Foundation
import Hummingbird
import KubeClient
import Logging
import Testing

@testable import KubeHTTPClient

@Suite("HTTP transport")
struct HTTPTransportTests {
    private let logger = Logger(label: "http-transport-tests")

    /// Runs `body` with a transport to `url` and always shuts the transport down (AsyncHTTPClient insists).
    private func withTransport(
        _ url: String, configure: (inout HTTPTransportConfiguration) -> Void = { _ in },
        _ body: (HTTPTransport) async throws -> Void
    ) async throws {
        var configuration = HTTPTransportConfiguration(serverURL: url, bearerToken: "t0ken")
        configure(&configuration)
        let transport = try HTTPTransport(configuration: configuration, logger: logger)
        do {
            try await body(transport)
        } catch {
            try await transport.shutdown()
            throw error
        }
        try await transport.shutdown()
    }

    private static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.serialized())))
    }

    @Test func queryIsSortedAndEveryComponentEncoded() {
        #expect(HTTPTransport.encodedQuery([:]) == "")
        #expect(
            HTTPTransport.encodedQuery(["watch": "true", "fieldSelector": "spec.nodeName!=", "labelSelector": "a in (x,y)"])
                == "?fieldSelector=spec.nodeName%21%3D&labelSelector=a%20in%20%28x%2Cy%29&watch=true")
        #expect(HTTPTransport.encodedPath("/api/v1/nodes/a b") == "/api/v1/nodes/a%20b")
    }

    @Test func nonStatusErrorBodiesBecomeTheMessage() {
        let error = HTTPTransport.failure(code: 502, body: ByteBuffer(string: "bad gateway\n"))
        #expect(error.code == 502)
        #expect(error.message == "bad gateway")
    }

    @Test func sendsJSONAndTheTokenAndDecodesTheAnswer() async throws {
        try await TestServer.run { request in
            var request = request
            let body = (try? await request.collectBody(upTo: 1 << 20)) ?? ByteBuffer()
            return Self.json([
                "method": .string(request.method.rawValue), "path": .string(request.uri.path), "query": .string(request.uri.query ?? ""),
                "authorization": .string(request.headers[.authorization] ?? ""), "contentType": .string(request.headers[.contentType] ?? ""),
                "body": .string(String(buffer: body)),
            ])
        } body: { url in
            try await withTransport(url) { transport in
                let answer = try await transport.perform(
                    KubeRequest(method: "PATCH", path: "/api/v1/nodes/n1", query: ["fieldManager": "m"], body: ["a": 1], contentType: "application/merge-patch+json"))
                #expect(answer["method"] == "PATCH")
                #expect(answer["path"] == "/api/v1/nodes/n1")
                #expect(answer["query"] == "fieldManager=m")
                #expect(answer["authorization"] == "Bearer t0ken")
                #expect(answer["contentType"] == "application/merge-patch+json")
                #expect(answer["body"] == "{\"a\":1}")
            }
        }
    }

    @Test func statusAnswersBecomeTheServersError() async throws {
        let notFound = APIError.notFound(GroupResource(group: "", resource: "nodes"), name: "ghost")
        try await TestServer.run { _ in
            Self.json(notFound.status, status: .notFound)
        } body: { url in
            try await withTransport(url) { transport in
                let error = await #expect(throws: APIError.self) {
                    try await transport.perform(KubeRequest(method: "GET", path: "/api/v1/nodes/ghost"))
                }
                #expect(error?.code == 404)
                #expect(error?.reason == "NotFound")
                #expect(error?.isNotFound == true)
                #expect(error?.message == notFound.message)
            }
        }
    }

    @Test func unreachableServerIsServiceUnavailable() async throws {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        try await withTransport("http://127.0.0.1:1", configure: { $0.connectTimeout = .milliseconds(300) }) { transport in
            let error = await #expect(throws: APIError.self) {
                try await transport.perform(KubeRequest(method: "GET", path: "/version"))
            }
            #expect(error?.code == 503)
            #expect(error?.message.contains("cannot reach the API server at http://127.0.0.1:1") == true)
        }
    }

    @Test func watchYieldsEventsSplitAcrossChunksAndEndsWhenTheServerCloses() async throws {
        try await TestServer.run { _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody { writer in
                    for piece in ["{\"type\":\"ADDED\",\"object\":{\"n\":1}}\n{\"type\":\"MOD", "IFIED\",\"object\":{\"n\":2}}", "\n"] {
                        try await writer.write(ByteBuffer(string: piece))
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    try await writer.finish(nil)
                })
        } body: { url in
            try await withTransport(url) { transport in
                let events = try await transport.watch(KubeRequest(method: "GET", path: "/api/v1/pods", query: ["watch": "true"]))
                var types: [String] = []
                for try await event in events {
                    types.append(event["type"]?.stringValue ?? "")
                }
                #expect(types == ["ADDED", "MODIFIED"])
            }
        }
    }

    @Test func watchErrorsAnswerBeforeTheStream() async throws {
        try await TestServer.run { _ in
            Self.json(APIError.expired("too old resource version: 1 (5)").status, status: .gone)
        } body: { url in
            try await withTransport(url) { transport in
                let error = await #expect(throws: APIError.self) {
                    try await transport.watch(KubeRequest(method: "GET", path: "/api/v1/pods", query: ["watch": "true"]))
                }
                #expect(error?.code == 410)
            }
        }
    }

    @Test func leavingTheWatchClosesTheRequest() async throws {
        let closed = Flag()
        try await TestServer.run { _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody { writer in
                    do {
                        while true {
                            try await writer.write(ByteBuffer(string: "{\"type\":\"BOOKMARK\",\"object\":{}}\n"))
                            try await Task.sleep(for: .milliseconds(10))
                        }
                    } catch {
                        closed.set()
                        throw error
                    }
                })
        } body: { url in
            try await withTransport(url) { transport in
                do {
                    let events = try await transport.watch(KubeRequest(method: "GET", path: "/api/v1/pods", query: ["watch": "true"]))
                    var seen = 0
                    for try await _ in events {
                        seen += 1
                        if seen == 3 { break }
                    }
                }
                let deadline = ContinuousClock.now + .seconds(10)
                while !closed.isSet && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(closed.isSet)
            }
        }
    }

    @Test func kubeconfigGivesServerCAAndClientCredentials() throws {
        let directory = NSTemporaryDirectory() + "kubeconfig-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let encode = { (text: String) in Data(text.utf8).base64EncodedString() }
        let path = "\(directory)/kubeconfig.yaml"
        try """
        apiVersion: v1
        clusters:
        - cluster:
            certificate-authority-data: \(encode("CA PEM"))
            server: "https://127.0.0.1:6443"
          name: default
        - cluster:
            server: https://elsewhere:6443
          name: other
        contexts:
        - context: {cluster: default, user: default}
          name: default
        current-context: default
        kind: Config
        users:
        - name: default
          user:
            client-certificate-data: \(encode("CERT PEM"))
            client-key-data: \(encode("KEY PEM"))
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let configuration = try HTTPTransportConfiguration(kubeconfig: path)
        #expect(configuration.serverURL == "https://127.0.0.1:6443")
        #expect(configuration.certificateAuthorityPEM == "CA PEM")
        #expect(configuration.clientCertificatePEM == "CERT PEM")
        #expect(configuration.clientKeyPEM == "KEY PEM")
        #expect(configuration.bearerToken == nil)
        #expect(throws: TransportSetupError.self) { try HTTPTransportConfiguration(kubeconfig: "\(directory)/missing.yaml") }
    }

    @Test func invalidServerURLsAreRefused() {
        #expect(throws: TransportSetupError.invalidServerURL("ftp://x")) {
            try HTTPTransport(configuration: HTTPTransportConfiguration(serverURL: "ftp://x"), logger: logger)
        }
    }
}
