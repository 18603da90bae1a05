import KubeObjects
import Testing

@testable import Authorization

/// The escalation check's coverage of rules, as upstream's `validation.Covers` tests decide it.
struct RuleCoverageTests {
    @Test func broaderRulesCoverNarrowerOnes() {
        let owner = [PolicyRule(verbs: ["*"], apiGroups: ["apps"], resources: ["deployments", "*/scale"])]
        #expect(RuleCoverage.uncovered(by: owner, [PolicyRule(verbs: ["get", "delete"], apiGroups: ["apps"], resources: ["deployments"])]).isEmpty)
        #expect(RuleCoverage.uncovered(by: owner, [PolicyRule(verbs: ["update"], apiGroups: ["apps"], resources: ["statefulsets/scale"])]).isEmpty)
        let missing = RuleCoverage.uncovered(by: owner, [PolicyRule(verbs: ["get"], apiGroups: ["apps", ""], resources: ["deployments"])])
        #expect(missing == [PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["deployments"])])
    }

    @Test func namedGrantsDoNotCoverUnnamedOnes() {
        let owner = [PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["a"])]
        #expect(RuleCoverage.uncovered(by: owner, [PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["a"])]).isEmpty)
        #expect(RuleCoverage.uncovered(by: owner, [PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["secrets"])]).count == 1)
        #expect(RuleCoverage.uncovered(by: owner, [PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["b"])]).count == 1)
    }

    @Test func urlsAreCoveredByPrefixes() {
        let owner = [PolicyRule(verbs: ["get"], nonResourceURLs: ["/metrics*"])]
        #expect(RuleCoverage.uncovered(by: owner, [PolicyRule(verbs: ["get"], nonResourceURLs: ["/metrics/cadvisor"])]).isEmpty)
        #expect(RuleCoverage.uncovered(by: owner, [PolicyRule(verbs: ["get"], nonResourceURLs: ["/logs"])]).count == 1)
    }

    @Test func escalationMessagesNameTheUserGroupsAndMissingRules() {
        let missing = [
            PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["secrets"]), PolicyRule(verbs: ["list"], apiGroups: [""], resources: ["secrets"]),
            PolicyRule(verbs: ["get"], nonResourceURLs: ["/logs"]),
        ]
        let message = RuleCoverage.escalationMessage(user: "alice", groups: ["devs", "system:authenticated"], missing: missing)
        #expect(
            message == """
                user "alice" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:
                {APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}
                {NonResourceURLs:["/logs"], Verbs:["get"]}
                """)
    }
}
