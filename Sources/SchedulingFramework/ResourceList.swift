import APIMachinery

/// Amounts of compute resources as integers, like kube-scheduler's `framework.Resource`: CPU in millicores, memory
/// and ephemeral storage in bytes, a pod count, and every scalar resource (extended resources such as
/// `nvidia.com/gpu`, `hugepages-*`, `attachable-volumes-*`) by name.
public struct ResourceList: Sendable, Hashable {
    public var milliCPU: Int64
    public var memory: Int64
    public var ephemeralStorage: Int64
    public var pods: Int64
    /// Only resources Kubernetes counts as scalar; other names in a resource list are ignored, as the scheduler does.
    public var scalarResources: [String: Int64]

    public init(
        milliCPU: Int64 = 0, memory: Int64 = 0, ephemeralStorage: Int64 = 0, pods: Int64 = 0,
        scalarResources: [String: Int64] = [:]
    ) {
        self.milliCPU = milliCPU
        self.memory = memory
        self.ephemeralStorage = ephemeralStorage
        self.pods = pods
        self.scalarResources = scalarResources
    }

    /// A `{"cpu": "500m", "memory": "1Gi", ...}` object; quantities that do not parse, and names the scheduler does
    /// not track, are skipped.
    public init(json: JSONValue?) {
        self.init()
        guard let fields = json?.objectValue else { return }
        for (name, value) in fields {
            guard let quantity = Quantity(json: value) else { continue }
            set(name, quantity)
        }
    }

    public static func + (lhs: ResourceList, rhs: ResourceList) -> ResourceList {
        var sum = lhs
        sum.add(rhs)
        return sum
    }

    public mutating func add(_ other: ResourceList) {
        milliCPU += other.milliCPU
        memory += other.memory
        ephemeralStorage += other.ephemeralStorage
        pods += other.pods
        for (name, amount) in other.scalarResources {
            scalarResources[name, default: 0] += amount
        }
    }

    /// Subtracts `other`; scalar entries that drop to zero are removed so that add-then-subtract restores equality.
    public mutating func subtract(_ other: ResourceList) {
        milliCPU -= other.milliCPU
        memory -= other.memory
        ephemeralStorage -= other.ephemeralStorage
        pods -= other.pods
        for (name, amount) in other.scalarResources {
            let remaining = scalarResources[name, default: 0] - amount
            scalarResources[name] = remaining == 0 ? nil : remaining
        }
    }

    /// Raises every amount to at least the one in `other` (init containers run one at a time, so only the largest
    /// counts).
    mutating func raise(to other: ResourceList) {
        milliCPU = max(milliCPU, other.milliCPU)
        memory = max(memory, other.memory)
        ephemeralStorage = max(ephemeralStorage, other.ephemeralStorage)
        pods = max(pods, other.pods)
        for (name, amount) in other.scalarResources where amount > scalarResources[name, default: 0] {
            scalarResources[name] = amount
        }
    }

    private mutating func set(_ name: String, _ quantity: Quantity) {
        switch name {
        case "cpu": milliCPU = quantity.milliValue ?? Int64.max
        case "memory": memory = quantity.value ?? Int64.max
        case "ephemeral-storage": ephemeralStorage = quantity.value ?? Int64.max
        case "pods": pods = quantity.value ?? Int64.max
        default:
            if ResourceList.isScalarResourceName(name) {
                scalarResources[name] = quantity.value ?? Int64.max
            }
        }
    }
}
