import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging
import ResourceUsage
import Synchronization

/// Where a node's resource usage is read from: its kubelet's `/metrics/resource`, or the agent in the same process.
public protocol NodeResourceUsageSource: Sendable {
    func resourceUsage(node: JSONValue) async throws -> ResourceUsageReport
}

/// metrics-server, built into the control plane: every `resolution` it reads every real, Ready node's usage (hollow
/// nodes have no containers to read) and answers `metrics.k8s.io/v1beta1` NodeMetrics and PodMetrics from the last
/// two readings, with the pods' labels for selectors, as metrics-server answers through its APIService.
public final class ResourceMetricsServer: Sendable {
    private let nodes: Informer
    private let pods: Informer
    private let source: any NodeResourceUsageSource
    private let history: Mutex<UsageHistory>
    private let resolution: Duration
    private let logger: Logger

    /// A scrape that takes longer than this is abandoned for the round (metrics-server's `--kubelet-request-timeout`).
    static let requestTimeout: Duration = .seconds(10)

    public init(context: ControllerContext, source: any NodeResourceUsageSource, resolution: Duration) {
        nodes = context.informer(.nodes)
        pods = context.informer(.pods)
        self.source = source
        self.resolution = resolution
        history = Mutex(UsageHistory(resolution: resolution))
        logger = context.logger
    }

    public func run() async {
        await nodes.waitForSync()
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let started = clock.now
            await scrape()
            try? await clock.sleep(until: started.advanced(by: resolution))
        }
    }

    /// One round: every node read at once; a node that cannot be read loses its metrics until it can.
    func scrape() async {
        let targets = nodes.list().filter(Self.isScraped)
        let names = Set(targets.map(\.metadata.name))
        history.withLock { history in
            for gone in history.nodeNames.subtracting(names) { history.forget(node: gone) }
        }
        let timeout = min(Self.requestTimeout, max(resolution, .seconds(1)))
        await withTaskGroup(of: Void.self) { group in
            for node in targets {
                group.addTask { [source] in
                    let name = node.metadata.name
                    do {
                        let report = try await Self.withTimeout(timeout) { try await source.resourceUsage(node: node) }
                        self.history.withLock { $0.store(report, node: name) }
                    } catch {
                        self.logger.debug("cannot read a node's resource usage", metadata: ["node": "\(name)", "error": "\(error)"])
                        self.history.withLock { $0.forget(node: name) }
                    }
                }
            }
        }
    }

    static func isScraped(_ node: JSONValue) -> Bool {
        node.metadata.labels["skiff.dev/hollow"] != "true" && Node(node).status.conditions["Ready"]?.isTrue == true
    }

    private static func withTimeout<Result: Sendable>(
        _ timeout: Duration, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else { throw CancellationError() }
            return result
        }
    }

    // MARK: the metrics API

    /// NodeMetrics of every node with two readings, by name.
    public func nodeMetrics() -> [JSONValue] {
        let now = KubeTime.format(Date())
        let known = nodes.list()
        return history.withLock { history in
            known.compactMap { node in
                let name = node.metadata.name
                guard let usage = history.nodeUsage(name) else { return nil }
                return [
                    "kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
                    "metadata": ["name": .string(name), "creationTimestamp": .string(now), "labels": Self.labels(node)],
                    "timestamp": .string(Self.time(usage.timestampMilliseconds)),
                    "window": .string(GoDuration.string(.milliseconds(usage.windowMilliseconds))),
                    "usage": Self.usage(usage),
                ]
            }.sorted { ($0.metadata.name) < ($1.metadata.name) }
        }
    }

    /// PodMetrics of the pods (of `namespace`, or all) whose every container has two readings, by namespace and name.
    public func podMetrics(namespace: String?) -> [JSONValue] {
        let now = KubeTime.format(Date())
        let known = pods.list { namespace == nil || $0.metadata.namespace == namespace }
        return history.withLock { history in
            known.compactMap { pod in
                let meta = pod.metadata
                guard let usage = history.podUsage(namespace: meta.namespace ?? "", name: meta.name) else { return nil }
                return [
                    "kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
                    "metadata": [
                        "name": .string(meta.name), "namespace": .string(meta.namespace ?? ""), "creationTimestamp": .string(now),
                        "labels": Self.labels(pod),
                    ],
                    "timestamp": .string(Self.time(usage.timestampMilliseconds)),
                    "window": .string(GoDuration.string(.milliseconds(usage.windowMilliseconds))),
                    "containers": .array(usage.containers.map { ["name": .string($0.name), "usage": Self.usage($0.usage)] }),
                ]
            }.sorted { ($0.metadata.namespace ?? "", $0.metadata.name) < ($1.metadata.namespace ?? "", $1.metadata.name) }
        }
    }

    private static func labels(_ object: JSONValue) -> JSONValue {
        .object(object.metadata.labels.mapValues { .string($0) })
    }

    private static func time(_ milliseconds: Int64) -> String {
        KubeTime.format(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// CPU in nanocores and memory in KiB when whole, as metrics-server writes its quantities.
    static func usage(_ usage: UsageHistory.Usage) -> JSONValue {
        let memory = usage.memoryBytes % 1024 == 0 ? "\(usage.memoryBytes / 1024)Ki" : "\(usage.memoryBytes)"
        return ["cpu": .string("\(usage.cpuNanoCores)n"), "memory": .string(memory)]
    }
}
