import Foundation
import Testing

@testable import Controllers

/// How a recommendation becomes the count the autoscaler sets: stabilization windows and rate policies, with and
/// without `behavior`, and the conditions that explain the result.
struct AutoscalerHistoryTests {
    let start = Date(timeIntervalSince1970: 1_000_000)
    let defaultUp = ScalingRules(nil, scaleUp: true)
    let defaultDown = ScalingRules(nil, scaleUp: false)

    @Test func withoutBehaviorAScaleUpAtMostDoubles() {
        var history = AutoscalerHistory()
        let result = history.normalize(current: 3, desired: 20, minReplicas: 1, maxReplicas: 10, now: start)
        #expect(result.replicas == 6)
        #expect(result.conditions.last == .init(type: "ScalingLimited", status: true, reason: "ScaleUpLimit",
            message: "the desired replica count is increasing faster than the maximum scale rate"))
        // From one replica the limit is 4, not 2.
        #expect(history.normalize(current: 1, desired: 20, minReplicas: 1, maxReplicas: 10, now: start).replicas == 4)
    }

    @Test func withoutBehaviorAScaleDownWaitsFiveMinutes() {
        var history = AutoscalerHistory()
        _ = history.normalize(current: 5, desired: 5, minReplicas: 1, maxReplicas: 10, now: start)
        let soon = history.normalize(current: 5, desired: 2, minReplicas: 1, maxReplicas: 10, now: start.addingTimeInterval(60))
        #expect(soon.replicas == 5)
        #expect(soon.conditions.first?.reason == "ScaleDownStabilized")
        let later = history.normalize(current: 5, desired: 2, minReplicas: 1, maxReplicas: 10, now: start.addingTimeInterval(301))
        #expect(later.replicas == 2)
        #expect(later.conditions.first?.reason == "ReadyForNewScale")
    }

    @Test func theDefaultBehaviorAddsFourPodsOrDoublesPerFifteenSeconds() {
        var history = AutoscalerHistory()
        let first = history.normalize(current: 2, desired: 10, minReplicas: 1, maxReplicas: 20, scaleUp: defaultUp, scaleDown: defaultDown, now: start)
        #expect(first.replicas == 6)
        history.recordScale(from: 2, to: 6, scaleUp: defaultUp, scaleDown: defaultDown, now: start)
        // Within the same 15 s the period began at 2: nothing more yet.
        let soon = history.normalize(
            current: 6, desired: 10, minReplicas: 1, maxReplicas: 20, scaleUp: defaultUp, scaleDown: defaultDown, now: start.addingTimeInterval(5))
        #expect(soon.replicas == 6)
        #expect(soon.conditions.last?.reason == "ScaleUpLimit")
        let later = history.normalize(
            current: 6, desired: 20, minReplicas: 1, maxReplicas: 20, scaleUp: defaultUp, scaleDown: defaultDown, now: start.addingTimeInterval(16))
        #expect(later.replicas == 12)
    }

    @Test func aScaleDownWindowKeepsTheHighestRecentRecommendation() {
        let down = ScalingRules(stabilizationWindowSeconds: 20, selectPolicy: "Max", policies: [.init(type: "Percent", value: 100, periodSeconds: 15)])
        var history = AutoscalerHistory()
        _ = history.normalize(current: 5, desired: 5, minReplicas: 2, maxReplicas: 5, scaleUp: defaultUp, scaleDown: down, now: start)
        let held = history.normalize(
            current: 5, desired: 1, minReplicas: 2, maxReplicas: 5, scaleUp: defaultUp, scaleDown: down, now: start.addingTimeInterval(10))
        #expect(held.replicas == 5)
        #expect(held.conditions.first == .init(type: "AbleToScale", status: true, reason: "ScaleDownStabilized",
            message: "recent recommendations were higher than current one, applying the highest recent recommendation"))
        let released = history.normalize(
            current: 5, desired: 1, minReplicas: 2, maxReplicas: 5, scaleUp: defaultUp, scaleDown: down, now: start.addingTimeInterval(21))
        #expect(released.replicas == 2)
        #expect(released.conditions.last == .init(type: "ScalingLimited", status: true, reason: "TooFewReplicas",
            message: "the desired replica count is less than the minimum replica count"))
    }

    @Test func policiesPickTheLeastChangeWithMinAndNoneWhenDisabled() {
        let up = ScalingRules(
            stabilizationWindowSeconds: 0, selectPolicy: "Min",
            policies: [.init(type: "Pods", value: 1, periodSeconds: 60), .init(type: "Percent", value: 100, periodSeconds: 60)])
        var history = AutoscalerHistory()
        #expect(history.normalize(current: 4, desired: 10, minReplicas: 1, maxReplicas: 20, scaleUp: up, scaleDown: defaultDown, now: start).replicas == 5)
        let disabled = ScalingRules(stabilizationWindowSeconds: 0, selectPolicy: "Disabled", policies: [])
        #expect(
            history.normalize(current: 6, desired: 2, minReplicas: 1, maxReplicas: 20, scaleUp: up, scaleDown: disabled, now: start).replicas == 6)
        // A percentage scale-down rounds towards keeping replicas.
        let halve = ScalingRules(stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [.init(type: "Percent", value: 50, periodSeconds: 60)])
        var fresh = AutoscalerHistory()
        #expect(fresh.normalize(current: 5, desired: 1, minReplicas: 1, maxReplicas: 20, scaleUp: up, scaleDown: halve, now: start).replicas == 2)
    }
}
