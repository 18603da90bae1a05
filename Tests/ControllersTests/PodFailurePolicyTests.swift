import APIMachinery
import Testing

@testable import Controllers

@Suite("pod failure policy")
struct PodFailurePolicyTests {
    static let policy = try! JSONValue.parse(
        #"""
        {"rules": [
          {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}},
          {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
          {"action": "Count", "onExitCodes": {"operator": "NotIn", "values": [1, 2]}},
          {"action": "Ignore", "onExitCodes": {"operator": "In", "values": [1]}}
        ]}
        """#)

    func failed(_ exitCodes: [String: Int64], conditions: [JSONValue] = []) -> JSONValue {
        [
            "metadata": ["name": "job-abc12", "namespace": "default"],
            "status": [
                "phase": "Failed", "conditions": .array(conditions),
                "containerStatuses": .array(
                    exitCodes.sorted { $0.key < $1.key }.map { name, code in
                        ["name": .string(name), "state": ["terminated": ["exitCode": .integer(code)]]]
                    }),
            ],
        ]
    }

    @Test func theFirstMatchingRuleDecidesInKubernetesWords() {
        #expect(
            PodFailurePolicy.outcome(of: failed(["main": 42]), policy: Self.policy)
                == .failJob(message: "Container main for pod default/job-abc12 failed with exit code 42 matching FailJob rule at index 0"))
        // Exit code 42 in another container is not the FailJob rule's: NotIn [1, 2] counts it.
        #expect(PodFailurePolicy.outcome(of: failed(["sidecar": 42]), policy: Self.policy) == .count)
        #expect(PodFailurePolicy.outcome(of: failed(["main": 1]), policy: Self.policy) == .ignore)
        let evicted = failed(["main": 137], conditions: [["type": "DisruptionTarget", "status": "True"]])
        #expect(PodFailurePolicy.outcome(of: evicted, policy: Self.policy) == .ignore)
    }

    @Test func noMatchingRuleCountsAndExitCodeZeroMatchesNothing() {
        #expect(PodFailurePolicy.outcome(of: failed(["main": 2]), policy: Self.policy) == .count)
        let onlyZero = try! JSONValue.parse(#"{"rules": [{"action": "FailJob", "onExitCodes": {"operator": "NotIn", "values": [5]}}]}"#)
        #expect(PodFailurePolicy.outcome(of: failed(["main": 0]), policy: onlyZero) == .count)
        #expect(PodFailurePolicy.outcome(of: failed(["main": 3]), policy: nil) == .count)
        let notTrue = failed(["main": 1], conditions: [["type": "DisruptionTarget", "status": "False"]])
        let conditionOnly = try! JSONValue.parse(#"{"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}"#)
        #expect(PodFailurePolicy.outcome(of: notTrue, policy: conditionOnly) == .count)
    }
}
