import APIMachinery

/// The REST resources a server offers, in Kubernetes' discovery order, with the lookups routing and discovery need.
public struct ResourceCatalog: Sendable {
    /// Every GA resource of the built-in groups (derived from the OpenAPI spec) plus `metrics.k8s.io/v1beta1`.
    public static let builtIn = ResourceCatalog(groupVersions: builtInGroupVersions, resources: builtInResources)

    public let resources: [ResourceDefinition]
    /// Core first, then the named groups by Kubernetes' group priority; within a group the preferred version first.
    public let groupVersions: [GroupVersion]

    private let byResource: [ResourceKey: Int]
    private let byKind: [ResourceKey: Int]

    public init(groupVersions: [GroupVersion], resources: [ResourceDefinition]) {
        self.groupVersions = groupVersions
        self.resources = resources
        var byResource: [ResourceKey: Int] = [:]
        var byKind: [ResourceKey: Int] = [:]
        for (index, resource) in resources.enumerated() {
            byResource[ResourceKey(group: resource.group, version: resource.version, name: resource.resource)] = index
            // Keep the first resource of a kind: a kind served by two resources is rare and the first is canonical.
            let kindKey = ResourceKey(group: resource.group, version: resource.version, name: resource.kind)
            if byKind[kindKey] == nil { byKind[kindKey] = index }
        }
        self.byResource = byResource
        self.byKind = byKind
    }

    /// Looks a resource up by its plural path segment, e.g. `("apps", "v1", "deployments")`.
    public func resource(group: String, version: String, resource: String) -> ResourceDefinition? {
        byResource[ResourceKey(group: group, version: version, name: resource)].map { resources[$0] }
    }

    /// Looks a resource up by the kind of its objects, e.g. `("apps", "v1", "Deployment")`.
    public func resource(group: String, version: String, kind: String) -> ResourceDefinition? {
        byKind[ResourceKey(group: group, version: version, name: kind)].map { resources[$0] }
    }

    /// The version discovery advertises as preferred for a group (`v2` for `autoscaling`), `nil` for an unknown group.
    public func preferredVersion(group: String) -> String? {
        groupVersions.first { $0.group == group }?.version
    }

    /// The versions of a group, preferred first.
    public func versions(group: String) -> [String] {
        groupVersions.filter { $0.group == group }.map(\.version)
    }

    /// The resources of one group-version in discovery order.
    public func resources(group: String, version: String) -> [ResourceDefinition] {
        resources.filter { $0.group == group && $0.version == version }
    }

    /// Named groups in discovery order, each once.
    var namedGroups: [String] {
        var seen: Set<String> = []
        return groupVersions.compactMap { gv in
            guard !gv.group.isEmpty, seen.insert(gv.group).inserted else { return nil }
            return gv.group
        }
    }
}

private struct ResourceKey: Hashable, Sendable {
    var group: String
    var version: String
    var name: String
}
