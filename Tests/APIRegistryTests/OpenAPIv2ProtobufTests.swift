import APIMachinery
import Foundation
import Testing

@testable import APIRegistry

/// The `/openapi/v2` protobuf form, compared with what kube-apiserver's Go pipeline writes for the same documents.
@Suite struct OpenAPIv2ProtobufTests {
    @Test func documentsEncodeAsTheGoPipelineEncodesThem() throws {
        for golden in openAPIv2GoldenCases {
            let (bytes, problems) = OpenAPIv2Protobuf.encodeReportingProblems(try JSONValue.parse(Array(golden.json.utf8)))
            #expect(bytes.map { String(format: "%02x", $0) }.joined() == golden.hex, "\(golden.name)")
            #expect(!problems.isEmpty == golden.hasProblems, "\(golden.name): \(problems)")
        }
    }

    @Test func problemsAreLocatedByJSONPointer() {
        let document: JSONValue = [
            "swagger": "2.0", "info": ["title": "t", "version": "v"],
            "paths": ["/a/b": ["get": ["responses": .emptyObject, "bogus": true]]],
        ]
        #expect(OpenAPIv2Protobuf.encodeReportingProblems(document).problems == ["#/paths/~1a~1b/get: has invalid property: bogus"])
    }

    @Test func theBundledSpecEncodesWithoutProblems() throws {
        let documents = OpenAPIDocuments()
        let (bytes, problems) = OpenAPIv2Protobuf.encodeReportingProblems(try JSONValue.parse(documents.v2Document()))
        #expect(problems.isEmpty)
        #expect(documents.v2ProtobufDocument() == bytes)
        // Field 1 (swagger), a string: "2.0".
        #expect(Array(bytes.prefix(5)) == [0x0a, 0x03, 0x32, 0x2e, 0x30])
    }
}
