import APIMachinery

/// One REST resource of the built-in API, as discovery and the HTTP routes see it.
public struct ResourceDefinition: Sendable, Hashable {
    public var group: String
    public var version: String
    public var kind: String
    public var listKind: String
    /// The plural, lower-case path segment: `deployments`.
    public var resource: String
    public var singular: String
    public var namespaced: Bool
    public var verbs: [String]
    public var shortNames: [String]
    public var categories: [String]
    public var subresources: [SubresourceDefinition]

    public init(
        group: String, version: String, kind: String, listKind: String, resource: String, singular: String,
        namespaced: Bool, verbs: [String], shortNames: [String], categories: [String], subresources: [SubresourceDefinition]
    ) {
        self.group = group
        self.version = version
        self.kind = kind
        self.listKind = listKind
        self.resource = resource
        self.singular = singular
        self.namespaced = namespaced
        self.verbs = verbs
        self.shortNames = shortNames
        self.categories = categories
        self.subresources = subresources
    }

    public var groupVersion: GroupVersion { GroupVersion(group: group, version: version) }
    public var groupResource: GroupResource { GroupResource(group: group, resource: resource) }
    /// The `apiVersion` field value: `apps/v1`, or `v1` for the core group.
    public var apiVersion: String { groupVersion.description }
    /// Whether objects of this resource are kept in the store (they are listed and deleted; CustomResourceDefinitions
    /// are, though Skiff takes no new ones). Virtual kinds are not: create-only reviews and `bindings`, read-only
    /// `componentstatuses`, and the metrics served by `metrics.k8s.io`.
    public var isStored: Bool { verbs.contains("list") && verbs.contains("delete") }
}

/// A subresource such as `status`, `scale`, `binding`, `log` or `eviction`.
public struct SubresourceDefinition: Sendable, Hashable {
    /// The path segment after the object name.
    public var name: String
    public var group: String
    public var version: String
    public var kind: String
    public var verbs: [String]

    public init(name: String, group: String, version: String, kind: String, verbs: [String]) {
        self.name = name
        self.group = group
        self.version = version
        self.kind = kind
        self.verbs = verbs
    }
}
