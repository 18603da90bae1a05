import APIMachinery
import KubeHTTPClient
import Logging
import PKI

/// How an agent comes to trust a server it has only a URL and a token for, as k3s agents do: fetch `/cacerts`
/// without verifying TLS, then keep the bundle only if its SHA-256 is the hash the token carries.
struct AgentBootstrap {
    let server: String
    let token: JoinToken
    let logger: Logger
    /// Pause between attempts while the server cannot be reached (it may still be starting).
    var retryInterval: Duration = .seconds(2)

    /// The CA bundle (PEM) to trust from now on. Waits while the server is unreachable; throws `AgentError` when the
    /// bundle does not match the token, or `TransportSetupError` for a malformed server URL.
    func trustedCA() async throws -> String {
        while true {
            let bundle: String
            do {
                bundle = try await fetchUnverified()
            } catch let error as APIError where error.code == 503 {
                logger.warning("waiting for the server", metadata: ["server": "\(server)", "error": "\(error.message)"])
                try await Task.sleep(for: retryInterval)
                continue
            } catch let error as APIError {
                throw AgentError.unreachable(server: server, reason: error.message)
            }
            guard let expected = token.caHash else {
                logger.warning("the token pins no CA: trusting whatever the server presents", metadata: ["server": "\(server)"])
                return bundle
            }
            let actual = JoinToken.caHash(of: Array(bundle.utf8))
            guard actual == expected else {
                throw AgentError.caMismatch(server: server, expected: expected, actual: actual)
            }
            return bundle
        }
    }

    private func fetchUnverified() async throws -> String {
        let transport = try HTTPTransport(
            configuration: HTTPTransportConfiguration(
                serverURL: server, insecureSkipTLSVerify: true, requestTimeout: .seconds(15), connectTimeout: .seconds(3)),
            logger: logger)
        do {
            let bundle = try await transport.caCertificates()
            try await transport.shutdown()
            return bundle
        } catch {
            try? await transport.shutdown()
            throw error
        }
    }
}
