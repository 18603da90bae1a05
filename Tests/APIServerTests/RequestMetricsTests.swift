import Testing

@testable import APIServer

/// The labels of kube-apiserver's request metrics: verbs as it spells them, scopes, and non-resource paths.
struct RequestMetricsTests {
    static func labels(_ method: String, _ path: String, query: [String: String] = [:], headers: [String: String] = [:]) -> [String: String] {
        let request = APIRequest(method: method, path: path, query: query, headers: headers, body: [])
        let metrics = RequestMetrics(request, target: RequestTarget(path: path))
        return Dictionary(uniqueKeysWithValues: metrics.dimensions)
    }

    @Test func verbsAndScopes() {
        let list = Self.labels("GET", "/api/v1/namespaces/default/pods")
        #expect(list["verb"] == "LIST" && list["scope"] == "namespace" && list["resource"] == "pods" && list["version"] == "v1")
        #expect(Self.labels("GET", "/api/v1/pods", query: ["watch": "true"])["verb"] == "WATCH")
        #expect(Self.labels("GET", "/api/v1/pods")["scope"] == "cluster")
        let get = Self.labels("GET", "/apis/apps/v1/namespaces/default/deployments/web/scale")
        #expect(get["verb"] == "GET" && get["scope"] == "resource" && get["group"] == "apps" && get["subresource"] == "scale")
        #expect(Self.labels("PATCH", "/api/v1/namespaces/default/pods/web", headers: ["content-type": "application/apply-patch+yaml"])["verb"] == "APPLY")
        #expect(Self.labels("POST", "/api/v1/namespaces/default/pods", query: ["dryRun": "All"])["dry_run"] == "All")
        let readyz = Self.labels("GET", "/readyz")
        #expect(readyz["subresource"] == "/readyz" && readyz["resource"] == "" && readyz["verb"] == "GET")
    }
}
