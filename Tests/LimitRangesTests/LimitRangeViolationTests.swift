import Testing

@testable import LimitRanges

/// The message Kubernetes' error aggregate prints.
struct LimitRangeViolationTests {
    @Test(arguments: [
        (["a"], "a"),
        (["a", "b"], "[a, b]"),
        (["a", "a"], "a"),
        (["a", "b", "a"], "[a, b]"),
    ])
    func messagesAggregateAsKubernetesPrintsThem(messages: [String], expected: String) {
        #expect(LimitRangeViolation(messages).message == expected)
    }
}
