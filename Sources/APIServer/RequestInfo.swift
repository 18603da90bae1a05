import APIMachinery

/// What a resource request's path names, parsed as Kubernetes' `RequestInfoFactory` does.
struct ResourcePath: Sendable, Hashable {
    var group: String
    var version: String
    var namespace: String?
    var resource: String
    var name: String?
    var subresource: String?
}

/// The kinds of request the API server serves, from the path alone.
enum RequestTarget: Sendable, Hashable {
    case version
    case health(String)
    /// `/metrics`: the process's Prometheus metrics.
    case metrics
    case coreGroupDiscovery
    case groupListDiscovery
    case groupDiscovery(group: String)
    case resourceList(group: String, version: String)
    case openAPIv2
    case openAPIv3Index
    case openAPIv3(path: String)
    case resource(ResourcePath)
    case unknown

    /// Namespace subresources that are not nested resources: `/namespaces/x/status` is the namespace's status.
    private static let namespaceSubresources: Set<String> = ["status", "finalize"]

    init(path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch parts.first {
        case "version" where parts.count == 1:
            self = .version
        case "metrics" where parts.count == 1:
            self = .metrics
        case "healthz", "livez", "readyz":
            self = .health(parts.joined(separator: "/"))
        case "openapi":
            if parts.count == 2 && parts[1] == "v2" {
                self = .openAPIv2
            } else if parts.count == 2 && parts[1] == "v3" {
                self = .openAPIv3Index
            } else if parts.count > 2 && parts[1] == "v3" {
                self = .openAPIv3(path: parts[2...].joined(separator: "/"))
            } else {
                self = .unknown
            }
        case "api":
            if parts.count == 1 {
                self = .coreGroupDiscovery
            } else if parts.count == 2 {
                self = .resourceList(group: "", version: parts[1])
            } else {
                self = Self.resource(group: "", version: parts[1], rest: Array(parts[2...]))
            }
        case "apis":
            if parts.count == 1 {
                self = .groupListDiscovery
            } else if parts.count == 2 {
                self = .groupDiscovery(group: parts[1])
            } else if parts.count == 3 {
                self = .resourceList(group: parts[1], version: parts[2])
            } else {
                self = Self.resource(group: parts[1], version: parts[2], rest: Array(parts[3...]))
            }
        default:
            self = .unknown
        }
    }

    private static func resource(group: String, version: String, rest: [String]) -> RequestTarget {
        var parts = rest[...]
        var namespace: String?
        if parts.first == "namespaces", parts.count > 1 {
            namespace = parts[parts.startIndex + 1]
            if parts.count > 2 && !namespaceSubresources.contains(parts[parts.startIndex + 2]) {
                parts = parts.dropFirst(2)
            } else {
                // The namespace object itself: /api/v1/namespaces/{name}[/status|/finalize].
                namespace = nil
            }
        }
        guard let resource = parts.first, parts.count <= 3 else { return .unknown }
        let name = parts.count > 1 ? parts[parts.startIndex + 1] : nil
        let subresource = parts.count > 2 ? parts[parts.startIndex + 2] : nil
        return .resource(ResourcePath(group: group, version: version, namespace: namespace, resource: resource, name: name, subresource: subresource))
    }
}
