import APIMachinery
import Foundation
import Testing

@testable import NodeAgent

@Suite("image pull credentials")
struct ImagePullCredentialsTests {
    static func secret(type: String, field: String, _ document: String) -> JSONValue {
        ["type": .string(type), "data": [field: .string(Data(document.utf8).base64EncodedString())]]
    }

    @Test func imagesNameTheirRegistryOrDockerHub() {
        #expect(ImagePullCredentials.registry(of: "nginx:1.25") == "docker.io")
        #expect(ImagePullCredentials.registry(of: "library/nginx") == "docker.io")
        #expect(ImagePullCredentials.registry(of: "registry.example.com/team/app:1") == "registry.example.com")
        #expect(ImagePullCredentials.registry(of: "127.0.0.1:5000/app") == "127.0.0.1:5000")
        #expect(ImagePullCredentials.registry(of: "localhost/app") == "localhost")
        #expect(ImagePullCredentials.host(ofKey: "https://index.docker.io/v1/") == "docker.io")
        #expect(ImagePullCredentials.host(ofKey: "https://registry.example.com/v2/") == "registry.example.com")
    }

    @Test func theFirstSecretWithTheRegistryGivesTheCredentials() {
        let other = Self.secret(
            type: "kubernetes.io/dockerconfigjson", field: ".dockerconfigjson",
            #"{"auths":{"other.example.com":{"username":"x","password":"y"}}}"#)
        let hub = Self.secret(
            type: "kubernetes.io/dockerconfigjson", field: ".dockerconfigjson",
            #"{"auths":{"https://index.docker.io/v1/":{"auth":"\#(Data("me:s3cret".utf8).base64EncodedString())"}}}"#)
        let legacy = Self.secret(
            type: "kubernetes.io/dockercfg", field: ".dockercfg", #"{"registry.example.com":{"username":"ci","password":"token"}}"#)
        let auth = ImagePullCredentials.auth(for: "nginx:1.25", secrets: [other, hub, legacy])
        #expect(auth?.username == "me" && auth?.password == "s3cret" && auth?.serverAddress == "docker.io")
        let private_ = ImagePullCredentials.auth(for: "registry.example.com/team/app:1", secrets: [other, hub, legacy])
        #expect(private_?.username == "ci" && private_?.password == "token")
        #expect(ImagePullCredentials.auth(for: "quay.io/x/y", secrets: [other, hub, legacy]) == nil)
    }
}
