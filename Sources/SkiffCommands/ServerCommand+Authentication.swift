import APIServer
import PKI

extension ServerCommand {
    /// Where the join token lives, as k3s keeps `server/token`.
    static func tokenPath(dataDirectory: String) -> String { "\(dataDirectory)/server/token" }

    /// Admin and other client certificates from the cluster CA, the join token — whole or its secret alone — for
    /// agents, who act as `AuthenticatedUser.agent`, and the service-account tokens the API server signed.
    static func authenticator(pki: ClusterPKI, token: JoinToken, api: KubernetesAPI) -> RequestAuthenticator {
        RequestAuthenticator(bearerTokens: [token.text: .agent, token.secret: .agent]) { der in
            pki.clientIdentity(certificateDER: der).map { AuthenticatedUser(name: $0.user, groups: $0.groups) }
        } serviceAccountToken: { bearer in
            await api.authenticateServiceAccountToken(bearer)
        }
    }
}
