import Testing

@testable import APIRegistry

@Suite struct DuplicateFieldTests {
    @Test func duplicateKeysAreReportedWithTheirPath() {
        let body = #"{"metadata":{"name":"a","name":"b","labels":{"x":"1","x":"2"}},"spec":{"containers":[{"name":"c","image":"i","image":"j"}]},"kind":"Pod","kind":"Pod"}"#
        #expect(
            APISchema.duplicateFields(in: Array(body.utf8)) == [
                "duplicate field \"metadata.name\"",
                "duplicate field \"metadata.labels.x\"",
                "duplicate field \"spec.containers[0].image\"",
                "duplicate field \"kind\"",
            ])
    }

    @Test func escapedKeysAreComparedDecoded() {
        #expect(APISchema.duplicateFields(in: Array(#"{"a":1,"\u0061":2,"b":[1,{"c":"}"}]}"#.utf8)) == ["duplicate field \"a\""])
        #expect(APISchema.duplicateFields(in: Array(#"{"a":{"b":1},"c":{"b":2}}"#.utf8)) == [])
    }
}
