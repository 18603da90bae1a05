import APIMachinery

/// The objects of one namespace the quota controller recounts a quota from.
public struct NamespaceContents: Sendable {
    public var pods: [JSONValue]
    public var services: [JSONValue]
    public var persistentVolumeClaims: [JSONValue]
    /// How many objects of every other resource the cluster serves the namespace holds, zero included. Pods,
    /// services and claims are counted from the lists above. A resource missing here is not recounted: its last
    /// `used` stays, as Kubernetes keeps the usage of resources it has no evaluator for.
    public var objectCounts: [GroupResource: Int]

    public init(pods: [JSONValue] = [], services: [JSONValue] = [], persistentVolumeClaims: [JSONValue] = [], objectCounts: [GroupResource: Int] = [:]) {
        self.pods = pods
        self.services = services
        self.persistentVolumeClaims = persistentVolumeClaims
        self.objectCounts = objectCounts
    }
}
