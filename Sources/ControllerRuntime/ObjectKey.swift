import APIMachinery
import KubeObjects

/// An object's cache key as client-go spells it: `namespace/name`, or `name` for cluster-scoped objects.
public struct ObjectKey: Sendable, Hashable, CustomStringConvertible {
    public var namespace: String?
    public var name: String

    public init(namespace: String?, name: String) {
        self.namespace = namespace.flatMap { $0.isEmpty ? nil : $0 }
        self.name = name
    }

    public init(_ object: JSONValue) {
        self.init(namespace: object.metadata.namespace, name: object.metadata.name)
    }

    public var description: String { namespace.map { "\($0)/\(name)" } ?? name }
}
