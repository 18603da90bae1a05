import Testing

@testable import APIServer

@Suite("Request authentication")
struct RequestAuthenticatorTests {
    private let admin = AuthenticatedUser(name: "system:admin", groups: ["system:masters"])

    private let builder = AuthenticatedUser(name: "system:serviceaccount:dev:builder", groups: ["system:serviceaccounts"])

    private func authenticator() -> RequestAuthenticator {
        let admin = self.admin
        let builder = self.builder
        return RequestAuthenticator(bearerTokens: ["K10abc::server:secret": .agent, "secret": .agent]) { der in
            der == [1, 2, 3] ? admin : nil
        } serviceAccountToken: { token in
            token == "header.claims.signature" ? builder : nil
        }
    }

    @Test func aValidClientCertificateWinsOverAnyToken() async {
        #expect(await authenticator().authenticate(clientCertificateDER: [1, 2, 3], authorization: "Bearer wrong") == admin)
    }

    @Test func theFullTokenOrItsSecretAuthenticatesAsTheAgent() async {
        let authenticator = authenticator()
        #expect(await authenticator.authenticate(clientCertificateDER: nil, authorization: "Bearer K10abc::server:secret") == .agent)
        #expect(await authenticator.authenticate(clientCertificateDER: nil, authorization: "bearer secret") == .agent)
        #expect(await authenticator.authenticate(clientCertificateDER: [9], authorization: "Bearer secret") == .agent)
    }

    @Test func anyOtherTokenIsAskedOfTheServiceAccountTokenValidator() async {
        let authenticator = authenticator()
        #expect(await authenticator.authenticate(clientCertificateDER: nil, authorization: "Bearer header.claims.signature") == builder)
        #expect(await authenticator.authenticate(clientCertificateDER: nil, authorization: "Bearer header.claims.forged") == nil)
    }

    @Test(arguments: [nil, "", "Bearer", "Bearer ", "Bearer wrong", "Basic c2VjcmV0", "secret", "Bearer secre", "Bearer secrets"])
    func anythingElseIsUnauthenticated(_ header: String?) async {
        #expect(await authenticator().authenticate(clientCertificateDER: nil, authorization: header) == nil)
    }

    @Test func anUnacceptedCertificateWithoutTokenIsUnauthenticated() async {
        #expect(await authenticator().authenticate(clientCertificateDER: [4, 5], authorization: nil) == nil)
    }

    @Test func bearerHeaderParsingFollowsKubeAPIServer() {
        #expect(RequestAuthenticator.bearerToken("  Bearer abc  ") == Array("abc".utf8))
        #expect(RequestAuthenticator.bearerToken("Bearer abc extra") == Array("abc".utf8))
        #expect(RequestAuthenticator.bearerToken("Bearer  abc") == nil)
    }
}
