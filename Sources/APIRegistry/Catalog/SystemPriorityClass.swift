import APIMachinery

/// The PriorityClasses every Kubernetes cluster has from the start (`scheduling.SystemPriorityClasses()`). Names
/// starting with `system-` are reserved for them, and they alone may exceed the user limit of 1000000000.
public struct SystemPriorityClass: Sendable, Hashable {
    public let name: String
    public let value: Int64
    public let description: String

    public static let all = [
        SystemPriorityClass(
            name: "system-node-critical", value: 2_000_001_000,
            description: "Used for system critical pods that must not be moved from their current node."),
        SystemPriorityClass(
            name: "system-cluster-critical", value: 2_000_000_000,
            description: "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
    ]

    public static func named(_ name: String) -> SystemPriorityClass? {
        all.first { $0.name == name }
    }

    /// The object the API server creates at start when it is missing (before defaulting).
    public var object: JSONValue {
        [
            "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": ["name": .string(name)],
            "value": .integer(value), "description": .string(description),
        ]
    }
}
