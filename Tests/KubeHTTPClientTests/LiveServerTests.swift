import APIMachinery
import KubeClient
import Logging
import Testing

@testable import KubeHTTPClient

/// The transport against the real API server over TLS: client certificates from a kubeconfig, join tokens, watches.
@Suite("HTTP transport against the API server")
struct LiveServerTests {
    private let logger = Logger(label: "live-server-tests")

    private func using<T>(_ transport: HTTPTransport, _ body: (HTTPTransport) async throws -> T) async throws -> T {
        do {
            let result = try await body(transport)
            try await transport.shutdown()
            return result
        } catch {
            try await transport.shutdown()
            throw error
        }
    }

    private func whoami(_ transport: HTTPTransport) async throws -> JSONValue? {
        let review = try await transport.perform(
            KubeRequest(
                method: "POST", path: "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                body: ["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"]))
        return review[path: "status", "userInfo"]
    }

    @Test func adminKubeconfigCreatesReadsAndWatches() async throws {
        try await LiveCluster.run { cluster in
            try await using(try HTTPTransport(kubeconfig: cluster.kubeconfigPath, logger: logger)) { transport in
                #expect(try await whoami(transport)?["username"] == "system:admin")
                let client = KubeClient(transport: transport, fieldManager: "live-test")
                let created = try await client.create(.namespaces, ["metadata": ["name": "live"]])
                let revision = created[path: "metadata", "resourceVersion"]?.stringValue ?? ""
                let events = try await client.watch(.namespaces, options: ListOptions(resourceVersion: revision))
                _ = try await client.create(.namespaces, ["metadata": ["name": "live-2"]])
                var iterator = events.makeAsyncIterator()
                let event = try await iterator.next()
                #expect(event?["type"] == "ADDED")
                #expect(event?[path: "object", "metadata", "name"] == "live-2")
                let missing = await #expect(throws: APIError.self) { try await client.get(.namespaces, name: "ghost") }
                #expect(missing?.isNotFound == true)
                #expect(missing?.message == "namespaces \"ghost\" not found")
            }
        }
    }

    @Test func joinTokenAuthenticatesAsTheAgentAndABadOneIsRefused() async throws {
        try await LiveCluster.run { cluster in
            for credential in [cluster.token.text, cluster.token.secret] {
                let configuration = HTTPTransportConfiguration(serverURL: cluster.url, certificateAuthorityPEM: cluster.caPEM, bearerToken: credential)
                try await using(try HTTPTransport(configuration: configuration, logger: logger)) { transport in
                    let user = try await whoami(transport)
                    #expect(user?["username"] == "skiff:agent")
                    #expect(user?["groups"] == ["system:nodes", "system:authenticated"])
                }
            }
            let bad = HTTPTransportConfiguration(serverURL: cluster.url, certificateAuthorityPEM: cluster.caPEM, bearerToken: "nope")
            try await using(try HTTPTransport(configuration: bad, logger: logger)) { transport in
                let error = await #expect(throws: APIError.self) { try await transport.perform(KubeRequest(method: "GET", path: "/api/v1/namespaces")) }
                #expect(error?.code == 401)
                #expect(error?.reason == "Unauthorized")
            }
        }
    }

    @Test func cacertsNeedsNoCredentialsAndMatchesTheToken() async throws {
        try await LiveCluster.run { cluster in
            let configuration = HTTPTransportConfiguration(serverURL: cluster.url, insecureSkipTLSVerify: true)
            let bundle = try await using(try HTTPTransport(configuration: configuration, logger: logger)) { transport in
                try await transport.caCertificates()
            }
            #expect(bundle == cluster.caPEM)
            #expect(cluster.token.pins(caBundle: Array(bundle.utf8)))
        }
    }

    @Test func anUntrustedServerIsUnavailable() async throws {
        try await LiveCluster.run { cluster in
            // Trusting the system roots only, the cluster's own CA is unknown: TLS fails, reported as 503.
            var configuration = HTTPTransportConfiguration(serverURL: cluster.url, bearerToken: cluster.token.text)
            // Failed handshakes are retried until the connect timeout.
            configuration.connectTimeout = .seconds(1)
            try await using(try HTTPTransport(configuration: configuration, logger: logger)) { transport in
                let error = await #expect(throws: APIError.self) { try await transport.perform(KubeRequest(method: "GET", path: "/version")) }
                #expect(error?.code == 503)
                #expect(error?.message.hasPrefix("TLS with the API server at \(cluster.url) failed") == true, "\(error?.message ?? "")")
            }
        }
    }
}
