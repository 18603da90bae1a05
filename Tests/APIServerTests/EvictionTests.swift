import APIMachinery
import KubeObjects
import Foundation
import Testing

@testable import APIServer

@Suite("eviction decisions")
struct EvictionTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func pod(phase: String = "Running", ready: Bool = true, labels: JSONValue = ["app": "web"]) -> JSONValue {
        [
            "metadata": ["name": "web-1", "namespace": "dev", "labels": labels],
            "status": ["phase": .string(phase), "conditions": [["type": "Ready", "status": ready ? "True" : "False"]]],
        ]
    }

    static func budget(
        _ name: String = "web", namespace: String = "dev", selector: JSONValue? = ["matchLabels": ["app": "web"]], allowed: Int64 = 1,
        current: Int64 = 2, desired: Int64 = 1, generation: Int64 = 1, observed: Int64 = 1
    ) -> JSONValue {
        var budget: JSONValue = [
            "metadata": ["name": .string(name), "namespace": .string(namespace), "generation": .integer(generation)],
            "spec": ["minAvailable": 1],
            "status": [
                "disruptionsAllowed": .integer(allowed), "currentHealthy": .integer(current), "desiredHealthy": .integer(desired),
                "expectedPods": .integer(current), "observedGeneration": .integer(observed),
            ],
        ]
        if let selector { budget[path: "spec", "selector"] = selector }
        return budget
    }

    @Test func finishedPendingAndTerminatingPodsNeedNoBudget() {
        #expect(Eviction.canIgnoreBudgets(Self.pod(phase: "Succeeded")))
        #expect(Eviction.canIgnoreBudgets(Self.pod(phase: "Failed")))
        #expect(Eviction.canIgnoreBudgets(Self.pod(phase: "Pending")))
        var terminating = Self.pod()
        terminating[path: "metadata", "deletionTimestamp"] = "2026-01-01T00:00:00Z"
        #expect(Eviction.canIgnoreBudgets(terminating))
        #expect(!Eviction.canIgnoreBudgets(Self.pod()))
        #expect(!Eviction.canIgnoreBudgets(Self.pod(phase: "Unknown")))
        // Only a pending pod could still become ready while its deletion is under way.
        #expect(Eviction.pinsRevision(Self.pod(phase: "Pending")))
        #expect(!Eviction.pinsRevision(Self.pod(phase: "Succeeded")))
        #expect(!Eviction.pinsRevision(terminating))
    }

    @Test func budgetsCoverPodsTheirSelectorMatchesInTheSameNamespace() {
        let budgets = [
            Self.budget("match"), Self.budget("elsewhere", namespace: "prod"), Self.budget("other", selector: ["matchLabels": ["app": "db"]]),
            Self.budget("no-selector", selector: nil), Self.budget("everything", selector: .emptyObject),
            Self.budget("expression", selector: ["matchExpressions": [["key": "app", "operator": "In", "values": ["web", "api"]]]]),
            Self.budget("invalid", selector: ["matchExpressions": [["key": "app", "operator": "Near"]]]),
        ]
        #expect(Eviction.budgets(covering: Self.pod(), among: budgets).map(\.metadata.name) == ["match", "everything", "expression"])
        #expect(Eviction.budgets(covering: Self.pod(labels: .emptyObject), among: budgets).map(\.metadata.name) == ["everything"])
    }

    @Test func podReadinessIsItsReadyCondition() {
        #expect(Eviction.isReady(Self.pod()))
        #expect(!Eviction.isReady(Self.pod(ready: false)))
        #expect(!Eviction.isReady(["status": ["phase": "Running"]]))
    }

    @Test func unreadyPodsGoFreelyUnderAHealthyBudgetOrAlwaysAllow() {
        #expect(Eviction.unreadyPodMayGo(budget: Self.budget(allowed: 0, current: 1, desired: 1)))
        #expect(!Eviction.unreadyPodMayGo(budget: Self.budget(allowed: 0, current: 0, desired: 1)))
        // A budget that wants no healthy pods has not been computed: the pod goes through the budget check.
        #expect(!Eviction.unreadyPodMayGo(budget: Self.budget(current: 0, desired: 0)))
        var alwaysAllow = Self.budget(allowed: 0, current: 0, desired: 3)
        alwaysAllow[path: "spec", "unhealthyPodEvictionPolicy"] = "AlwaysAllow"
        #expect(Eviction.unreadyPodMayGo(budget: alwaysAllow))
    }

    @Test func spendingTakesOneDisruptionAndRecordsThePod() throws {
        let spent = try Eviction.spend(Self.budget(allowed: 2), on: "web-1", now: Self.now)
        #expect(spent[path: "status", "disruptionsAllowed"] == 1)
        #expect(spent[path: "status", "disruptedPods"] == ["web-1": .string(KubeTime.format(Self.now))])
        #expect(spent[path: "status", "conditions"] == nil)
    }

    @Test func spendingTheLastDisruptionMarksTheBudgetInsufficient() throws {
        let spent = try Eviction.spend(Self.budget(allowed: 1), on: "web-1", now: Self.now)
        #expect(spent[path: "status", "disruptionsAllowed"] == 0)
        #expect(
            spent[path: "status", "conditions"] == [
                [
                    "type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods", "message": "", "observedGeneration": 1,
                    "lastTransitionTime": .string(KubeTime.format(Self.now)),
                ]
            ])
    }

    @Test func anExhaustedBudgetRefusesWithItsNumbers() {
        let error = #expect(throws: APIError.self) { try Eviction.spend(Self.budget(allowed: 0, current: 3, desired: 3), on: "web-1", now: Self.now) }
        #expect(error?.code == 429)
        #expect(error?.reason == "TooManyRequests")
        #expect(error?.message == "Cannot evict pod as it would violate the pod's disruption budget.")
        #expect(error?.causes == [StatusCause(type: "DisruptionBudget", message: "The disruption budget web needs 3 healthy pods and has 3 currently", field: "")])
        #expect(error?.retryAfterSeconds == nil)
    }

    @Test func aBudgetItsControllerHasNotSeenAsksForARetry() {
        let error = #expect(throws: APIError.self) { try Eviction.spend(Self.budget(generation: 2, observed: 1), on: "web-1", now: Self.now) }
        #expect(error?.code == 429)
        #expect(error?.retryAfterSeconds == 10)
        #expect(error?.causes.first?.message == "The disruption budget web is still being processed by the server.")
    }

    @Test func brokenBudgetsAreForbidden() {
        let negative = #expect(throws: APIError.self) { try Eviction.spend(Self.budget(allowed: -1), on: "web-1", now: Self.now) }
        #expect(negative?.message == #"poddisruptionbudget.policy "web" is forbidden: pdb disruptions allowed is negative"#)
        var crowded = Self.budget(allowed: 5)
        crowded[path: "status", "disruptedPods"] = .object(Dictionary(uniqueKeysWithValues: (0...Eviction.maximumDisruptedPods).map { ("p\($0)", "2026-01-01T00:00:00Z") }))
        let tooMany = #expect(throws: APIError.self) { try Eviction.spend(crowded, on: "web-1", now: Self.now) }
        #expect(tooMany?.code == 403)
        #expect(tooMany?.message.hasSuffix("DisruptedPods map too big - too many evictions not confirmed by PDB controller") == true)
    }

    @Test func theDisruptionTargetConditionKeepsItsFirstTransitionTime() {
        let marked = Eviction.markedForDisruption(Self.pod(), now: Self.now)
        let conditions = marked[path: "status", "conditions"]?.arrayValue ?? []
        #expect(conditions.count == 2)
        #expect(
            conditions.last == [
                "type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI", "message": "Eviction API: evicting",
                "lastProbeTime": nil, "lastTransitionTime": .string(KubeTime.format(Self.now)),
            ])
        // Marking again later changes nothing, so no write is needed.
        #expect(Eviction.markedForDisruption(marked, now: Self.now.addingTimeInterval(60)) == marked)
    }

    @Test func aSuggestedRetryDelayBecomesARetryAfterHeader() {
        guard case .json(let code, _, let headers) = APIResponse.error(Eviction.stillProcessing(budget: "web")) else {
            Issue.record("an error answers with JSON")
            return
        }
        #expect(code == 429)
        #expect(headers == ["retry-after": "10"])
        guard case .json(_, _, let none) = APIResponse.error(APIError.notFound(GroupResource(group: "", resource: "pods"), name: "x")) else { return }
        #expect(none.isEmpty)
    }
}
