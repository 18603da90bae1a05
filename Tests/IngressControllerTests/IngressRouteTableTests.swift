import APIMachinery
import ControllerRuntime
import KubeObjects
import Testing

@testable import IngressController

/// Routing as networking.k8s.io/v1 and ingress-nginx define it, from Ingresses as the API returns them.
@Suite("ingress route table")
struct IngressRouteTableTests {
    static func path(_ path: String, _ type: String, _ service: String, port: JSONValue = ["number": 80]) -> JSONValue {
        ["path": .string(path), "pathType": .string(type), "backend": ["service": ["name": .string(service), "port": port]]]
    }

    static func ingress(
        _ name: String, created: String = "2026-01-01T00:00:00Z", annotations: [String: String] = [:], rules: [(String?, [JSONValue])],
        defaultBackend: String? = nil, tls: [(hosts: [String], secret: String)] = []
    ) -> Ingress {
        var spec: JSONValue = [
            "rules": .array(
                rules.map { host, paths in
                    var rule: JSONValue = ["http": ["paths": .array(paths)]]
                    if let host { rule["host"] = .string(host) }
                    return rule
                })
        ]
        if let defaultBackend { spec["defaultBackend"] = ["service": ["name": .string(defaultBackend), "port": ["number": 80]]] }
        if !tls.isEmpty {
            spec["tls"] = .array(tls.map { ["hosts": .array($0.hosts.map { .string($0) }), "secretName": .string($0.secret)] })
        }
        return Ingress([
            "metadata": [
                "name": .string(name), "namespace": "shop", "creationTimestamp": .string(created),
                "annotations": .object(annotations.mapValues { .string($0) }),
            ],
            "spec": spec,
        ])
    }

    /// The Service a request is sent to and the path it gets, nil for 404.
    static func target(_ table: IngressRouteTable, _ host: String, _ path: String) -> String? {
        table.route(host: host, path: Substring(path)).map { "\($0.route.backend.service) \($0.backendPath)" }
    }

    @Test("Prefix matches whole path elements, the longest path wins, Exact beats Prefix of the same length")
    func pathMatching() {
        let table = IngressRouteTable(ingresses: [
            Self.ingress(
                "shop",
                rules: [
                    (
                        "shop.example.com",
                        [
                            Self.path("/", "Prefix", "frontend"), Self.path("/api", "Prefix", "api"), Self.path("/api/v2/", "Prefix", "api-v2"),
                            Self.path("/api", "Exact", "api-root"), Self.path("/legacy", "ImplementationSpecific", "legacy"),
                        ]
                    )
                ])
        ])
        #expect(Self.target(table, "shop.example.com", "/") == "frontend /")
        #expect(Self.target(table, "shop.example.com", "/api") == "api-root /api")
        #expect(Self.target(table, "shop.example.com", "/api/") == "api /api/")
        #expect(Self.target(table, "shop.example.com", "/api/orders") == "api /api/orders")
        #expect(Self.target(table, "shop.example.com", "/apiary") == "frontend /apiary")
        // A Prefix path's trailing slash is ignored: /api/v2/ matches /api/v2.
        #expect(Self.target(table, "shop.example.com", "/api/v2") == "api-v2 /api/v2")
        #expect(Self.target(table, "shop.example.com", "/api/v2/x") == "api-v2 /api/v2/x")
        #expect(Self.target(table, "shop.example.com", "/legacy/page") == "legacy /legacy/page")
    }

    @Test("exact hosts before wildcards (one label deep) before rules without a host; the default backend last")
    func hostMatching() {
        let table = IngressRouteTable(ingresses: [
            Self.ingress(
                "hosts",
                rules: [
                    ("www.example.com", [Self.path("/", "Prefix", "www")]), ("*.example.com", [Self.path("/", "Prefix", "wildcard")]),
                    ("app.example.com", [Self.path("/app", "Prefix", "app")]),
                    (nil, [Self.path("/any", "Prefix", "any-host")]),
                ], defaultBackend: "fallback")
        ])
        #expect(Self.target(table, "www.example.com", "/x") == "www /x")
        #expect(Self.target(table, "shop.example.com", "/x") == "wildcard /x")
        // The wildcard covers one label: a.b.example.com and example.com itself fall through.
        #expect(Self.target(table, "a.b.example.com", "/any") == "any-host /any")
        #expect(Self.target(table, "example.com", "/elsewhere") == "fallback /elsewhere")
        // A host whose rules match no path goes to the default backend, not to the rules without a host.
        #expect(Self.target(table, "app.example.com", "/any") == "fallback /any")
    }

    @Test("without a default backend nothing matching is a 404")
    func noMatch() {
        let table = IngressRouteTable(ingresses: [Self.ingress("one", rules: [("a.example.com", [Self.path("/app", "Prefix", "app")])])])
        #expect(Self.target(table, "a.example.com", "/other") == nil)
        #expect(Self.target(table, "b.example.com", "/app") == nil)
    }

