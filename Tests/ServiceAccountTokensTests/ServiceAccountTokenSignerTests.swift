import Crypto
import Foundation
import Testing

@testable import ServiceAccountTokens

@Suite struct ServiceAccountTokenSignerTests {
    let signer = ServiceAccountTokenSigner(key: P256.Signing.PrivateKey())
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let audience = [ServiceAccountTokenSigner.defaultIssuer]

    func claims(lifetime: Int64 = 3600, pod: ServiceAccountTokenClaims.ObjectReference? = nil) -> ServiceAccountTokenClaims {
        .forServiceAccount(
            namespace: "dev", serviceAccount: .init(name: "builder", uid: "sa-uid"), pod: pod, audiences: audience,
            lifetimeSeconds: lifetime, now: now)
    }

    @Test func signedTokenVerifiesWithKubernetesClaims() throws {
        let token = try signer.sign(claims(pod: .init(name: "web-0", uid: "pod-uid")))
        let verified = try signer.verify(token, audiences: audience, now: now.addingTimeInterval(10))
        #expect(verified.issuer == "https://kubernetes.default.svc.cluster.local")
        #expect(verified.subject == "system:serviceaccount:dev:builder")
        #expect(verified.expiresAt == now.addingTimeInterval(3600))
        #expect(verified.notBefore == now && verified.issuedAt == now)
        #expect(verified.pod == .init(name: "web-0", uid: "pod-uid"))
        #expect(verified.serviceAccount == .init(name: "builder", uid: "sa-uid"))
        #expect(!verified.tokenID.isEmpty)
    }

    @Test func payloadHasTheKubernetesShape() throws {
        let token = try signer.sign(claims(pod: .init(name: "web-0", uid: "pod-uid")))
        let parts = token.split(separator: ".")
        let header = try #require(Base64URL.decode(parts[0]))
        #expect(String(decoding: header, as: UTF8.self) == #"{"alg":"ES256","kid":"\#(signer.keyID)"}"#)
        let payload = try #require(Base64URL.decode(parts[1]))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
        #expect(json["aud"] as? [String] == ["https://kubernetes.default.svc.cluster.local"])
        #expect(json["exp"] as? Int == 1_800_003_600)
        let kubernetes = try #require(json["kubernetes.io"] as? [String: Any])
        #expect(kubernetes["namespace"] as? String == "dev")
        #expect((kubernetes["serviceaccount"] as? [String: String]) == ["name": "builder", "uid": "sa-uid"])
        #expect((kubernetes["pod"] as? [String: String]) == ["name": "web-0", "uid": "pod-uid"])
        #expect(kubernetes["secret"] == nil)
    }

    @Test func onlyPodBoundTokensNameTheNode() throws {
        let node = ServiceAccountTokenClaims.ObjectReference(name: "node-a", uid: "node-uid")
        let bound = ServiceAccountTokenClaims.forServiceAccount(
            namespace: "dev", serviceAccount: .init(name: "builder", uid: "sa-uid"), pod: .init(name: "web-0", uid: "pod-uid"), node: node,
            audiences: audience, lifetimeSeconds: 3600, now: now)
        #expect(try signer.verify(try signer.sign(bound), audiences: audience, now: now).node == node)
        let unbound = ServiceAccountTokenClaims.forServiceAccount(
            namespace: "dev", serviceAccount: .init(name: "builder", uid: "sa-uid"), node: node, audiences: audience,
            lifetimeSeconds: 3600, now: now)
        #expect(unbound.node == nil)
    }

    @Test func expiredTokenIsRefusedAfterTheLeeway() throws {
        let token = try signer.sign(claims(lifetime: 600))
        #expect(throws: Never.self) { try signer.verify(token, audiences: audience, now: now.addingTimeInterval(650)) }
        #expect(throws: ServiceAccountTokenError.expired) {
            try signer.verify(token, audiences: audience, now: now.addingTimeInterval(661))
        }
    }

    @Test func tokenFromTheFutureIsRefused() throws {
        let token = try signer.sign(claims())
        #expect(throws: ServiceAccountTokenError.notYetValid) {
            try signer.verify(token, audiences: audience, now: now.addingTimeInterval(-120))
        }
    }

    @Test func wrongAudienceIsRefused() throws {
        var custom = claims()
        custom.audiences = ["vault"]
        let token = try signer.sign(custom)
        #expect(throws: ServiceAccountTokenError.wrongAudience) { try signer.verify(token, audiences: audience, now: now) }
        #expect(throws: Never.self) { try signer.verify(token, audiences: ["vault", "other"], now: now) }
    }

    @Test func tamperedClaimsFailTheSignature() throws {
        let token = try signer.sign(claims())
        let parts = token.split(separator: ".").map(String.init)
        var forged = claims()
        forged.subject = "system:serviceaccount:kube-system:admin"
        forged.issuer = signer.issuer
        let forgedPayload = Base64URL.encode(Array(try JSONEncoder().encode(forged)))
        #expect(throws: ServiceAccountTokenError.badSignature) {
            try signer.verify([parts[0], forgedPayload, parts[2]].joined(separator: "."), audiences: audience, now: now)
        }
    }

    @Test func anotherKeysTokenFailsTheSignature() throws {
        let other = ServiceAccountTokenSigner(key: P256.Signing.PrivateKey())
        let token = try other.sign(claims())
        #expect(throws: ServiceAccountTokenError.badSignature) { try signer.verify(token, audiences: audience, now: now) }
    }

    @Test func otherIssuerIsRefused() throws {
        let key = P256.Signing.PrivateKey()
        let token = try ServiceAccountTokenSigner(key: key, issuer: "https://example.com").sign(claims())
        #expect(throws: ServiceAccountTokenError.wrongIssuer("https://example.com")) {
            try ServiceAccountTokenSigner(key: key).verify(token, audiences: audience, now: now)
        }
    }

    @Test func garbageIsMalformed() {
        for token in ["", "abc", "a.b.c", "a.b", "eyJhbGciOiJFUzI1NiJ9.e30=.AA"] {
            #expect(throws: ServiceAccountTokenError.self) { try signer.verify(token, audiences: audience, now: now) }
        }
    }

    @Test func keyFromPEMSignsLikeTheKey() throws {
        let key = P256.Signing.PrivateKey()
        let fromPEM = try ServiceAccountTokenSigner(privateKeyPEM: key.pemRepresentation)
        #expect(fromPEM.keyID == ServiceAccountTokenSigner(key: key).keyID)
        #expect(throws: ServiceAccountTokenError.self) { try ServiceAccountTokenSigner(privateKeyPEM: "not a key") }
    }
}
