import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging
import Synchronization

/// Kubernetes' Horizontal Pod Autoscaler controller (`autoscaling/v2`): every sync period it reads each
/// autoscaler's target through the `/scale` subresource, its pods' usage from `metrics.k8s.io`, proposes a replica
/// count per metric (`ReplicaCalculator`) and takes the largest, stabilizes and rate-limits it
/// (`AutoscalerHistory`), scales the target, and reports `status.currentMetrics`, the conditions `AbleToScale`,
/// `ScalingActive` and `ScalingLimited`, and Events in upstream's words.
public final class HorizontalPodAutoscalerController: Sendable {
    public struct Options: Sendable {
        public var syncPeriod: Duration
        public var tolerance: Double

        public init(syncPeriod: Duration = .seconds(15), tolerance: Double = 0.1) {
            self.syncPeriod = syncPeriod
            self.tolerance = tolerance
        }
    }

    private let client: KubeClient
    private let autoscalers: Informer
    private let pods: Informer
    private let recorder: EventRecorder
    private let logger: Logger
    private let options: Options
    private let now: @Sendable () -> Date
    private let queue = WorkQueue<ObjectKey>()
    private let histories = Mutex<[ObjectKey: AutoscalerHistory]>([:])

    public init(context: ControllerContext, options: Options = Options(), now: @escaping @Sendable () -> Date = { Date() }) {
        client = context.client
        autoscalers = context.informer(.horizontalPodAutoscalers)
        pods = context.informer(.pods)
        recorder = context.recorder(component: "horizontal-pod-autoscaler")
        logger = context.logger
        self.options = options
        self.now = now
    }

    public func run() async {
        let queue = self.queue
        // The controller's own status writes come back as updates: only a changed spec is looked at before the next
        // period.
        let watches = [
            Watch(
                autoscalers,
                InformerHandler(
                    onAdd: { queue.add(ObjectKey($0)) },
                    onUpdate: { old, new in
                        if old["spec"] != new["spec"] { queue.add(ObjectKey(new)) }
                    },
                    onDelete: { [self] autoscaler in
                        let key = ObjectKey(autoscaler)
                        histories.withLock { $0[key] = nil }
                    })),
            Watch.cache(pods),
        ]
        await ControllerWorkers.run(queue, watching: watches, workers: 1, name: "horizontal-pod-autoscaler", logger: logger) { key throws(APIError) in
            try await self.sync(key)
        }
    }

    // MARK: one autoscaler

    func sync(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard let autoscaler = autoscalers.get(key), !autoscaler.metadata.isDeleting else {
            histories.withLock { $0[key] = nil }
            return .done
        }
        var state = AutoscalerState(autoscaler, now: now())
        await reconcile(&state)
        if state.status != autoscaler["status"] ?? .emptyObject {
            var updated = autoscaler
            updated["status"] = state.status
            do {
                _ = try await client.update(.horizontalPodAutoscalers, updated, subresource: "status")
            } catch where error.code == 409 || error.code == 404 {
                // A newer autoscaler (or none) is in the cache soon; the next period looks at it.
            }
        }
        return .requeue(after: options.syncPeriod)
    }