    @Test("rules of one host from several Ingresses merge; the oldest keeps a path both define, and the other hears why")
    func merging() {
        let older = Self.ingress("older", created: "2026-01-01T00:00:00Z", rules: [("m.example.com", [Self.path("/a", "Prefix", "first")])])
        let newer = Self.ingress(
            "newer", created: "2026-02-01T00:00:00Z",
            rules: [("m.example.com", [Self.path("/a", "Prefix", "second"), Self.path("/b", "Prefix", "third")])])
        for order in [[older, newer], [newer, older]] {
            let table = IngressRouteTable(ingresses: order)
            #expect(Self.target(table, "m.example.com", "/a") == "first /a")
            #expect(Self.target(table, "m.example.com", "/b") == "third /b")
            #expect(table.problems.map(\.ingress.name) == ["newer"])
            #expect(table.problems.first?.reason == "Conflict")
        }
    }

    @Test("rewrite-target replaces the whole path; with use-regex its $n take the pattern's groups")
    func rewriting() {
        let seed = Self.ingress(
            "seed", annotations: ["nginx.ingress.kubernetes.io/rewrite-target": "/"],
            rules: [("my-app.example.com", [Self.path("/service1", "Prefix", "service1")])])
        let regex = Self.ingress(
            "regex", annotations: ["nginx.ingress.kubernetes.io/rewrite-target": "/$2", "nginx.ingress.kubernetes.io/use-regex": "true"],
            rules: [("r.example.com", [Self.path("/api(/|$)(.*)", "ImplementationSpecific", "api")])])
        let table = IngressRouteTable(ingresses: [seed, regex])
        #expect(Self.target(table, "my-app.example.com", "/service1/cart") == "service1 /")
        #expect(Self.target(table, "my-app.example.com", "/service1x") == nil)
        #expect(Self.target(table, "r.example.com", "/api/orders/7") == "api /orders/7")
        #expect(Self.target(table, "r.example.com", "/API") == "api /")
        #expect(Self.target(table, "r.example.com", "/apis") == nil)
    }

    @Test("TLS hosts have their Secret by exact name or wildcard and are redirected to HTTPS unless ssl-redirect is off")
    func tls() {
        let secure = Self.ingress(
            "secure", rules: [("secure.example.com", [Self.path("/", "Prefix", "web")])],
            tls: [(["secure.example.com"], "secure-tls"), (["*.wild.example.com"], "wild-tls")])
        let optOut = Self.ingress(
            "plain", annotations: ["nginx.ingress.kubernetes.io/ssl-redirect": "false"], rules: [("plain.example.com", [Self.path("/", "Prefix", "web")])],
            tls: [(["plain.example.com"], "plain-tls")])
        let table = IngressRouteTable(ingresses: [secure, optOut])
        #expect(table.tlsSecret(for: "Secure.Example.com") == ObjectKey(namespace: "shop", name: "secure-tls"))
        #expect(table.tlsSecret(for: "a.wild.example.com") == ObjectKey(namespace: "shop", name: "wild-tls"))
        #expect(table.tlsSecret(for: "other.example.com") == nil)
        #expect(table.redirectsToHTTPS(host: "secure.example.com"))
        #expect(!table.redirectsToHTTPS(host: "plain.example.com"))
    }

    @Test("resource backends are refused with a reason; unknown annotation values are reported and ignored")
    func refusals() {
        let resourcePath: JSONValue = ["path": "/", "pathType": "Prefix", "backend": ["resource": ["kind": "StorageBucket", "name": "b"]]]
        let resource = Self.ingress("resource", rules: [("x.example.com", [resourcePath])])
        let table = IngressRouteTable(ingresses: [resource])
        #expect(Self.target(table, "x.example.com", "/") == nil)
        #expect(table.problems.first?.reason == "UnsupportedBackend")

        let annotations = IngressAnnotations(annotations: [
            "nginx.ingress.kubernetes.io/proxy-body-size": "8m", "nginx.ingress.kubernetes.io/backend-protocol": "GRPC",
            "nginx.ingress.kubernetes.io/some-unknown-thing": "x",
        ])
        #expect(annotations.bodySizeLimit == 8 * 1024 * 1024)
        #expect(annotations.backendProtocol == .http)
        #expect(annotations.rejected.count == 1)
        #expect(IngressAnnotations(annotations: ["nginx.ingress.kubernetes.io/proxy-body-size": "0"]).bodySizeLimit == nil)
    }

    @Test("nginx's $n substitution, with groups that took no part empty")
    func substitution() {
        #expect(IngressPathPattern.substitute(["/a/b", "/", "b"], into: "/x/$2?y=$1") == "/x/b?y=/")
        #expect(IngressPathPattern.substitute(["/a"], into: "/$5/$") == "//$")
    }
}
