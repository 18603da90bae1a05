/// One reading of a node's CPU and memory and of every running container on it: what the kubelet serves at
/// `/metrics/resource` and metrics-server turns into the `metrics.k8s.io` API. CPU is cumulative, so a rate needs two
/// readings; memory is the working set at the time of reading.
public struct ResourceUsageReport: Sendable, Equatable {
    public struct Sample: Sendable, Equatable {
        /// CPU time used since the container (or the machine) started, in core-seconds.
        public var cpuCoreSeconds: Double
        /// Memory in use that cannot be reclaimed without swapping: usage minus inactive file pages.
        public var memoryWorkingSetBytes: UInt64
        /// When it was read, in milliseconds since 1970, as a Prometheus sample's timestamp.
        public var timestampMilliseconds: Int64

        public init(cpuCoreSeconds: Double, memoryWorkingSetBytes: UInt64, timestampMilliseconds: Int64) {
            self.cpuCoreSeconds = cpuCoreSeconds
            self.memoryWorkingSetBytes = memoryWorkingSetBytes
            self.timestampMilliseconds = timestampMilliseconds
        }
    }

    public struct Container: Sendable, Equatable {
        public var namespace: String
        public var pod: String
        public var name: String
        /// When the container started, in seconds since 1970: a new start means its CPU counter began again.
        public var startTimeSeconds: Double
        public var usage: Sample

        public init(namespace: String, pod: String, name: String, startTimeSeconds: Double, usage: Sample) {
            self.namespace = namespace
            self.pod = pod
            self.name = name
            self.startTimeSeconds = startTimeSeconds
            self.usage = usage
        }
    }

    /// The whole machine's usage; nil when it could not be read.
    public var node: Sample?
    public var containers: [Container]

    public init(node: Sample?, containers: [Container]) {
        self.node = node
        self.containers = containers
    }
}
