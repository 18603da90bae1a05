import APIMachinery
import Testing

@Suite("JSON")
struct JSONValueTests {
    @Test func parsesEveryJSONTypeAndKeepsIntegersApartFromFractions() throws {
        let value = try JSONValue.parse(#"{"a": 3, "b": 2.5, "c": "x\u00e9\n", "d": [true, false, null], "e": {}, "f": -12e2}"#)
        #expect(value["a"] == .integer(3))
        #expect(value["b"] == .double(2.5))
        #expect(value["c"] == .string("xé\n"))
        #expect(value["d"] == [true, false, nil])
        #expect(value["e"] == .emptyObject)
        #expect(value["f"] == .double(-1200))
    }

    @Test func serializesCompactlyWithSortedKeysLikeGo() throws {
        let value: JSONValue = ["b": 1, "a": ["x": "<tag> & \"q\""], "c": 1.5]
        #expect(value.serializedString() == #"{"a":{"x":"\u003ctag\u003e \u0026 \"q\""},"b":1,"c":1.5}"#)
    }

    @Test func roundTripsSurrogatePairsAndControlCharacters() throws {
        let text = #"{"emoji":"\ud83d\ude00","tab":"a\tb","nul":"\u0000"}"#
        let value = try JSONValue.parse(text)
        #expect(value["emoji"] == .string("😀"))
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    @Test(arguments: [
        ("", "unexpected end of JSON input"),
        ("{", "unexpected end of JSON input"),
        ("{\"a\" 1}", "invalid character '1' after object key"),
        ("[1,]", "invalid character ']' looking for beginning of value"),
        ("tru", "unexpected end of JSON input"),
        ("{} x", "invalid character 'x' after top-level value"),
        ("\"\\q\"", "invalid character 'q' in string escape code"),
        ("01", "invalid character '1' after top-level value"),
    ])
    func rejectsMalformedInputWithGoLikeMessages(input: String, message: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(input) }
        do {
            _ = try JSONValue.parse(input)
        } catch {
            #expect(error.message == message)
        }
    }

    @Test func refusesNestingDeeperThanTheLimitInsteadOfCrashing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
    }

    @Test func nestedPathsCreateIntermediateObjects() {
        var object: JSONValue = [:]
        object[path: "metadata", "labels", "app"] = "web"
        #expect(object.serializedString() == #"{"metadata":{"labels":{"app":"web"}}}"#)
        object[path: "metadata", "labels", "app"] = nil
        #expect(object[path: "metadata", "labels"] == .emptyObject)
    }
}
