import APIMachinery

/// The discovery documents of Kubernetes 1.32, built from the catalog alone.
extension ResourceCatalog {
    /// `GET /api`: the legacy `APIVersions` document. `serverAddress` is the `host:port` clients reach the server at.
    public func coreAPIVersions(serverAddress: String = "127.0.0.1:6443") -> JSONValue {
        [
            "kind": "APIVersions",
            "versions": .array(versions(group: "").map { .string($0) }),
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ]
    }

    /// `GET /apis`: the legacy `APIGroupList` of every named group.
    public func apiGroupList() -> JSONValue {
        [
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": .array(namedGroups.compactMap { apiGroup(name: $0) }),
        ]
    }

    /// `GET /apis/<group>`: one `APIGroup`, `nil` for an unknown group.
    public func apiGroup(name: String) -> JSONValue? {
        let versions = versions(group: name)
        guard let preferred = versions.first else { return nil }
        func entry(_ version: String) -> JSONValue {
            ["groupVersion": .string("\(name)/\(version)"), "version": .string(version)]
        }
        return [
            "kind": "APIGroup",
            "apiVersion": "v1",
            "name": .string(name),
            "versions": .array(versions.map(entry)),
            "preferredVersion": entry(preferred),
        ]
    }

    /// `GET /api/v1` or `GET /apis/<group>/<version>`: the `APIResourceList`, subresources listed as `pods/log`.
    /// `nil` for a group-version the catalog does not serve.
    public func apiResourceList(group: String, version: String) -> JSONValue? {
        let served = resources(group: group, version: version)
        guard !served.isEmpty else { return nil }
        var entries: [JSONValue] = []
        for resource in served {
            var entry: [String: JSONValue] = [
                "name": .string(resource.resource),
                "singularName": .string(resource.singular),
                "namespaced": .bool(resource.namespaced),
                "kind": .string(resource.kind),
                "verbs": Self.strings(resource.verbs),
            ]
            if !resource.shortNames.isEmpty { entry["shortNames"] = Self.strings(resource.shortNames) }
            if !resource.categories.isEmpty { entry["categories"] = Self.strings(resource.categories) }
            entries.append(.object(entry))
            for subresource in resource.subresources {
                var subentry: [String: JSONValue] = [
                    "name": .string("\(resource.resource)/\(subresource.name)"),
                    "singularName": "",
                    "namespaced": .bool(resource.namespaced),
                    "kind": .string(subresource.kind),
                    "verbs": Self.strings(subresource.verbs),
                ]
                // Kubernetes names the group and version only when they differ from the list's own.
                if subresource.group != group || subresource.version != version {
                    subentry["group"] = .string(subresource.group)
                    subentry["version"] = .string(subresource.version)
                }
                entries.append(.object(subentry))
            }
        }
        return [
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": .string(GroupVersion(group: group, version: version).description),
            "resources": .array(entries),
        ]
    }

    /// Aggregated discovery (`apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`): the core group for `GET /api`
    /// (`core: true`) or every named group for `GET /apis`.
    public func aggregatedDiscovery(core: Bool) -> JSONValue {
        let groups = core ? [""] : namedGroups
        return [
            "kind": "APIGroupDiscoveryList",
            "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": .emptyObject,
            "items": .array(groups.map(groupDiscovery)),
        ]
    }

    private func groupDiscovery(_ group: String) -> JSONValue {
        var metadata: [String: JSONValue] = ["creationTimestamp": .null]
        if !group.isEmpty { metadata["name"] = .string(group) }
        let versions: [JSONValue] = versions(group: group).map { version in
            [
                "version": .string(version),
                "resources": .array(resources(group: group, version: version).map(resourceDiscovery)),
                "freshness": "Current",
            ]
        }
        return ["metadata": .object(metadata), "versions": .array(versions)]
    }

    private func resourceDiscovery(_ resource: ResourceDefinition) -> JSONValue {
        var entry: [String: JSONValue] = [
            "resource": .string(resource.resource),
            // An empty group and version mean "the same as the containing group-version".
            "responseKind": ["group": "", "version": "", "kind": .string(resource.kind)],
            "scope": resource.namespaced ? "Namespaced" : "Cluster",
            "singularResource": .string(resource.singular),
            "verbs": Self.strings(resource.verbs),
        ]
        if !resource.shortNames.isEmpty { entry["shortNames"] = Self.strings(resource.shortNames) }
        if !resource.categories.isEmpty { entry["categories"] = Self.strings(resource.categories) }
        if !resource.subresources.isEmpty {
            entry["subresources"] = .array(
                resource.subresources.map { subresource in
                    let sameGroupVersion = subresource.group == resource.group && subresource.version == resource.version
                    return [
                        "subresource": .string(subresource.name),
                        "responseKind": [
                            "group": .string(sameGroupVersion ? "" : subresource.group),
                            "version": .string(sameGroupVersion ? "" : subresource.version),
                            "kind": .string(subresource.kind),
                        ],
                        "verbs": Self.strings(subresource.verbs),
                    ]
                }
            )
        }
        return .object(entry)
    }

    private static func strings(_ values: [String]) -> JSONValue {
        .array(values.map { .string($0) })
    }
}