    private func reconcile(_ state: inout AutoscalerState) async {
        let autoscaler = state.autoscaler
        let reference = state.spec.scaleTargetRef
        guard let target = Self.scaleTarget(reference) else {
            let message = "unable to determine resource for scale target reference: no matches for kind \"\(reference.kind)\" in group \"\(reference.group)\""
            recorder.record(autoscaler, type: .warning, reason: "FailedGetScale", message: message)
            state.setCondition("AbleToScale", false, "FailedGetScale", "the HPA controller was unable to get the target's current scale: \(message)")
            return
        }
        let namespace = autoscaler.metadata.namespace ?? ""
        let scale: JSONValue
        do {
            scale = try await client.get(target, namespace: namespace, name: reference.name, subresource: "scale")
        } catch {
            recorder.record(autoscaler, type: .warning, reason: "FailedGetScale", message: error.message)
            state.setCondition("AbleToScale", false, "FailedGetScale", "the HPA controller was unable to get the target's current scale: \(error.message)")
            return
        }
        state.setCondition("AbleToScale", true, "SucceededGetScale", "the HPA controller was able to get the target's current scale")
        let current = Int32(clamping: scale[path: "spec", "replicas"]?.integerValue ?? 0)
        let minReplicas = state.spec.minReplicas
        let maxReplicas = state.spec.maxReplicas
        var desired: Int32
        var reason = ""
        var metricStatuses: [JSONValue] = []
        if current == 0 && minReplicas != 0 {
            state.setCondition("ScalingActive", false, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero")
            state.setStatus(current: current, desired: 0, metrics: [], rescaled: false)
            return
        } else if current > maxReplicas {
            (desired, reason) = (maxReplicas, "Current number of replicas above Spec.MaxReplicas")
        } else if current < minReplicas {
            (desired, reason) = (minReplicas, "Current number of replicas below Spec.MinReplicas")
        } else {
            let computed = await computeReplicas(&state, scale: scale, current: current)
            metricStatuses = computed.statuses
            guard let proposal = computed.replicas else {
                state.setStatus(current: current, desired: state.currentDesired, metrics: metricStatuses, rescaled: false)
                if let error = computed.error {
                    recorder.record(autoscaler, type: .warning, reason: "FailedComputeMetricsReplicas", message: error)
                }
                return
            }
            desired = proposal
            if desired > current { reason = "\(computed.metric) above target" }
            if desired < current { reason = "All metrics below target" }
            let key = ObjectKey(autoscaler)
            let behavior = state.spec.behavior
            let normalized = histories.withLock { histories in
                var history = histories[key] ?? AutoscalerHistory()
                defer { histories[key] = history }
                if let behavior {
                    return history.normalize(
                        current: current, desired: desired, minReplicas: minReplicas, maxReplicas: maxReplicas, scaleUp: behavior.up,
                        scaleDown: behavior.down, now: state.now)
                }
                return history.normalize(current: current, desired: desired, minReplicas: minReplicas, maxReplicas: maxReplicas, now: state.now)
            }
            for condition in normalized.conditions { state.setCondition(condition.type, condition.status, condition.reason, condition.message) }
            desired = normalized.replicas
        }
        guard desired != current else {
            state.setStatus(current: current, desired: current, metrics: metricStatuses, rescaled: false)
            return
        }
        var newScale = scale
        newScale[path: "spec", "replicas"] = .integer(Int64(desired))
        do {
            _ = try await client.update(target, newScale, subresource: "scale")
        } catch {
            recorder.record(
                autoscaler, type: .warning, reason: "FailedRescale", message: "New size: \(desired); reason: \(reason); error: \(error.message)")
            state.setCondition("AbleToScale", false, "FailedUpdateScale", "the HPA controller was unable to update the target scale: \(error.message)")
            state.setStatus(current: current, desired: state.currentDesired, metrics: metricStatuses, rescaled: false)
            return
        }
        state.setCondition("AbleToScale", true, "SucceededRescale", "the HPA controller was able to update the target scale to \(desired)")
        recorder.record(autoscaler, type: .normal, reason: "SuccessfulRescale", message: "New size: \(desired); reason: \(reason)")
        if let behavior = state.spec.behavior {
            histories.withLock { histories in
                histories[ObjectKey(autoscaler), default: AutoscalerHistory()].recordScale(
                    from: current, to: desired, scaleUp: behavior.up, scaleDown: behavior.down, now: state.now)
            }
        }
        logger.info(
            "autoscaler rescaled its target",
            metadata: ["autoscaler": "\(namespace)/\(autoscaler.metadata.name)", "from": "\(current)", "to": "\(desired)", "reason": "\(reason)"])
        state.setStatus(current: current, desired: desired, metrics: metricStatuses, rescaled: true)
    }

    /// Upstream's `computeReplicasForMetrics`: the largest proposal of the metrics that could be computed; none when
    /// every metric failed, or some failed and the others would scale down.
    private func computeReplicas(_ state: inout AutoscalerState, scale: JSONValue, current: Int32) async -> (
        replicas: Int32?, metric: String, statuses: [JSONValue], error: String?
    ) {
        let autoscaler = state.autoscaler
        let namespace = autoscaler.metadata.namespace ?? ""
        guard let selectorText = scale[path: "status", "selector"]?.stringValue, !selectorText.isEmpty else {
            recorder.record(autoscaler, type: .warning, reason: "SelectorRequired", message: "selector is required")
            state.setCondition("ScalingActive", false, "InvalidSelector", "the HPA target's scale is missing a selector")
            return (nil, "", [], "selector is required")
        }
        let selector: LabelSelector
        do {
            selector = try LabelSelector(parsing: selectorText)
        } catch {
            recorder.record(autoscaler, type: .warning, reason: "InvalidSelector", message: error.message)
            state.setCondition("ScalingActive", false, "InvalidSelector", "the HPA target's scale has an invalid selector: \(error.message)")
            return (nil, "", [], error.message)
        }
        let targetPods = pods.list { $0.metadata.namespace == namespace && selector.matches($0.metadata.labels) }
        var podMetrics: Result<[JSONValue], APIError>?
        let calculator = ReplicaCalculator(tolerance: options.tolerance, now: state.now)
        var replicas: Int32 = 0
        var metricName = ""
        var statuses: [JSONValue] = []
        var failures: [(error: String, condition: (reason: String, message: String))] = []
        for spec in state.spec.metrics {
            let type = spec["type"]?.stringValue ?? ""
            let source: JSONValue
            let container: String?
            switch type {
            case "Resource":
                source = spec["resource"] ?? .emptyObject
                container = nil
            case "ContainerResource":
                source = spec["containerResource"] ?? .emptyObject
                container = source["container"]?.stringValue ?? ""
            case "Pods", "Object", "External":
                // Those come from the custom and external metrics APIs, which nothing serves here.
                let reason = "FailedGet\(type)Metric"
                let error = "failed to get \(type.lowercased()) metric value: unable to get metric \(Self.metricName(spec, type: type)): no custom metrics API (custom.metrics.k8s.io or external.metrics.k8s.io) is served"
                recorder.record(autoscaler, type: .warning, reason: reason, message: error)
                failures.append((error, (reason, "the HPA was unable to compute the replica count: \(error)")))
                statuses.append(Self.unknownMetricStatus)
                continue
            default:
                let error = "unknown metric source type \"\(type)\""
                recorder.record(autoscaler, type: .warning, reason: "InvalidMetricSourceType", message: error)
                failures.append((error, ("InvalidMetricSourceType", "the HPA was unable to compute the replica count: \(error)")))
                statuses.append(Self.unknownMetricStatus)
                continue
            }
            let resource = source["name"]?.stringValue ?? ""
            if podMetrics == nil {
                do throws(APIError) {
                    let list = try await client.list(.podMetrics, namespace: namespace, options: ListOptions(labelSelector: selectorText))
                    podMetrics = .success(list["items"]?.arrayValue ?? [])
                } catch {
                    podMetrics = .failure(error)
                }
            }
            let sourceKind = container == nil ? "resource" : "container"
            let failureReason = container == nil ? "FailedGetResourceMetric" : "FailedGetContainerResourceMetric"
            do throws(ReplicaCalculationError) {
                let target = source["target"] ?? .emptyObject
                let proposal: ReplicaCalculator.Proposal
                let currentValue: JSONValue
                let name: String
                if let average = target["averageValue"].flatMap(Quantity.init(json:))?.milliValue {
                    do throws(ReplicaCalculationError) {
                        let metrics = try Self.podMetrics(podMetrics, resource: resource, container: container)
                        proposal = try calculator.averageValueReplicas(
                            currentReplicas: current, targetAverage: average, resource: resource, pods: targetPods, metrics: metrics)
                    } catch {
                        throw ReplicaCalculationError("failed to get \(resource) usage: \(error)")
                    }
                    currentValue = ["averageValue": .string(Self.milliQuantity(proposal.averageValue))]
                    name = "\(resource) resource"
                } else if let utilization = target["averageUtilization"]?.integerValue {
                    do throws(ReplicaCalculationError) {
                        let metrics = try Self.podMetrics(podMetrics, resource: resource, container: container)
                        proposal = try calculator.resourceReplicas(
                            currentReplicas: current, targetUtilization: Int32(clamping: utilization), resource: resource, container: container,
                            pods: targetPods, metrics: metrics)
                    } catch {
                        throw ReplicaCalculationError("failed to get \(resource) utilization: \(error)")
                    }
                    currentValue = [
                        "averageUtilization": .integer(Int64(proposal.utilization ?? 0)), "averageValue": .string(Self.milliQuantity(proposal.averageValue)),
                    ]
                    name = container == nil ? "\(resource) resource utilization (percentage of request)" : "\(resource) container resource utilization (percentage of request)"
                } else {
                    throw ReplicaCalculationError(
                        "invalid resource metric source: neither an average utilization target nor an average value (usage) target was set")
                }
                var status: JSONValue = ["name": .string(resource), "current": currentValue]
                if let container { status["container"] = .string(container) }
                statuses.append(["type": .string(type), container == nil ? "resource" : "containerResource": status])
                if replicas == 0 || proposal.replicas > replicas {
                    replicas = proposal.replicas
                    metricName = name
                }
            } catch {
                // The event and the condition name the cause; the autoscaler's error names the metric too.
                recorder.record(autoscaler, type: .warning, reason: failureReason, message: error.description)
                failures.append(
                    ("failed to get \(container ?? resource) \(sourceKind) metric value: \(error)",
                    (failureReason, "the HPA was unable to compute the replica count: \(error)")))
                statuses.append(Self.unknownMetricStatus)
            }
        }
        let metricsCount = state.spec.metrics.count
        let invalidError = failures.first.map { "invalid metrics (\(failures.count) invalid out of \(metricsCount)), first error is: \($0.error)" }
        if let first = failures.first, failures.count >= metricsCount || replicas < current {
            state.setCondition("ScalingActive", false, first.condition.reason, first.condition.message)
            return (nil, "", statuses, invalidError)
        }
        state.setCondition("ScalingActive", true, "ValidMetricFound", "the HPA was able to successfully calculate a replica count from \(metricName)")
        return (replicas, metricName, statuses, nil)
    }

    /// The metrics client's view of PodMetrics: each pod's usage of `resource` (summed over its containers, or of
    /// `container`) in thousandths; a pod missing the resource (or the container) is left out.
    static func podMetrics(_ result: Result<[JSONValue], APIError>?, resource: String, container: String?) throws(ReplicaCalculationError)
        -> [String: PodMetric]
    {
        let items: [JSONValue]
        switch result {
        case .success(let list): items = list
        case .failure(let error): throw ReplicaCalculationError("unable to get metrics for resource \(resource): unable to fetch metrics from resource metrics API: \(error.message)")
        case nil: items = []
        }
        guard !items.isEmpty else { throw ReplicaCalculationError("unable to get metrics for resource \(resource): no metrics returned from resource metrics API") }
        var metrics: [String: PodMetric] = [:]
        for item in items {
            let containers = (item["containers"]?.arrayValue ?? []).filter { container == nil || $0["name"]?.stringValue == container }
            guard !containers.isEmpty else { continue }
            var sum: Int64 = 0
            var complete = true
            for entry in containers {
                guard let value = entry[path: "usage", resource].flatMap(Quantity.init(json:))?.milliValue else {
                    complete = false
                    break
                }
                sum += value
            }
            guard complete else { continue }
            let timestamp = item["timestamp"]?.stringValue.flatMap(KubeTime.parse) ?? Date()
            let window = item["window"]?.stringValue.flatMap(GoDuration.parse) ?? .zero
            metrics[item.metadata.name] = PodMetric(value: sum, timestamp: timestamp, window: window)
        }
        return metrics
    }

    /// What upstream reports for a metric it could not read: an empty status in that metric's place, so that each
    /// status stays beside its spec (`kubectl get hpa` prints `<unknown>` for it).
    static let unknownMetricStatus: JSONValue = ["type": ""]

    private static func metricName(_ spec: JSONValue, type: String) -> String {
        let key = ["Pods": "pods", "Object": "object", "External": "external"][type] ?? ""
        return spec[path: key, "metric", "name"]?.stringValue ?? ""
    }

    /// A count of thousandths as `resource.NewMilliQuantity(..., DecimalSI)` prints it: `250m`, `2`, `52428800`, `3k`.
    static func milliQuantity(_ milli: Int64) -> String {
        guard milli % 1000 == 0 else { return "\(milli)m" }
        var value = milli / 1000
        guard value != 0 else { return "0" }
        var suffixes = ["k", "M", "G", "T", "P", "E"][...]
        var suffix = ""
        while value % 1000 == 0, let next = suffixes.popFirst() {
            value /= 1000
            suffix = next
        }
        return "\(value)\(suffix)"
    }

    /// The resource the scale target's kind is served as.
    static func scaleTarget(_ reference: AutoscalerState.Spec.TargetReference) -> ResourceType? {
        switch (reference.group, reference.kind) {
        case ("apps", "Deployment"): .deployments
        case ("apps", "ReplicaSet"): .replicaSets
        case ("apps", "StatefulSet"): .statefulSets
        case ("", "ReplicationController"): .replicationControllers
        default: nil
        }
    }
}

/// One sync's view of an autoscaler: its spec as read, and the status being built.
struct AutoscalerState {
    struct Spec {
        struct TargetReference {
            var group: String
            var kind: String
            var name: String
        }

