/// A resource within an API group, printed as Kubernetes prints it: `deployments.apps`, or `pods` for the core group.
public struct GroupResource: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var resource: String

    public init(group: String, resource: String) {
        self.group = group
        self.resource = resource
    }

    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }
}

/// An API group and version, written `apps/v1`, or `v1` for the core group.
public struct GroupVersion: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String

    public init(group: String, version: String) {
        self.group = group
        self.version = version
    }

    /// Parses an `apiVersion` field.
    public init(apiVersion: String) {
        if let slash = apiVersion.firstIndex(of: "/") {
            group = String(apiVersion[..<slash])
            version = String(apiVersion[apiVersion.index(after: slash)...])
        } else {
            group = ""
            version = apiVersion
        }
    }

    public var description: String { group.isEmpty ? version : "\(group)/\(version)" }
}
