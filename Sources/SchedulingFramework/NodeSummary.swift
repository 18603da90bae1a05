/// The integers and flags of a node that the filter and score loops read for a plain pod, kept as one plain
/// value so that reading it copies no references (a `NodeInfo` copy retains a dozen of them).
struct NodeSummary: Sendable {
    var allocatableMilliCPU: Int64 = 0
    var allocatableMemory: Int64 = 0
    var allocatableEphemeralStorage: Int64 = 0
    var allowedPods: Int64 = 0
    var requestedMilliCPU: Int64 = 0
    var requestedMemory: Int64 = 0
    var requestedEphemeralStorage: Int64 = 0
    var nonZeroMilliCPU: Int64 = 0
    var nonZeroMemory: Int64 = 0
    var podCount: Int64 = 0
    var unschedulable = false
    /// Some taint has a `NoSchedule` or `NoExecute` effect.
    var hasSchedulingTaints = false
    var hasPreferNoScheduleTaints = false
}
