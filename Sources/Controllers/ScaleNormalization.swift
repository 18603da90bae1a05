import APIMachinery
import Foundation

/// A `behavior.scaleUp` or `behavior.scaleDown` of an autoscaling/v2 HorizontalPodAutoscaler, defaults applied.
struct ScalingRules: Sendable, Equatable {
    struct Policy: Sendable, Equatable {
        /// `Pods` or `Percent`.
        var type: String
        var value: Int32
        var periodSeconds: Int32
    }

    var stabilizationWindowSeconds: Int32?
    /// `Max`, `Min` or `Disabled`.
    var selectPolicy: String
    var policies: [Policy]

    init(stabilizationWindowSeconds: Int32?, selectPolicy: String, policies: [Policy]) {
        self.stabilizationWindowSeconds = stabilizationWindowSeconds
        self.selectPolicy = selectPolicy
        self.policies = policies
    }

    /// From the API object's rules; what the API server's defaulting leaves out is filled as it would be.
    init(_ json: JSONValue?, scaleUp: Bool) {
        stabilizationWindowSeconds = json?["stabilizationWindowSeconds"]?.integerValue.map { Int32(clamping: $0) } ?? (scaleUp ? 0 : nil)
        selectPolicy = json?["selectPolicy"]?.stringValue ?? "Max"
        let policies = (json?["policies"]?.arrayValue ?? []).map {
            Policy(
                type: $0["type"]?.stringValue ?? "", value: Int32(clamping: $0["value"]?.integerValue ?? 0),
                periodSeconds: Int32(clamping: $0["periodSeconds"]?.integerValue ?? 0))
        }
        if !policies.isEmpty || json?["policies"] != nil {
            self.policies = policies
        } else if scaleUp {
            self.policies = [Policy(type: "Pods", value: 4, periodSeconds: 15), Policy(type: "Percent", value: 100, periodSeconds: 15)]
        } else {
            self.policies = [Policy(type: "Percent", value: 100, periodSeconds: 15)]
        }
    }
}

/// What the autoscaler remembers of one HorizontalPodAutoscaler between syncs (upstream keeps it in maps keyed by
/// the autoscaler): its recent recommendations, for stabilization, and its recent scale changes, for the rate
/// policies. `normalize` turns a recommendation into the replica count to set, with the conditions that explain it.
struct AutoscalerHistory: Sendable {
    struct Recommendation: Sendable {
        var replicas: Int32
        var time: Date
    }

    struct ScaleEvent: Sendable {
        var change: Int32
        var time: Date
        var outdated = false
    }

    /// A condition as the controller sets it: type, whether it holds, reason, message.
    struct ConditionUpdate: Sendable, Equatable {
        var type: String
        var status: Bool
        var reason: String
        var message: String
    }

    struct Normalized: Sendable, Equatable {
        var replicas: Int32
        var conditions: [ConditionUpdate]
    }

    /// The scale-down stabilization window without `behavior` (`--horizontal-pod-autoscaler-downscale-stabilization`).
    static let downscaleStabilizationWindow: TimeInterval = 300
    /// Without `behavior`, a scale-up goes at most to twice the replicas, or 4.
    static let scaleUpLimitFactor = 2.0
    static let scaleUpLimitMinimum = 4.0

    private(set) var recommendations: [Recommendation] = []
    private(set) var scaleUpEvents: [ScaleEvent] = []
    private(set) var scaleDownEvents: [ScaleEvent] = []

    // MARK: without behavior

