import APIMachinery
import Foundation
import KubeObjects

/// A pod's usage of one resource from the metrics API, in thousandths of its unit (millicores, millibytes), as
/// the autoscaler's metrics client reads it.
struct PodMetric: Sendable, Equatable {
    var value: Int64
    var timestamp: Date
    var window: Duration
}

/// Why no replica count could be computed, in the autoscaler's own words.
struct ReplicaCalculationError: Error, Equatable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The Horizontal Pod Autoscaler's replica calculation (upstream's `ReplicaCalculator`): the ratio of usage to
/// target over the pods that count, within a tolerance of no change; pods without metrics count as using all of
/// their request (or the target, when above 100%) on a scale-down and nothing on a scale-up; pods not yet ready (and CPU samples taken while a pod
/// was starting) count as nothing on a scale-up and are left out otherwise; a change of direction is never made.
struct ReplicaCalculator: Sendable {
    var tolerance = 0.1
    /// CPU samples from a pod younger than this count only once it has been ready for a whole metric window.
    var cpuInitializationPeriod: Duration = .seconds(300)
    /// A pod that turned unready within this long of starting is taken as not yet ready, not as broken.
    var delayOfInitialReadinessStatus: Duration = .seconds(30)
    var now: Date

    struct Proposal: Sendable, Equatable {
        var replicas: Int32
        /// The average usage as a percentage of the requests (Utilization targets only).
        var utilization: Int32?
        /// The average usage per pod, in thousandths.
        var averageValue: Int64
    }

    /// For a `Utilization` target: `targetUtilization` percent of the pods' requests of `resource` (of `container`
    /// only, for a ContainerResource metric).
    func resourceReplicas(
        currentReplicas: Int32, targetUtilization: Int32, resource: String, container: String?, pods: [JSONValue], metrics: [String: PodMetric]
    ) throws(ReplicaCalculationError) -> Proposal {
        let (groups, counted) = try countedPods(pods, metrics: metrics, resource: resource)
        var metrics = counted
        let requests = try Self.requests(pods, resource: resource, container: container)
        let (usageRatio, utilization, rawAverage) = try Self.utilizationRatio(metrics, requests: requests, target: targetUtilization)
        let proposal = { (replicas: Int32) in Proposal(replicas: replicas, utilization: utilization, averageValue: rawAverage) }
        let scaleUpWithUnready = !groups.unready.isEmpty && usageRatio > 1
        if !scaleUpWithUnready && groups.missing.isEmpty {
            if abs(1 - usageRatio) <= tolerance { return proposal(currentReplicas) }
            return proposal(Int32((usageRatio * Double(groups.readyCount)).rounded(.up)))
        }
        if usageRatio < 1 {
            // All of their request, or the target when it is above 100%.
            let fallback = Int64(max(100, targetUtilization))
            for name in groups.missing { metrics[name] = PodMetric(value: (requests[name] ?? 0) * fallback / 100, timestamp: now, window: .zero) }
        } else if usageRatio > 1 {
            for name in groups.missing { metrics[name] = PodMetric(value: 0, timestamp: now, window: .zero) }
        }
        if scaleUpWithUnready {
            for name in groups.unready { metrics[name] = PodMetric(value: 0, timestamp: now, window: .zero) }
        }
        let newRatio = try Self.utilizationRatio(metrics, requests: requests, target: targetUtilization).ratio
        return proposal(rebalanced(currentReplicas: currentReplicas, usageRatio: usageRatio, newRatio: newRatio, counted: metrics.count))
    }

    /// For an `AverageValue` target: `targetAverage` thousandths of `resource` per pod.
    func averageValueReplicas(
        currentReplicas: Int32, targetAverage: Int64, resource: String, pods: [JSONValue], metrics: [String: PodMetric]
    ) throws(ReplicaCalculationError) -> Proposal {
        let (groups, counted) = try countedPods(pods, metrics: metrics, resource: resource)
        var metrics = counted
        let (usageRatio, average) = Self.averageRatio(metrics, target: targetAverage)
        let proposal = { (replicas: Int32) in Proposal(replicas: replicas, utilization: nil, averageValue: average) }
        let scaleUpWithUnready = !groups.unready.isEmpty && usageRatio > 1
        if !scaleUpWithUnready && groups.missing.isEmpty {
            if abs(1 - usageRatio) <= tolerance { return proposal(currentReplicas) }
            return proposal(Int32((usageRatio * Double(groups.readyCount)).rounded(.up)))
        }
        if usageRatio < 1 {
            for name in groups.missing { metrics[name] = PodMetric(value: targetAverage, timestamp: now, window: .zero) }
        } else if usageRatio > 1 {
            for name in groups.missing { metrics[name] = PodMetric(value: 0, timestamp: now, window: .zero) }
        }
        if scaleUpWithUnready {
            for name in groups.unready { metrics[name] = PodMetric(value: 0, timestamp: now, window: .zero) }
        }
        let newRatio = Self.averageRatio(metrics, target: targetAverage).ratio
        return proposal(rebalanced(currentReplicas: currentReplicas, usageRatio: usageRatio, newRatio: newRatio, counted: metrics.count))
    }

