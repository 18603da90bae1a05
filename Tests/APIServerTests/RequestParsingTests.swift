import APIMachinery
import ContainerStreams
import Testing

@testable import APIServer

@Suite("request parsing")
struct RequestParsingTests {
    @Test(arguments: [
        ("/api/v1/namespaces/dev/pods/web/log", ResourcePath(group: "", version: "v1", namespace: "dev", resource: "pods", name: "web", subresource: "log")),
        ("/api/v1/namespaces/dev", ResourcePath(group: "", version: "v1", namespace: nil, resource: "namespaces", name: "dev", subresource: nil)),
        ("/api/v1/namespaces/dev/status", ResourcePath(group: "", version: "v1", namespace: nil, resource: "namespaces", name: "dev", subresource: "status")),
        ("/api/v1/namespaces/dev/finalize", ResourcePath(group: "", version: "v1", namespace: nil, resource: "namespaces", name: "dev", subresource: "finalize")),
        ("/api/v1/namespaces", ResourcePath(group: "", version: "v1", namespace: nil, resource: "namespaces", name: nil, subresource: nil)),
        ("/api/v1/namespaces/dev/configmaps", ResourcePath(group: "", version: "v1", namespace: "dev", resource: "configmaps", name: nil, subresource: nil)),
        ("/apis/apps/v1/deployments", ResourcePath(group: "apps", version: "v1", namespace: nil, resource: "deployments", name: nil, subresource: nil)),
        ("/apis/apps/v1/namespaces/default/deployments/web/scale", ResourcePath(group: "apps", version: "v1", namespace: "default", resource: "deployments", name: "web", subresource: "scale")),
        ("/api/v1/nodes/n1/status", ResourcePath(group: "", version: "v1", namespace: nil, resource: "nodes", name: "n1", subresource: "status")),
    ])
    func resourcePathsParseLikeKubernetesRequestInfo(path: String, expected: ResourcePath) {
        #expect(RequestTarget(path: path) == .resource(expected))
    }

    @Test func nonResourcePathsAreRecognised() {
        #expect(RequestTarget(path: "/version") == .version)
        #expect(RequestTarget(path: "/api") == .coreGroupDiscovery)
        #expect(RequestTarget(path: "/apis") == .groupListDiscovery)
        #expect(RequestTarget(path: "/apis/apps") == .groupDiscovery(group: "apps"))
        #expect(RequestTarget(path: "/apis/apps/v1") == .resourceList(group: "apps", version: "v1"))
        #expect(RequestTarget(path: "/openapi/v3/apis/apps/v1") == .openAPIv3(path: "apis/apps/v1"))
        #expect(RequestTarget(path: "/readyz") == .health("readyz"))
        #expect(RequestTarget(path: "/apis/apps/v1/namespaces/a/deployments/b/c/d") == .unknown)
        #expect(RequestTarget(path: "/metrics/x") == .unknown)
    }

    @Test func queryStringsDecodeLikeGo() {
        let query = HTTPSServer.parseQuery("labelSelector=tier+in+%28a%2Cb%29&watch=true&limit=500&empty&x=1&x=2")
        #expect(query["labelSelector"] == "tier in (a,b)")
        #expect(query["watch"] == "true")
        #expect(query["limit"] == "500")
        #expect(query["empty"] == "")
        #expect(query["x"] == "1")
    }

    @Test func execCommandsKeepEveryRepeatedValueInOrder() {
        let values = HTTPSServer.parseQueryValues("command=sh&command=-c&command=echo+%24HOME+%26%26+exit+3&stdout=true")
        #expect(values["command"] == ["sh", "-c", "echo $HOME && exit 3"])
        #expect(values["stdout"] == ["true"])
    }

    @Test func containerStreamsSpeakV5OrV4AndNothingElse() {
        #expect(ContainerStreamRelay.negotiate(offered: "v5.channel.k8s.io") == "v5.channel.k8s.io")
        #expect(ContainerStreamRelay.negotiate(offered: "v4.channel.k8s.io, v5.channel.k8s.io") == "v5.channel.k8s.io")
        #expect(ContainerStreamRelay.negotiate(offered: "v4.channel.k8s.io") == "v4.channel.k8s.io")
        #expect(ContainerStreamRelay.negotiate(offered: "base64.channel.k8s.io") == nil)
        #expect(ContainerStreamRelay.negotiate(offered: nil) == nil)
    }

    @Test func continueTokensRoundTripAndRejectForgeries() throws {
        let token = ContinueToken.encode(revision: 42, start: "dev/web")
        let decoded = try ContinueToken.decode(token)
        #expect(decoded.revision == 42)
        #expect(decoded.start == "dev/web")
        #expect(throws: APIError.self) { try ContinueToken.decode("not-base64!") }
        #expect(throws: APIError.self) { try ContinueToken.decode("eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MH0=") }
    }

    @Test func qosClassFollowsKubernetesRules() {
        let bestEffort: JSONValue = ["spec": ["containers": [["name": "a", "image": "x"]]]]
        let guaranteed: JSONValue = [
            "spec": ["containers": [["name": "a", "resources": ["limits": ["cpu": "500m", "memory": "128Mi"]]]]]
        ]
        let burstable: JSONValue = ["spec": ["containers": [["name": "a", "resources": ["requests": ["cpu": "100m"]]]]]]
        #expect(ObjectLifecycle.qosClass(of: bestEffort) == "BestEffort")
        #expect(ObjectLifecycle.qosClass(of: guaranteed) == "Guaranteed")
        #expect(ObjectLifecycle.qosClass(of: burstable) == "Burstable")
    }
}
