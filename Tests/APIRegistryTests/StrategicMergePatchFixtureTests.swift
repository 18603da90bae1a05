import APIMachinery
import Testing

@testable import APIRegistry

/// Kubernetes' own raw strategic merge patch test cases, run against the test type they were written for.
@Suite struct StrategicMergePatchFixtureTests {
    struct Fixture: Sendable, CustomStringConvertible {
        var description: String
        var original: String
        var twoWay: String
        var modified: String
        var current: String
        var threeWay: String
        var result: String
        var twoWayResult: String?
    }

    /// `mergeItem` of k8s.io/apimachinery's strategicpatch testdata/swagger-merge-item.json, in the compact form.
    static let schema = APISchema(
        compactSchema: [
            "mergeItem\tfake-group/some-version/mergeItem\t\tname=s;value=s;other=s;"
                + "mergingList=[@mergeItem|k=name|s=merge;nonMergingList=[@mergeItem;"
                + "mergingIntList=[i|s=merge;nonMergingIntList=[i;simpleMap={s;replacingItem=x|s=replace;"
                + "retainKeysMap=@retainKeysMergeItem|s=retainKeys;"
                + "retainKeysMergingList=[@mergeItem|k=name|s=merge,retainKeys",
            "retainKeysMergeItem\t\t\tname=s;value=s;other=s;simpleMap={s;"
                + "mergingList=[@mergeItem|k=name|s=merge;nonMergingList=[@mergeItem;mergingIntList=[i|s=merge",
        ].joined(separator: "\n"))

    static func json(_ text: String) throws -> JSONValue {
        try JSONValue.parse(text)
    }

    static func apply(_ patch: JSONValue, to original: JSONValue) throws -> JSONValue {
        try StrategicMergePatch.apply(
            patch, to: original, group: "fake-group", version: "some-version", kind: "mergeItem", schema: schema)
    }

    @Test(arguments: fixtures)
    func twoWayPatchIsComputedAsKubernetesDoes(_ fixture: Fixture) throws {
        let patch = try StrategicMergePatch.createTwoWay(
            original: Self.json(fixture.original), modified: Self.json(fixture.modified), group: "fake-group",
            version: "some-version", kind: "mergeItem", schema: Self.schema)
        #expect(patch == (try Self.json(fixture.twoWay)))
    }

    @Test(arguments: fixtures)
    func twoWayPatchAppliesToTheOriginal(_ fixture: Fixture) throws {
        let result = try Self.apply(Self.json(fixture.twoWay), to: Self.json(fixture.original))
        #expect(result == (try Self.json(fixture.twoWayResult ?? fixture.modified)))
    }

    @Test(arguments: fixtures)
    func threeWayPatchAppliesToTheLiveObject(_ fixture: Fixture) throws {
        let result = try Self.apply(Self.json(fixture.threeWay), to: Self.json(fixture.current))
        #expect(result == (try Self.json(fixture.result)))
    }
}