    /// The pods' groups, and the metrics of those that count: not deleted, failed or (yet) unready.
    private func countedPods(_ pods: [JSONValue], metrics: [String: PodMetric], resource: String) throws(ReplicaCalculationError) -> (
        PodGroups, [String: PodMetric]
    ) {
        guard !pods.isEmpty else { throw ReplicaCalculationError("no pods returned by selector while calculating replica count") }
        var metrics = metrics
        let groups = group(pods, metrics: metrics, resource: resource)
        for name in groups.ignored.union(groups.unready) { metrics[name] = nil }
        guard !metrics.isEmpty else { throw ReplicaCalculationError("did not receive metrics for targeted pods (pods might be unready)") }
        return (groups, metrics)
    }

    /// The count after missing and unready pods were filled in: unchanged when within tolerance or when the
    /// direction would flip.
    private func rebalanced(currentReplicas: Int32, usageRatio: Double, newRatio: Double, counted: Int) -> Int32 {
        if abs(1 - newRatio) <= tolerance || (usageRatio < 1 && newRatio > 1) || (usageRatio > 1 && newRatio < 1) {
            return currentReplicas
        }
        let replicas = Int32((newRatio * Double(counted)).rounded(.up))
        if (newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas) { return currentReplicas }
        return replicas
    }

    struct PodGroups: Equatable {
        var readyCount = 0
        /// Pending pods, and (for CPU) pods whose samples may be from their start.
        var unready: Set<String> = []
        var missing: Set<String> = []
        /// Deleted and failed pods.
        var ignored: Set<String> = []
    }

    /// Upstream's `groupPods`.
    func group(_ pods: [JSONValue], metrics: [String: PodMetric], resource: String) -> PodGroups {
        var groups = PodGroups()
        for object in pods {
            let pod = Pod(object)
            let name = object.metadata.name
            if object.metadata.isDeleting || pod.status.phase == "Failed" {
                groups.ignored.insert(name)
                continue
            }
            if pod.status.phase == "Pending" {
                groups.unready.insert(name)
                continue
            }
            guard let metric = metrics[name] else {
                groups.missing.insert(name)
                continue
            }
            if resource == "cpu" {
                let condition = pod.status.conditions["Ready"]
                let started = pod.status.startTime.flatMap(KubeTime.parse)
                var unready: Bool
                if let condition, let started {
                    let transition = condition.lastTransitionTime.flatMap(KubeTime.parse) ?? started
                    if started.addingTimeInterval(Self.seconds(cpuInitializationPeriod)) > now {
                        // Starting: the sample counts only if the pod is ready and was ready for a whole window of it.
                        unready = condition.status == "False" || metric.timestamp < transition.addingTimeInterval(Self.seconds(metric.window))
                    } else {
                        // Started long ago: left out only if it has never been ready.
                        unready =
                            condition.status == "False" && started.addingTimeInterval(Self.seconds(delayOfInitialReadinessStatus)) > transition
                    }
                } else {
                    unready = true
                }
                if unready {
                    groups.unready.insert(name)
                    continue
                }
            }
            groups.readyCount += 1
        }
        return groups
    }

    /// Each pod's request of `resource` (of `container`, or of all its containers), in thousandths.
    static func requests(_ pods: [JSONValue], resource: String, container: String?) throws(ReplicaCalculationError) -> [String: Int64] {
        var requests: [String: Int64] = [:]
        for object in pods {
            var sum: Int64 = 0
            for spec in Pod(object).spec.containers where container == nil || spec.name == container {
                guard let request = spec.json[path: "resources", "requests", resource].flatMap(Quantity.init(json:))?.milliValue else {
                    throw ReplicaCalculationError("missing request for \(resource) in container \(spec.name) of Pod \(object.metadata.name)")
                }
                sum += request
            }
            requests[object.metadata.name] = sum
        }
        return requests
    }

    /// Usage over requests of the pods with both, as a ratio to the target, the percentage, and the average usage.
    static func utilizationRatio(_ metrics: [String: PodMetric], requests: [String: Int64], target: Int32) throws(ReplicaCalculationError) -> (
        ratio: Double, utilization: Int32, average: Int64
    ) {
        var usageTotal: Int64 = 0
        var requestsTotal: Int64 = 0
        var counted: Int64 = 0
        for (name, metric) in metrics {
            guard let request = requests[name] else { continue }
            usageTotal += metric.value
            requestsTotal += request
            counted += 1
        }
        guard requestsTotal > 0 else { throw ReplicaCalculationError("no metrics returned matched known pods") }
        let utilization = Int32(usageTotal * 100 / requestsTotal)
        return (Double(utilization) / Double(target), utilization, usageTotal / counted)
    }

    static func averageRatio(_ metrics: [String: PodMetric], target: Int64) -> (ratio: Double, average: Int64) {
        let average = metrics.values.reduce(0) { $0 + $1.value } / Int64(max(metrics.count, 1))
        return (Double(average) / Double(target), average)
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
