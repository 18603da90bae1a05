/// The NodeResourcesFit plugin: the node must have room for the pod's requests (and one more pod); the score
/// favours the least allocated nodes by CPU and memory (the `LeastAllocated` strategy with weights 1 and 1).
enum NodeResourcesFit {
    static let name = "NodeResourcesFit"
    static let weight: Int64 = 1
    static let maxNodeScore: Int64 = 100

    /// The pod's requests prepared once per scheduling cycle.
    struct Request {
        var resources: ResourceList
        /// The requested scalar resources above zero, by name, so that reasons come out in a stable order.
        var scalars: [(name: String, amount: Int64)]

        init(_ resources: ResourceList) {
            self.resources = resources
            scalars = resources.scalarResources.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map {
                (name: $0.key, amount: $0.value)
            }
        }
    }

    /// The single-reason rejections, shared so that a pod that fits nowhere does not allocate a reason list per
    /// node.
    private static let singleReasons = ["Too many pods", "Insufficient cpu", "Insufficient memory", "Insufficient ephemeral-storage"]
    private static let singleReasonStatuses = singleReasons.map { FilterStatus(code: .unschedulable, reasons: [$0], plugin: name) }

    /// Every shortfall gives its own reason, in Kubernetes' order: pods, cpu, memory, ephemeral storage, scalars.
    /// The scalar amounts are only read when the pod requests scalar resources.
    static func filter(
        _ request: Request, _ node: NodeSummary, allocatableScalars: [String: Int64], requestedScalars: [String: Int64]
    ) -> FilterStatus? {
        let wanted = request.resources
        let checksResources =
            !(wanted.milliCPU == 0 && wanted.memory == 0 && wanted.ephemeralStorage == 0 && request.scalars.isEmpty)
        // One bit per entry of `singleReasons`.
        var shortfalls = 0
        if node.podCount + 1 > node.allowedPods { shortfalls |= 1 }
        if checksResources {
            if wanted.milliCPU > 0, wanted.milliCPU > node.allocatableMilliCPU - node.requestedMilliCPU { shortfalls |= 2 }
            if wanted.memory > 0, wanted.memory > node.allocatableMemory - node.requestedMemory { shortfalls |= 4 }
            if wanted.ephemeralStorage > 0,
                wanted.ephemeralStorage > node.allocatableEphemeralStorage - node.requestedEphemeralStorage
            {
                shortfalls |= 8
            }
        }
        var scalarReasons: [String] = []
        for (name, amount) in request.scalars
        where amount > allocatableScalars[name, default: 0] - requestedScalars[name, default: 0] {
            scalarReasons.append("Insufficient \(name)")
        }
        if scalarReasons.isEmpty {
            if shortfalls == 0 { return nil }
            if shortfalls.nonzeroBitCount == 1 { return singleReasonStatuses[shortfalls.trailingZeroBitCount] }
        }
        let reasons = singleReasons.indices.filter { shortfalls & (1 << $0) != 0 }.map { singleReasons[$0] }
        return FilterStatus(code: .unschedulable, reasons: reasons + scalarReasons, plugin: name)
    }

    static func filter(_ request: Request, _ node: NodeInfo) -> FilterStatus? {
        filter(
            request, node.summary, allocatableScalars: node.allocatable.scalarResources,
            requestedScalars: node.requested.scalarResources)
    }

    /// `LeastAllocated`: the mean free share of CPU and memory after placing the pod, on 0...100, over the
    /// resources the node has; requests use the scoring defaults so that pods without requests still spread.
    static func score(_ pod: ResourceList, _ node: NodeSummary) -> Int64 {
        var total: Int64 = 0
        var weights: Int64 = 0
        if node.allocatableMilliCPU != 0 {
            total += leastRequested(node.nonZeroMilliCPU + pod.milliCPU, capacity: node.allocatableMilliCPU)
            weights += 1
        }
        if node.allocatableMemory != 0 {
            total += leastRequested(node.nonZeroMemory + pod.memory, capacity: node.allocatableMemory)
            weights += 1
        }
        return weights == 0 ? 0 : total / weights
    }

    private static func leastRequested(_ requested: Int64, capacity: Int64) -> Int64 {
        guard capacity > 0, requested <= capacity else { return 0 }
        return (capacity - requested) * maxNodeScore / capacity
    }
}
