/// The NodeResourcesBalancedAllocation score: nodes whose CPU and memory would be used in equal shares after
/// placing the pod score higher. Uses the actual requests, not the scoring defaults.
enum BalancedAllocation {
    static let name = "NodeResourcesBalancedAllocation"
    static let weight: Int64 = 1

    /// Kubernetes skips best-effort pods, which would otherwise all pile onto the most balanced node.
    static func applies(to pod: ResourceList) -> Bool {
        pod.milliCPU != 0 || pod.memory != 0
    }

    static func score(_ pod: ResourceList, _ node: NodeSummary) -> Int64 {
        let cpu = node.allocatableMilliCPU
        let memory = node.allocatableMemory
        // The standard deviation of two shares is half their difference; with one resource or none it is zero.
        guard cpu != 0, memory != 0 else { return NodeResourcesFit.maxNodeScore }
        let cpuShare = min(Double(node.requestedMilliCPU + pod.milliCPU) / Double(cpu), 1)
        let memoryShare = min(Double(node.requestedMemory + pod.memory) / Double(memory), 1)
        let deviation = abs(cpuShare - memoryShare) / 2
        return Int64((1 - deviation) * Double(NodeResourcesFit.maxNodeScore))
    }
}
