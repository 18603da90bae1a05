/// How a pool of hollow nodes looks and behaves.
public struct HollowNodeOptions: Sendable {
    /// Node names are `<namePrefix><index>`, e.g. `hollow-node-0`.
    public var namePrefix: String
    public var count: Int
    /// The first index, so that several pools (processes) can share a cluster without clashing.
    public var firstIndex: Int
    public var cpu: String
    public var memory: String
    public var pods: Int
    public var ephemeralStorage: String
    /// Extra labels for every node (e.g. a zone for topology tests).
    public var labels: [String: String]
    /// How long after a pod is bound it is reported Running and Ready.
    public var startDelay: Duration
    /// How long a container of a pod that does not restart (a Job's) runs before it exits.
    public var runDuration: Duration
    /// How long a deleted pod's containers take to stop (at most its grace period) before the node confirms the deletion.
    public var stopDelay: Duration
    /// How often each node renews its Lease (the kubelet's is 10 s).
    public var leaseRenewInterval: Duration
    public var leaseDurationSeconds: Int

    public init(
        namePrefix: String = "hollow-node-", count: Int, firstIndex: Int = 0, cpu: String = "4", memory: String = "16Gi", pods: Int = 110,
        ephemeralStorage: String = "100Gi", labels: [String: String] = [:], startDelay: Duration = .zero, runDuration: Duration = .seconds(1),
        stopDelay: Duration = .milliseconds(500),        leaseRenewInterval: Duration = .seconds(10),
        leaseDurationSeconds: Int = 40
    ) {
        self.namePrefix = namePrefix
        self.count = count
        self.firstIndex = firstIndex
        self.cpu = cpu
        self.memory = memory
        self.pods = pods
        self.ephemeralStorage = ephemeralStorage
        self.labels = labels
        self.startDelay = startDelay
        self.runDuration = runDuration
        self.stopDelay = stopDelay
        self.leaseRenewInterval = leaseRenewInterval
        self.leaseDurationSeconds = leaseDurationSeconds
    }

    public func nodeName(_ index: Int) -> String { "\(namePrefix)\(index)" }

    public var nodeNames: [String] { (firstIndex..<(firstIndex + count)).map(nodeName) }
}