        var scaleTargetRef: TargetReference
        var minReplicas: Int32
        var maxReplicas: Int32
        var metrics: [JSONValue]
        var behavior: (up: ScalingRules, down: ScalingRules)?

        init(_ json: JSONValue) {
            let reference = json["scaleTargetRef"] ?? .emptyObject
            let apiVersion = reference["apiVersion"]?.stringValue ?? ""
            scaleTargetRef = TargetReference(
                group: apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : "", kind: reference["kind"]?.stringValue ?? "",
                name: reference["name"]?.stringValue ?? "")
            minReplicas = Int32(clamping: json["minReplicas"]?.integerValue ?? 1)
            maxReplicas = Int32(clamping: json["maxReplicas"]?.integerValue ?? 0)
            metrics = json["metrics"]?.arrayValue ?? []
            behavior = json["behavior"].flatMap { $0 == .null ? nil : $0 }.map {
                (ScalingRules($0["scaleUp"], scaleUp: true), ScalingRules($0["scaleDown"], scaleUp: false))
            }
        }
    }

    let autoscaler: JSONValue
    let spec: Spec
    let now: Date
    var status: JSONValue

    init(_ autoscaler: JSONValue, now: Date) {
        self.autoscaler = autoscaler
        spec = Spec(autoscaler["spec"] ?? .emptyObject)
        self.now = now
        status = autoscaler["status"] ?? .emptyObject
    }

