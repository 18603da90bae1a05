import APIMachinery

/// The effective requests of a pod, as `k8s.io/component-helpers/resource.PodRequests` computes them.
extension PodInfo {
    /// Kubernetes' stand-ins for a container that requests no CPU or memory, used only for scoring
    /// (`schedutil.DefaultMilliCPURequest`, `DefaultMemoryRequest`).
    static let defaultMilliCPURequest: Int64 = 100
    static let defaultMemoryRequest: Int64 = 200 * 1024 * 1024

    /// Regular containers run together, so their requests add up. Init containers run one after another, each
    /// alongside the sidecars (init containers with `restartPolicy: Always`) started before it, so the pod needs the
    /// largest of those moments; sidecars keep running and add to the regular containers too. Overhead comes on top.
    /// `nonZero` does the same with the scoring defaults for containers without a CPU or memory request.
    static func requests(spec: JSONValue) -> (requests: ResourceList, nonZero: ResourceList) {
        var total = ResourceList()
        var nonZeroTotal = ResourceList()
        for container in spec["containers"]?.arrayValue ?? [] {
            let (requests, nonZero) = containerRequests(container)
            total.add(requests)
            nonZeroTotal.add(nonZero)
        }

        var sidecars = ResourceList()
        var nonZeroSidecars = ResourceList()
        var initPeak = ResourceList()
        var nonZeroInitPeak = ResourceList()
        for container in spec["initContainers"]?.arrayValue ?? [] {
            let (requests, nonZero) = containerRequests(container)
            if container["restartPolicy"]?.stringValue == "Always" {
                total.add(requests)
                nonZeroTotal.add(nonZero)
                sidecars.add(requests)
                nonZeroSidecars.add(nonZero)
                initPeak.raise(to: sidecars)
                nonZeroInitPeak.raise(to: nonZeroSidecars)
            } else {
                initPeak.raise(to: requests + sidecars)
                nonZeroInitPeak.raise(to: nonZero + nonZeroSidecars)
            }
        }
        total.raise(to: initPeak)
        nonZeroTotal.raise(to: nonZeroInitPeak)

        let overhead = ResourceList(json: spec["overhead"])
        total.add(overhead)
        nonZeroTotal.milliCPU += overhead.milliCPU
        nonZeroTotal.memory += overhead.memory
        total.pods = 1
        return (total, ResourceList(milliCPU: nonZeroTotal.milliCPU, memory: nonZeroTotal.memory))
    }

    private static func containerRequests(_ container: JSONValue) -> (ResourceList, ResourceList) {
        let json = container[path: "resources", "requests"]
        let requests = ResourceList(json: json)
        var nonZero = requests
        // Only a missing request takes the default; an explicit zero stays zero (`NonMissingContainerRequests`).
        if json?["cpu"] == nil { nonZero.milliCPU = defaultMilliCPURequest }
        if json?["memory"] == nil { nonZero.memory = defaultMemoryRequest }
        return (requests, nonZero)
    }
}
