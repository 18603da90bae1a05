import APIMachinery
import Foundation
import Testing

@testable import APIRegistry

@Suite struct OpenAPITests {
    static let documents = OpenAPIDocuments()

    private func document(_ path: String) throws -> JSONValue {
        let bytes = try #require(Self.documents.v3Document(path: path))
        return try JSONValue.parse(bytes)
    }

    @Test func indexPointsAtEveryGroupVersionWithAHash() throws {
        let paths = try #require(Self.documents.v3Index()["paths"]?.objectValue)
        for path in ["api/v1", "apis/apps/v1", "apis/batch/v1", "apis/autoscaling/v1", "apis/autoscaling/v2", "apis/networking.k8s.io/v1"] {
            let url = try #require(paths[path]?["serverRelativeURL"]?.stringValue, "\(path)")
            #expect(url.hasPrefix("/openapi/v3/\(path)?hash="))
            let hash = url.split(separator: "=").last.map(String.init) ?? ""
            #expect(hash.count == 16 && hash.allSatisfy { $0.isHexDigit && !$0.isLowercase })
        }
        #expect(paths["apis/metrics.k8s.io/v1beta1"] == nil)
    }

    @Test func hashesAreStableAndFollowTheContent() throws {
        let other = OpenAPIDocuments()
        #expect(other.v3Index() == Self.documents.v3Index())
        #expect(ContentDigest.hex(Array("a".utf8)) != ContentDigest.hex(Array("b".utf8)))
        #expect(ContentDigest.hex([]) == "CBF29CE484222325")
    }

    @Test func deploymentPatchCarriesWhatKubectlApplyLooksFor() throws {
        let apps = try document("apis/apps/v1")
        #expect(apps["openapi"] == "3.0.0")
        let patch = try #require(apps[path: "paths", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "patch"])
        #expect(patch["x-kubernetes-action"] == "patch")
        #expect(patch["x-kubernetes-group-version-kind"] == ["group": "apps", "version": "v1", "kind": "Deployment"])
        let parameters = try #require(patch["parameters"]?.arrayValue)
        let fieldValidation = try #require(parameters.first { $0["name"] == "fieldValidation" })
        #expect(fieldValidation["in"] == "query")
        #expect(fieldValidation["schema"]?["type"] == "string")
        #expect(!parameters.contains { $0["in"] == "body" })
        let content = try #require(patch[path: "requestBody", "content"]?.objectValue)
        #expect(
            Set(content.keys) == [
                "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json",
                "application/apply-patch+yaml",
            ])
        #expect(content["application/strategic-merge-patch+json"]?[path: "schema", "$ref"] == "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch")
        let ok = try #require(patch[path: "responses", "200", "content", "application/json", "schema", "$ref"])
        #expect(ok == "#/components/schemas/io.k8s.api.apps.v1.Deployment")
    }

    @Test func schemasAreReachableAndKeepTheirExtensions() throws {
        let apps = try document("apis/apps/v1")
        let schemas = try #require(apps[path: "components", "schemas"]?.objectValue)
        let deployment = try #require(schemas["io.k8s.api.apps.v1.Deployment"])
        #expect(deployment["x-kubernetes-group-version-kind"] == [["group": "apps", "kind": "Deployment", "version": "v1"]])
        #expect(deployment[path: "properties", "spec", "allOf"] == [["$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"]])
        #expect(deployment[path: "properties", "spec", "description"]?.stringValue?.isEmpty == false)
        let containers = try #require(schemas["io.k8s.api.core.v1.PodSpec"]?[path: "properties", "containers"])
        #expect(containers["x-kubernetes-patch-merge-key"] == "name")
        #expect(containers["x-kubernetes-patch-strategy"] == "merge")
        #expect(containers[path: "items", "$ref"] == "#/components/schemas/io.k8s.api.core.v1.Container")
        #expect(schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]?["oneOf"] == [["type": "integer"], ["type": "string"]])
        #expect(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"] != nil)
        #expect(schemas["io.k8s.api.core.v1.Pod"] == nil)
        let text = String(decoding: try #require(Self.documents.v3Document(path: "apis/apps/v1")), as: UTF8.self)
        #expect(!text.contains("#/definitions/"))
        #expect(!text.contains("cbor"))
        #expect(apps[path: "components", "securitySchemes", "BearerToken", "type"] == "apiKey")
    }

    @Test func coreDocumentHasOnlyCorePaths() throws {
        let core = try document("/api/v1")
        let paths = try #require(core["paths"]?.objectValue)
        #expect(paths.keys.allSatisfy { $0.hasPrefix("/api/v1/") })
        let create = try #require(core[path: "paths", "/api/v1/namespaces/{namespace}/pods", "post"])
        #expect(create[path: "requestBody", "content", "*/*", "schema", "$ref"] == "#/components/schemas/io.k8s.api.core.v1.Pod")
        let list = try #require(core[path: "paths", "/api/v1/namespaces/{namespace}/pods", "get", "responses", "200", "content"]?.objectValue)
        #expect(list["application/json;stream=watch"] != nil)
        #expect(Self.documents.v3Document(path: "apis/example.com/v1") == nil)
    }

    @Test func documentsCanBeCachedOnDisk() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-openapi-test-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = OpenAPIDocuments(cacheDirectory: directory)
        let index = first.v3Index()
        #expect(index == Self.documents.v3Index())
        let second = OpenAPIDocuments(cacheDirectory: directory)
        #expect(second.v3Index() == index)
        #expect(second.v3Document(path: "apis/batch/v1") == Self.documents.v3Document(path: "apis/batch/v1"))
    }

    @Test func v2DocumentIsTheBundledSpec() throws {
        let spec = try JSONValue.parse(Self.documents.v2Document())
        #expect(spec["swagger"] == "2.0")
        #expect(spec[path: "definitions", "io.k8s.api.apps.v1.Deployment"] != nil)
    }
}
