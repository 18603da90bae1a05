import Testing

@testable import APIMachinery

/// Expectations follow `k8s.io/apimachinery/pkg/labels` (parser, `Requirement.Matches`, `Selector.String`).
struct LabelSelectorTests {
    private func parse(_ text: String) throws -> LabelSelector {
        try LabelSelector(parsing: text)
    }

    private func parseError(_ text: String) -> String? {
        do {
            _ = try LabelSelector(parsing: text)
            return nil
        } catch {
            #expect(error.code == 400)
            #expect(error.reason == "BadRequest")
            return error.message
        }
    }

    @Test func emptySelectorSelectsEverything() throws {
        let selector = try parse("")
        #expect(selector.isEmpty)
        #expect(selector.matches([:]))
        #expect(selector.matches(["app": "web"]))
        #expect(selector.description == "")
    }

    @Test func equalityAndInequality() throws {
        let selector = try parse("app=web,tier!=db")
        #expect(selector.matches(["app": "web", "tier": "frontend"]))
        #expect(!selector.matches(["app": "web", "tier": "db"]))
        // A missing key satisfies `!=`, but not `=`.
        #expect(selector.matches(["app": "web"]))
        #expect(!selector.matches(["tier": "frontend"]))
        #expect(try parse("app==web").matches(["app": "web"]))
    }

    @Test func setBasedRequirements() throws {
        let within = try parse("env in (prod, staging)")
        #expect(within.matches(["env": "prod"]))
        #expect(within.matches(["env": "staging"]))
        #expect(!within.matches(["env": "dev"]))
        #expect(!within.matches([:]))

        let outside = try parse("env notin (dev)")
        #expect(outside.matches([:]))
        #expect(outside.matches(["env": "prod"]))
        #expect(!outside.matches(["env": "dev"]))
    }

    @Test func existence() throws {
        #expect(try parse("canary").matches(["canary": ""]))
        #expect(!(try parse("canary").matches([:])))
        #expect(try parse("!canary").matches([:]))
        #expect(!(try parse("!canary").matches(["canary": "true"])))
        #expect(try parse("app,!canary").matches(["app": "x"]))
    }

    @Test func numericComparisons() throws {
        #expect(try parse("replicas>1").matches(["replicas": "2"]))
        #expect(!(try parse("replicas>1").matches(["replicas": "1"])))
        #expect(try parse("replicas<5").matches(["replicas": "4"]))
        // A label that is not an integer, or is missing, never satisfies gt/lt.
        #expect(!(try parse("replicas<5").matches(["replicas": "four"])))
        #expect(!(try parse("replicas<5").matches([:])))
    }

    @Test func emptyValues() throws {
        #expect(try parse("a=").matches(["a": ""]))
        #expect(!(try parse("a=").matches([:])))
        let empty = try parse("a in ()")
        #expect(empty.requirements.first?.values == [""])
        #expect(empty.matches(["a": ""]))
    }

    @Test func canonicalStringSortsByKeyAndValues() throws {
        #expect(try parse("z=1,a in (y,x),!m,k").description == "a in (x,y),k,!m,z=1")
        #expect(try parse("a==b,c!=d,e>3,f<2,g notin (q)").description == "a==b,c!=d,e>3,f<2,g notin (q)")
    }

    @Test func syntaxErrors() {
        #expect(parseError("a b") == "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt")
        #expect(parseError("a=b=c") == "found '=', expected: ',' or 'end of string'")
        #expect(parseError("a,") == "found '', expected: identifier after ','")
        #expect(parseError("=a") == "found '=', expected: !, identifier, or 'end of string'")
        #expect(parseError("a in b") == "unable to parse requirement: found 'b' expected: '('")
        #expect(parseError("a in (b") == "unable to parse requirement: found '', expected: ',' or ')'")
    }

    @Test func invalidKeyUsesKubernetesMessage() {
        #expect(
            parseError("a$=b")
                == "unable to parse requirement: <nil>: Invalid value: \"a$\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        )
    }

    @Test func invalidValueUsesKubernetesMessage() {
        #expect(
            parseError("a=b$")
                == "unable to parse requirement: values[0][a]: Invalid value: \"b$\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        )
        #expect(
            parseError("a>b")
                == "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer")
    }

    @Test func prefixedKeys() throws {
        #expect(try parse("app.kubernetes.io/name=web").matches(["app.kubernetes.io/name": "web"]))
        #expect(LabelSelector.qualifiedNameErrors("Example.com/x") == [
            "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        ])
        #expect(LabelSelector.qualifiedNameErrors("/x") == ["prefix part must be non-empty"])
        #expect(LabelSelector.labelValueErrors(String(repeating: "a", count: 64)) == ["must be no more than 63 characters"])
    }

    @Test func selectorObject() throws {
        let selector = try LabelSelector(object: [
            "matchLabels": ["app": "web"],
            "matchExpressions": [["key": "tier", "operator": "In", "values": ["fe", "be"]], ["key": "canary", "operator": "DoesNotExist"]],
        ])
        #expect(selector.description == "app=web,!canary,tier in (be,fe)")
        #expect(selector.matches(["app": "web", "tier": "fe"]))
        #expect(!selector.matches(["app": "web", "tier": "fe", "canary": "1"]))
        #expect(!selector.matches(["app": "api", "tier": "fe"]))

        let everything = try LabelSelector(object: .emptyObject)
        #expect(everything.isEmpty)
        #expect(everything.matches(["any": "thing"]))

        // A nil selector selects nothing (labels.Nothing()).
        let nothing = try LabelSelector(object: .null)
        #expect(!nothing.isEmpty)
        #expect(!nothing.matches([:]))
    }

    @Test func selectorObjectErrors() {
        #expect(throws: APIError.self) {
            try LabelSelector(object: ["matchExpressions": [["key": "a", "operator": "In", "values": []]]])
        }
        do {
            _ = try LabelSelector(object: ["matchExpressions": [["key": "a", "operator": "Foo"]]])
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "\"Foo\" is not a valid label selector operator")
        }
        do {
            _ = try LabelSelector(object: ["matchExpressions": [["key": "a", "operator": "In", "values": []]]])
        } catch {
            #expect(error.message == "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty")
        }
    }
}