    var currentDesired: Int32 { Int32(clamping: status["desiredReplicas"]?.integerValue ?? 0) }

    /// Upstream's `setCondition`: the transition time moves only when the status changes.
    mutating func setCondition(_ type: String, _ holds: Bool, _ reason: String, _ message: String) {
        var conditions = status["conditions"]?.arrayValue ?? []
        let value = holds ? "True" : "False"
        let index = conditions.firstIndex { $0["type"]?.stringValue == type }
        var condition: JSONValue = index.map { conditions[$0] } ?? ["type": .string(type)]
        if condition["status"]?.stringValue != value || condition["lastTransitionTime"] == nil {
            condition["lastTransitionTime"] = .string(KubeTime.format(now))
        }
        condition["status"] = .string(value)
        condition["reason"] = .string(reason)
        condition["message"] = .string(message)
        if let index { conditions[index] = condition } else { conditions.append(condition) }
        status["conditions"] = .array(conditions)
    }

    /// Upstream's `setStatus`: the replica counts and metrics of this sync; `lastScaleTime` when it scaled.
    mutating func setStatus(current: Int32, desired: Int32, metrics: [JSONValue], rescaled: Bool) {
        status["currentReplicas"] = .integer(Int64(current))
        status["desiredReplicas"] = .integer(Int64(desired))
        status["currentMetrics"] = metrics.isEmpty ? nil : .array(metrics)
        if rescaled { status["lastScaleTime"] = .string(KubeTime.format(now)) }
    }
}