    /// Upstream's `normalizeDesiredReplicas`: the highest recommendation of the last 5 minutes, within min and max
    /// and at most twice the current count (or 4).
    mutating func normalize(current: Int32, desired: Int32, minReplicas: Int32, maxReplicas: Int32, now: Date) -> Normalized {
        let stabilized = stabilizeWithoutBehavior(desired, now: now)
        var conditions: [ConditionUpdate] = [
            stabilized != desired
                ? ConditionUpdate(
                    type: "AbleToScale", status: true, reason: "ScaleDownStabilized",
                    message: "recent recommendations were higher than current one, applying the highest recent recommendation")
                : ConditionUpdate(type: "AbleToScale", status: true, reason: "ReadyForNewScale", message: "recommended size matches current size")
        ]
        let scaleUpLimit = Int32(max(Self.scaleUpLimitFactor * Double(current), Self.scaleUpLimitMinimum))
        let (maximum, limitReason, limitMessage) =
            maxReplicas > scaleUpLimit
            ? (scaleUpLimit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
            : (maxReplicas, "TooManyReplicas", "the desired replica count is more than the maximum replica count")
        var replicas = stabilized
        var limit = ("DesiredWithinRange", "the desired count is within the acceptable range")
        if stabilized < minReplicas {
            replicas = minReplicas
            limit = ("TooFewReplicas", "the desired replica count is less than the minimum replica count")
        } else if stabilized > maximum {
            replicas = maximum
            limit = (limitReason, limitMessage)
        }
        conditions.append(ConditionUpdate(type: "ScalingLimited", status: replicas != stabilized, reason: limit.0, message: limit.1))
        return Normalized(replicas: replicas, conditions: conditions)
    }

    private mutating func stabilizeWithoutBehavior(_ desired: Int32, now: Date) -> Int32 {
        var highest = desired
        var oldIndex: Int?
        let cutoff = now.addingTimeInterval(-Self.downscaleStabilizationWindow)
        for (index, recommendation) in recommendations.enumerated() {
            if recommendation.time < cutoff {
                oldIndex = index
            } else {
                highest = max(highest, recommendation.replicas)
            }
        }
        record(Recommendation(replicas: desired, time: now), replacing: oldIndex)
        return highest
    }

    // MARK: with behavior

    /// Upstream's `normalizeDesiredReplicasWithBehaviors`: stabilized within each direction's window, then held to
    /// the rate its policies allow and to min and max.
    mutating func normalize(
        current: Int32, desired: Int32, minReplicas: Int32, maxReplicas: Int32, scaleUp: ScalingRules, scaleDown: ScalingRules, now: Date
    ) -> Normalized {
        var scaleDown = scaleDown
        if scaleDown.stabilizationWindowSeconds == nil { scaleDown.stabilizationWindowSeconds = Int32(Self.downscaleStabilizationWindow) }
        let stabilized = stabilize(current: current, desired: desired, upWindow: scaleUp.stabilizationWindowSeconds ?? 0,
            downWindow: scaleDown.stabilizationWindowSeconds ?? 0, now: now)
        var conditions: [ConditionUpdate] = []
        if stabilized != desired {
            conditions.append(
                desired >= current
                    ? ConditionUpdate(
                        type: "AbleToScale", status: true, reason: "ScaleUpStabilized",
                        message: "recent recommendations were lower than current one, applying the lowest recent recommendation")
                    : ConditionUpdate(
                        type: "AbleToScale", status: true, reason: "ScaleDownStabilized",
                        message: "recent recommendations were higher than current one, applying the highest recent recommendation"))
        } else {
            conditions.append(ConditionUpdate(type: "AbleToScale", status: true, reason: "ReadyForNewScale", message: "recommended size matches current size"))
        }
        var replicas = stabilized
        var limit = ("DesiredWithinRange", "the desired count is within the acceptable range")
        if stabilized > current {
            let scaleUpLimit = max(limitUp(current: current, rules: scaleUp, now: now), current)
            let (maximum, reason, message) =
                maxReplicas > scaleUpLimit
                ? (scaleUpLimit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
                : (maxReplicas, "TooManyReplicas", "the desired replica count is more than the maximum replica count")
            if stabilized > maximum {
                replicas = maximum
                limit = (reason, message)
            }
        } else if stabilized < current {
            let scaleDownLimit = min(limitDown(current: current, rules: scaleDown, now: now), current)
            let (minimum, reason, message) =
                minReplicas < scaleDownLimit
                ? (scaleDownLimit, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
                : (minReplicas, "TooFewReplicas", "the desired replica count is less than the minimum replica count")
            if stabilized < minimum {
                replicas = minimum
                limit = (reason, message)
            }
        }
        conditions.append(ConditionUpdate(type: "ScalingLimited", status: replicas != stabilized, reason: limit.0, message: limit.1))
        return Normalized(replicas: replicas, conditions: conditions)
    }

    /// Upstream's `stabilizeRecommendationWithBehaviors`: no higher than the lowest recommendation within the
    /// scale-up window, no lower than the highest within the scale-down window.
    private mutating func stabilize(current: Int32, desired: Int32, upWindow: Int32, downWindow: Int32, now: Date) -> Int32 {
        let upCutoff = now.addingTimeInterval(-TimeInterval(upWindow))
        let downCutoff = now.addingTimeInterval(-TimeInterval(downWindow))
        var up = desired
        var down = desired
        var oldIndex: Int?
        for (index, recommendation) in recommendations.enumerated() {
            if recommendation.time > upCutoff { up = min(up, recommendation.replicas) }
            if recommendation.time > downCutoff { down = max(down, recommendation.replicas) }
            if recommendation.time < upCutoff && recommendation.time < downCutoff { oldIndex = index }
        }
        record(Recommendation(replicas: desired, time: now), replacing: oldIndex)
        return min(max(current, up), down)
    }

    private mutating func record(_ recommendation: Recommendation, replacing index: Int?) {
        if let index { recommendations[index] = recommendation } else { recommendations.append(recommendation) }
    }

    /// The most replicas the scale-up policies allow now.
    func limitUp(current: Int32, rules: ScalingRules, now: Date) -> Int32 {
        if rules.selectPolicy == "Disabled" { return current }
        let pickMin = rules.selectPolicy == "Min"
        var result: Int32 = pickMin ? .max : .min
        for policy in rules.policies {
            let start = periodStart(current: current, period: policy.periodSeconds, now: now)
            let proposed =
                policy.type == "Pods" ? start + policy.value : Int32((Double(start) * (1 + Double(policy.value) / 100)).rounded(.up))
            result = pickMin ? min(result, proposed) : max(result, proposed)
        }
        return result
    }

    /// The fewest replicas the scale-down policies allow now.
    func limitDown(current: Int32, rules: ScalingRules, now: Date) -> Int32 {
        if rules.selectPolicy == "Disabled" { return current }
        let pickMin = rules.selectPolicy == "Min"
        var result: Int32 = pickMin ? .min : .max
        for policy in rules.policies {
            let start = periodStart(current: current, period: policy.periodSeconds, now: now)
            let proposed = policy.type == "Pods" ? start - policy.value : Int32(Double(start) * (1 - Double(policy.value) / 100))
            result = pickMin ? max(result, proposed) : min(result, proposed)
        }
        return result
    }

    /// The replicas there were when the policy's period began: now's less what was added in it, plus what was removed.
    private func periodStart(current: Int32, period: Int32, now: Date) -> Int32 {
        let cutoff = now.addingTimeInterval(-TimeInterval(period))
        let added = scaleUpEvents.filter { $0.time > cutoff }.reduce(0) { $0 + $1.change }
        let removed = scaleDownEvents.filter { $0.time > cutoff }.reduce(0) { $0 + $1.change }
        return current - added + removed
    }

    /// Upstream's `storeScaleEvent`: a scale made with `behavior` is kept for its direction's longest policy period.
    mutating func recordScale(from previous: Int32, to new: Int32, scaleUp: ScalingRules, scaleDown: ScalingRules, now: Date) {
        if new > previous {
            Self.store(&scaleUpEvents, change: new - previous, longestPeriod: scaleUp.policies.map(\.periodSeconds).max() ?? 0, now: now)
        } else {
            Self.store(&scaleDownEvents, change: previous - new, longestPeriod: scaleDown.policies.map(\.periodSeconds).max() ?? 0, now: now)
        }
    }

    private static func store(_ events: inout [ScaleEvent], change: Int32, longestPeriod: Int32, now: Date) {
        let cutoff = now.addingTimeInterval(-TimeInterval(longestPeriod))
        var oldIndex: Int?
        for index in events.indices {
            if events[index].time < cutoff { events[index].outdated = true }
            if events[index].outdated { oldIndex = index }
        }
        let event = ScaleEvent(change: change, time: now)
        if let oldIndex { events[oldIndex] = event } else { events.append(event) }
    }
}
