import ResourceUsage

/// metrics-server's storage: the last two readings of every node and container, from which a CPU rate (the CPU
/// time between them over the time between them) and the latest memory are answered. A pod is answered only when
/// every one of its containers has two readings, and a container that restarted starts over, as metrics-server
/// does (`pkg/storage`).
struct UsageHistory: Sendable {
    /// One reading, CPU to the nanosecond.
    struct Point: Sendable, Equatable {
        var cpuNanoseconds: UInt64
        var memoryBytes: UInt64
        var timestampMilliseconds: Int64
        var startTimeMilliseconds: Int64

        init(_ sample: ResourceUsageReport.Sample, startTimeSeconds: Double = 0) {
            cpuNanoseconds = UInt64(max(sample.cpuCoreSeconds * 1e9, 0).rounded())
            memoryBytes = sample.memoryWorkingSetBytes
            timestampMilliseconds = sample.timestampMilliseconds
            startTimeMilliseconds = Int64(startTimeSeconds * 1000)
        }
    }

    /// What the metrics API answers for a node or a container.
    struct Usage: Sendable, Equatable {
        var cpuNanoCores: UInt64
        var memoryBytes: UInt64
        /// The later reading's time, and the time between the two readings.
        var timestampMilliseconds: Int64
        var windowMilliseconds: Int64
    }

    struct PodKey: Hashable, Sendable {
        var namespace: String
        var name: String
    }

    struct ContainerUsage: Sendable, Equatable {
        var name: String
        var usage: Usage
    }

    struct PodUsage: Sendable, Equatable {
        var containers: [ContainerUsage]
        /// The earliest of its containers' readings, and that container's window.
        var timestampMilliseconds: Int64
        var windowMilliseconds: Int64
    }

    /// A container younger than one resolution (but at least this old) is answered from its start, as if it had
    /// read zero then, so that a new pod has metrics after its first scrape (metrics-server's
    /// `freshContainerMinMetricsResolution`).
    static let freshContainerMinimumMilliseconds: Int64 = 10_000

    let resolutionMilliseconds: Int64
    private var nodeLast: [String: Point] = [:]
    private var nodePrevious: [String: Point] = [:]
    private var podLast: [PodKey: [String: Point]] = [:]
    private var podPrevious: [PodKey: [String: Point]] = [:]
    private var podsOfNode: [String: Set<PodKey>] = [:]

    init(resolution: Duration) {
        let (seconds, attoseconds) = resolution.components
        resolutionMilliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Takes a node's new reading; its pods not in it are forgotten.
    mutating func store(_ report: ResourceUsageReport, node: String) {
        if let sample = report.node {
            // A newer reading moves the last one back; the same one keeps the pair there was; a counter that went
            // backwards (the machine restarted) starts over.
            let point = Point(sample)
            var previous: Point?
            if let last = nodeLast[node], point.cpuNanoseconds >= last.cpuNanoseconds {
                if point.timestampMilliseconds > last.timestampMilliseconds {
                    previous = last
                } else if let kept = nodePrevious[node], kept.timestampMilliseconds < point.timestampMilliseconds {
                    previous = kept
                }
            }
            nodeLast[node] = point
            nodePrevious[node] = previous
        } else {
            nodeLast[node] = nil
            nodePrevious[node] = nil
        }
        var newLast: [PodKey: [String: Point]] = [:]
        for container in report.containers {
            let key = PodKey(namespace: container.namespace, name: container.pod)
            guard newLast[key]?[container.name] == nil else { continue }
            newLast[key, default: [:]][container.name] = Point(container.usage, startTimeSeconds: container.startTimeSeconds)
        }
        for key in podsOfNode[node] ?? [] where newLast[key] == nil {
            podLast[key] = nil
            podPrevious[key] = nil
        }
        for (key, containers) in newLast {
            var previous: [String: Point] = [:]
            for (name, point) in containers {
                let age = point.timestampMilliseconds - point.startTimeMilliseconds
                if age > 0, age < resolutionMilliseconds, age >= Self.freshContainerMinimumMilliseconds {
                    var start = point
                    start.timestampMilliseconds = point.startTimeMilliseconds
                    start.cpuNanoseconds = 0
                    previous[name] = start
                } else if let last = podLast[key]?[name], point.startTimeMilliseconds < last.timestampMilliseconds {
                    // Not restarted since the last reading: a newer reading moves the last one back; the same one
                    // keeps the pair there was.
                    if point.timestampMilliseconds > last.timestampMilliseconds {
                        previous[name] = last
                    } else if let kept = podPrevious[key]?[name], kept.timestampMilliseconds < point.timestampMilliseconds {
                        previous[name] = kept
                    }
                }
            }
            podLast[key] = containers
            podPrevious[key] = previous.isEmpty ? nil : previous
        }
        podsOfNode[node] = Set(newLast.keys)
    }

    /// Forgets a node that could not be read or is gone, and its pods.
    mutating func forget(node: String) {
        nodeLast[node] = nil
        nodePrevious[node] = nil
        for key in podsOfNode.removeValue(forKey: node) ?? [] {
            podLast[key] = nil
            podPrevious[key] = nil
        }
    }

    func nodeUsage(_ node: String) -> Usage? {
        guard let last = nodeLast[node], let previous = nodePrevious[node] else { return nil }
        return Self.usage(from: previous, to: last)
    }

    func podUsage(namespace: String, name: String) -> PodUsage? {
        let key = PodKey(namespace: namespace, name: name)
        guard let last = podLast[key], let previous = podPrevious[key] else { return nil }
        var containers: [ContainerUsage] = []
        for (container, point) in last.sorted(by: { $0.key < $1.key }) {
            guard let before = previous[container] else { return nil }
            guard let usage = Self.usage(from: before, to: point) else { continue }
            containers.append(ContainerUsage(name: container, usage: usage))
        }
        guard let earliest = containers.min(by: { $0.usage.timestampMilliseconds < $1.usage.timestampMilliseconds }) else { return nil }
        return PodUsage(
            containers: containers, timestampMilliseconds: earliest.usage.timestampMilliseconds, windowMilliseconds: earliest.usage.windowMilliseconds)
    }

    /// The nodes with readings.
    var nodeNames: Set<String> { Set(nodeLast.keys).union(podsOfNode.keys) }

    private static func usage(from previous: Point, to last: Point) -> Usage? {
        let window = last.timestampMilliseconds - previous.timestampMilliseconds
        guard window > 0, last.cpuNanoseconds >= previous.cpuNanoseconds else { return nil }
        let rate = Double(last.cpuNanoseconds - previous.cpuNanoseconds) / (Double(window) / 1000)
        return Usage(
            cpuNanoCores: UInt64(rate), memoryBytes: last.memoryBytes, timestampMilliseconds: last.timestampMilliseconds, windowMilliseconds: window)
    }
}
