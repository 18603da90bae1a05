import APIMachinery
import ClusterTestSupport
import Foundation
import KubeClient
import Testing

@testable import APIServer

@Suite("TokenRequest and service-account authentication")
struct TokenRequestTests {
    static let issuer = "https://kubernetes.default.svc.cluster.local"

    private func withCluster(admission: Bool = false, _ body: (InProcessCluster, KubeClient) async throws -> Void) async throws {
        let cluster = try await InProcessCluster(serviceAccountAdmission: admission)
        defer { cluster.shutdown() }
        let client = cluster.client()
        try await body(cluster, client)
    }

    private func createAccount(_ client: KubeClient, _ name: String) async throws -> JSONValue {
        try await client.create(.serviceAccounts, namespace: "default", ["metadata": ["name": .string(name)]])
    }

    private func requestToken(_ client: KubeClient, account: String, spec: JSONValue = .emptyObject) async throws(APIError) -> JSONValue {
        try await client.createSubresource(
            .serviceAccounts, namespace: "default", name: account, subresource: "token",
            ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec])
    }

    private static func claims(of token: String) throws -> JSONValue {
        let payload = try #require(token.split(separator: ".").dropFirst().first)
        var base64 = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return try JSONValue.parse(Array(try #require(Data(base64Encoded: base64))))
    }

    @Test func aTokenForTheAPIAudienceLastsAnHourAndAuthenticates() async throws {
        try await withCluster { cluster, client in
            let account = try await createAccount(client, "builder")
            let answer = try await requestToken(client, account: "builder")
            #expect(answer["kind"] == "TokenRequest")
            #expect(answer[path: "spec", "expirationSeconds"] == 3600)
            #expect(answer[path: "spec", "audiences"] == [.string(Self.issuer)])
            let token = try #require(answer[path: "status", "token"]?.stringValue)
            let expires = try #require(answer[path: "status", "expirationTimestamp"]?.stringValue.flatMap(KubeTime.parse))
            #expect(abs(expires.timeIntervalSinceNow - 3600) < 5)

            let claims = try Self.claims(of: token)
            #expect(claims["iss"] == .string(Self.issuer))
            #expect(claims["sub"] == "system:serviceaccount:default:builder")
            #expect(claims[path: "kubernetes.io", "serviceaccount", "uid"] == account[path: "metadata", "uid"])
            #expect(claims[path: "kubernetes.io", "pod"] == nil)

            let user = await cluster.api.authenticateServiceAccountToken(token)
            #expect(user?.name == "system:serviceaccount:default:builder")
            #expect(user?.uid == account[path: "metadata", "uid"]?.stringValue)
            #expect(user?.groups == ["system:serviceaccounts", "system:serviceaccounts:default"])
            #expect(user?.extra == ["authentication.kubernetes.io/credential-id": ["JTI=\(claims["jti"]?.stringValue ?? "")"]])
        }
    }

    @Test func aMissingAccountIsNotFound() async throws {
        try await withCluster { _, client in
            do throws(APIError) {
                _ = try await requestToken(client, account: "nope")
                Issue.record("a token was issued for a missing account")
            } catch {
                #expect(error.code == 404)
                #expect(error.message == #"serviceaccounts "nope" not found"#)
            }
        }
    }

    @Test func lessThanTenMinutesIsInvalid() async throws {
        try await withCluster { _, client in
            _ = try await createAccount(client, "builder")
            do throws(APIError) {
                _ = try await requestToken(client, account: "builder", spec: ["expirationSeconds": 599])
                Issue.record("a 599 s token was issued")
            } catch {
                #expect(error.code == 422)
                #expect(
                    error.message
                        == #"TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes"#
                )
            }
            let ten = try await requestToken(client, account: "builder", spec: ["expirationSeconds": 600])
            #expect(ten[path: "status", "token"] != nil)
        }
    }

    @Test func expirationIsBetweenTenMinutesAndTwoToTheThirtyTwoSeconds() {
        #expect(TokenRequestRules.validate(expirationSeconds: 600).isEmpty)
        #expect(TokenRequestRules.validate(expirationSeconds: 1 << 32).isEmpty)
        #expect(TokenRequestRules.validate(expirationSeconds: 599).map(\.message) == ["Invalid value: 599: may not specify a duration less than 10 minutes"])
        #expect(
            TokenRequestRules.validate(expirationSeconds: (1 << 32) + 1).map(\.message) == ["Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds"])
    }

    @Test func aPodBoundTokenLastsAsLongAsThePod() async throws {
        try await withCluster { cluster, client in
            _ = try await createAccount(client, "builder")
            let pod = try await client.create(
                .pods, namespace: "default",
                ["metadata": ["name": "web"], "spec": ["serviceAccountName": "builder", "containers": [["name": "app", "image": "nginx"]]]])
            let uid = try #require(pod[path: "metadata", "uid"]?.stringValue)
            let answer = try await requestToken(
                client, account: "builder",
                spec: ["audiences": ["vault"], "boundObjectRef": ["apiVersion": "v1", "kind": "Pod", "name": "web", "uid": .string(uid)]])
            let token = try #require(answer[path: "status", "token"]?.stringValue)
            let claims = try Self.claims(of: token)
            #expect(claims[path: "kubernetes.io", "pod"] == ["name": "web", "uid": .string(uid)])
            #expect(claims["aud"] == ["vault"])
            // Another audience's token is not for this server.
            #expect(await cluster.api.authenticateServiceAccountToken(token) == nil)

            let own = try #require(
                try await requestToken(client, account: "builder", spec: ["boundObjectRef": ["kind": "Pod", "apiVersion": "v1", "name": "web"]])[
                    path: "status", "token"]?.stringValue)
            let podUser = await cluster.api.authenticateServiceAccountToken(own)
            #expect(podUser?.name == "system:serviceaccount:default:builder")
            #expect(podUser?.extra["authentication.kubernetes.io/pod-name"] == ["web"])
            #expect(podUser?.extra["authentication.kubernetes.io/pod-uid"] == [uid])
            try await client.delete(.pods, namespace: "default", name: "web", options: ["gracePeriodSeconds": 0])
            #expect(await cluster.api.authenticateServiceAccountToken(own) == nil)
        }
    }

    @Test func bindingChecksTheObject() async throws {
        try await withCluster { _, client in
            _ = try await createAccount(client, "builder")
            _ = try await client.create(
                .pods, namespace: "default", ["metadata": ["name": "web"], "spec": ["containers": [["name": "app", "image": "nginx"]]]])
            func refusal(_ reference: JSONValue) async -> APIError? {
                do throws(APIError) {
                    _ = try await requestToken(client, account: "builder", spec: ["boundObjectRef": reference])
                    return nil
                } catch {
                    return error
                }
            }
            let otherAccount = await refusal(["apiVersion": "v1", "kind": "Pod", "name": "web"])
            #expect(otherAccount?.code == 400)
            #expect(otherAccount?.message == #"cannot bind token for serviceaccount "builder" to pod running with serviceaccount """#)
            let missing = await refusal(["apiVersion": "v1", "kind": "Secret", "name": "gone"])
            #expect(missing?.message == #"secrets "gone" not found"#)
            let node = await refusal(["apiVersion": "v1", "kind": "Node", "name": "n1"])
            #expect(node?.message == "cannot bind token to object of type /v1, Kind=Node")
            _ = try await client.create(.secrets, namespace: "default", ["metadata": ["name": "s"]])
            let replaced = await refusal(["apiVersion": "v1", "kind": "Secret", "name": "s", "uid": "old-uid"])
            #expect(replaced?.code == 409)
        }
    }

    @Test func aRecreatedAccountInvalidatesItsTokens() async throws {
        try await withCluster { cluster, client in
            _ = try await createAccount(client, "builder")
            let token = try #require(try await requestToken(client, account: "builder")[path: "status", "token"]?.stringValue)
            try await client.delete(.serviceAccounts, namespace: "default", name: "builder")
            _ = try await createAccount(client, "builder")
            #expect(await cluster.api.authenticateServiceAccountToken(token) == nil)
        }
    }

    @Test func admissionMountsTheAPIAccessVolumeAndRefusesMissingAccounts() async throws {
        try await withCluster(admission: true) { _, client in
            _ = try await createAccount(client, "default")
            let pod = try await client.create(
                .pods, namespace: "default", ["metadata": ["name": "web"], "spec": ["containers": [["name": "app", "image": "nginx"]]]])
            #expect(pod[path: "spec", "serviceAccountName"] == "default")
            let volume = try #require(pod[path: "spec", "volumes"]?.arrayValue?.first)
            #expect(volume["name"]?.stringValue?.hasPrefix("kube-api-access-") == true)
            #expect(volume["name"]?.stringValue?.count == "kube-api-access-".count + 5)

            do throws(APIError) {
                _ = try await client.create(
                    .pods, namespace: "default",
                    ["metadata": ["name": "other"], "spec": ["serviceAccountName": "builder", "containers": [["name": "app", "image": "nginx"]]]])
                Issue.record("a pod with a missing account was admitted")
            } catch {
                #expect(error.code == 403)
                #expect(
                    error.message
                        == #"pods "other" is forbidden: error looking up service account default/builder: serviceaccount "builder" not found"#)
            }
        }
    }
}
