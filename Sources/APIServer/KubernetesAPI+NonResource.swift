import APIMachinery
import APIRegistry
import Foundation

extension KubernetesAPI {
    /// The version `/version` reports: kubectl's dispatcher picks its client by this minor.
    public static let kubernetesVersion: JSONValue = [
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-skiff", "gitCommit": "skiff", "gitTreeState": "clean",
        "buildDate": "2026-11-21T00:00:00Z", "goVersion": "swift6.3", "compiler": "swiftc", "platform": "linux/amd64",
    ]

    func serveNonResource(_ target: RequestTarget, request: APIRequest) async throws(APIError) -> APIResponse {
        switch target {
        case .version:
            return .ok(Self.kubernetesVersion)
        case .health(let path):
            return try await health(path, verbose: request.query["verbose"] != nil)
        case .metrics:
            guard let page = metricsPage.current else { throw Self.resourceNotFound }
            return .bytes(code: 200, body: page(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        case .coreGroupDiscovery:
            if wantsAggregatedDiscovery(request) {
                return aggregated(catalog.aggregatedDiscovery(core: true))
            }
            return .ok(catalog.coreAPIVersions())
        case .groupListDiscovery:
            if wantsAggregatedDiscovery(request) {
                return aggregated(catalog.aggregatedDiscovery(core: false))
            }
            return .ok(catalog.apiGroupList())
        case .groupDiscovery(let group):
            guard let group = catalog.apiGroupList()["groups"]?.arrayValue?.first(where: { $0["name"]?.stringValue == group }) else {
                throw Self.resourceNotFound
            }
            var document = group
            document["kind"] = "APIGroup"
            document["apiVersion"] = "v1"
            return .ok(document)
        case .resourceList(let group, let version):
            guard let list = catalog.apiResourceList(group: group, version: version) else { throw Self.resourceNotFound }
            return .ok(list)
        case .openAPIv2:
            // kubectl asks for the protobuf form alone; other clients for JSON. Anything else gets 406, as from
            // kube-openapi.
            if Self.accepts(request.accept, anyOf: Self.openAPIv2ProtobufTypes) {
                // Answered with the spelling Go's mime parser accepts ('@' is not allowed in a media type), as kube-openapi does.
                return .bytes(code: 200, body: openAPI.v2ProtobufDocument(), contentType: Self.openAPIv2ProtobufTypes[1])
            }
            guard request.accept.trimmingCharacters(in: .whitespaces).isEmpty
                || Self.accepts(request.accept, anyOf: ["*/*", "application/*", "application/json"])
            else {
                throw .notAcceptable("only application/json and \(Self.openAPIv2ProtobufTypes[0]) are supported for /openapi/v2")
            }
            return .bytes(code: 200, body: openAPI.v2Document(), contentType: "application/json")
        case .openAPIv3Index:
            return .ok(openAPI.v3Index())
        case .openAPIv3(let path):
            guard let document = openAPI.v3Document(path: path) else { throw Self.resourceNotFound }
            return .bytes(code: 200, body: document, contentType: "application/json")
        case .resource, .unknown:
            throw Self.resourceNotFound
        }
    }

    /// The media types of the v2 document's protobuf form: kube-openapi's and the older spelling it also accepts.
    static let openAPIv2ProtobufTypes = [
        "application/com.github.proto-openapi.spec.v2@v1.0+protobuf", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
    ]

    /// True when the `Accept` header lists one of `types` (parameters such as `q=` aside).
    static func accepts(_ accept: String, anyOf types: [String]) -> Bool {
        accept.split(separator: ",").contains { entry in
            types.contains((entry.split(separator: ";").first ?? "").trimmingCharacters(in: .whitespaces).lowercased())
        }
    }

    private func wantsAggregatedDiscovery(_ request: APIRequest) -> Bool {
        request.accept.contains("as=APIGroupDiscoveryList")
    }

    private func aggregated(_ document: JSONValue) -> APIResponse {
        .bytes(
            code: 200, body: document.serialized(),
            contentType: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
    }

    /// `/healthz`, `/livez`, `/readyz` and their per-check paths, answered as Kubernetes does (`ok`).
    private func health(_ path: String, verbose: Bool) async throws(APIError) -> APIResponse {
        let checks = await readiness.checks()
        let failing = checks.filter { !$0.ok }
        if path.hasPrefix("readyz") || path.hasPrefix("healthz") || path.hasPrefix("livez") {
            if verbose {
                var lines = checks.map { "[\($0.ok ? "+" : "-")]\($0.name) \($0.ok ? "ok" : "failed")" }
                lines.append(failing.isEmpty ? "\(path) check passed" : "\(path) check failed")
                return .text(lines.joined(separator: "\n") + "\n", code: failing.isEmpty ? 200 : 500)
            }
            if !failing.isEmpty && !path.hasPrefix("livez") {
                return .text(failing.map { "[-]\($0.name) failed: reason withheld" }.joined(separator: "\n") + "\n\(path) check failed\n", code: 500)
            }
            return .text("ok")
        }
        throw Self.resourceNotFound
    }
}
