import APIMachinery
import ControllerRuntime
import KubeClient

/// One object the garbage collector watches: its resource and its cache key.
public struct GraphNode: Sendable, Hashable, CustomStringConvertible {
    public var resource: ResourceType
    public var key: ObjectKey

    public init(resource: ResourceType, key: ObjectKey) {
        self.resource = resource
        self.key = key
    }

    public var description: String { "\(resource) \(key)" }
}

/// The owner → dependents index by owner uid, kept from informer events (Kubernetes' `uidToNode` with each node's
/// `dependents`). A value type: the controller holds it behind a lock and tests drive it directly.
public struct OwnerGraph: Sendable {
    private var dependents: [String: Set<GraphNode>] = [:]
    /// The owner uids each node was last indexed under, so that an update or delete can unlink it.
    private var owners: [GraphNode: Set<String>] = [:]

    public init() {}

    /// Indexes an object under the uids of its ownerReferences, replacing what it was indexed under before.
    public mutating func update(_ node: GraphNode, object: JSONValue) {
        let current = Set(Self.ownerReferences(of: object).compactMap { $0["uid"]?.stringValue })
        let previous = owners[node] ?? []
        for uid in previous.subtracting(current) { unlink(node, from: uid) }
        for uid in current.subtracting(previous) { dependents[uid, default: []].insert(node) }
        owners[node] = current.isEmpty ? nil : current
    }

    public mutating func remove(_ node: GraphNode) {
        for uid in owners.removeValue(forKey: node) ?? [] { unlink(node, from: uid) }
    }

    public func dependents(of uid: String) -> Set<GraphNode> {
        dependents[uid] ?? []
    }

    private mutating func unlink(_ node: GraphNode, from uid: String) {
        dependents[uid]?.remove(node)
        if dependents[uid]?.isEmpty == true { dependents[uid] = nil }
    }

    static func ownerReferences(of object: JSONValue) -> [JSONValue] {
        object[path: "metadata", "ownerReferences"]?.arrayValue ?? []
    }
}
