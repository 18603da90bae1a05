import APIMachinery
import Foundation
import Testing

@testable import Controllers

@Suite("taint eviction decisions")
struct TaintEvictionTests {
    let now = Date(timeIntervalSince1970: 1_000_000)
    var unreachable: Taint { Taint(key: Taint.unreachable, effect: "NoExecute", timeAdded: KubeTime.format(now)) }

    @Test func anUntoleratedNoExecuteTaintEvictsAtOnce() {
        #expect(TaintEviction.decision(tolerations: [], taints: [unreachable], now: now) == .evictNow)
    }

    @Test func noScheduleTaintsNeverEvict() {
        let taint = Taint(key: "dedicated", value: "gpu", effect: "NoSchedule")
        #expect(TaintEviction.decision(tolerations: [], taints: [taint], now: now) == .keep)
    }

    @Test func tolerationSecondsDelayTheEvictionFromWhenTheTaintWasAdded() {
        let toleration: JSONValue = ["key": .string(Taint.unreachable), "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300]
        #expect(TaintEviction.decision(tolerations: [toleration], taints: [unreachable], now: now) == .evict(at: now.addingTimeInterval(300)))
        #expect(TaintEviction.decision(tolerations: [toleration], taints: [unreachable], now: now.addingTimeInterval(301)) == .evictNow)
    }

    @Test func theShortestMatchingTolerationWinsAndOneWithoutSecondsToleratesForever() {
        let short: JSONValue = ["operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5]
        let long: JSONValue = ["key": .string(Taint.unreachable), "operator": "Exists", "tolerationSeconds": 60]
        #expect(TaintEviction.decision(tolerations: [short, long], taints: [unreachable], now: now) == .evict(at: now.addingTimeInterval(5)))
        let forever: JSONValue = ["key": .string(Taint.unreachable), "operator": "Exists"]
        #expect(TaintEviction.decision(tolerations: [forever], taints: [unreachable], now: now) == .keep)
    }

    @Test func equalOperatorComparesValues() {
        let taint = Taint(key: "dedicated", value: "gpu", effect: "NoExecute")
        #expect(taint.isTolerated(by: ["key": "dedicated", "value": "gpu"]))
        #expect(!taint.isTolerated(by: ["key": "dedicated", "value": "cpu"]))
        #expect(!taint.isTolerated(by: ["key": "dedicated", "value": "gpu", "effect": "NoSchedule"]))
    }
}

@Suite("disruption budget arithmetic")
struct DisruptionBudgetTests {
    @Test func integerMinAvailable() {
        let counts = DisruptionBudget.counts(spec: ["minAvailable": 2], healthy: 3, expected: 3)
        #expect(counts == .init(expectedPods: 3, currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 1))
    }

    @Test func percentagesRoundUpAsKubernetes() {
        #expect(DisruptionBudget.counts(spec: ["minAvailable": "50%"], healthy: 3, expected: 3).desiredHealthy == 2)
        let byUnavailable = DisruptionBudget.counts(spec: ["maxUnavailable": "34%"], healthy: 3, expected: 3)
        #expect(byUnavailable.desiredHealthy == 1 && byUnavailable.disruptionsAllowed == 2)
    }

    @Test func neverNegative() {
        #expect(DisruptionBudget.counts(spec: ["minAvailable": 5], healthy: 2, expected: 2).disruptionsAllowed == 0)
    }
}
