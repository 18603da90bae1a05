/// What a request asks to do, as Kubernetes' authorizers see it (`authorizer.Attributes`): who, which verb, and
/// either a resource (group, resource, subresource, namespace, name) or a non-resource path.
public struct AuthorizationAttributes: Sendable, Hashable {
    public var user: String
    /// Every group of the user, `system:authenticated` included.
    public var groups: [String]
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, or another verb a check asks
    /// for (`impersonate`, `bind`, `escalate`); for non-resource requests the lower-cased HTTP method.
    public var verb: String
    public var isResourceRequest: Bool
    public var apiGroup: String
    public var resource: String
    public var subresource: String
    public var namespace: String
    public var name: String
    /// A non-resource request's path.
    public var path: String

    public static func resource(
        user: String, groups: [String], verb: String, apiGroup: String, resource: String, subresource: String = "", namespace: String = "",
        name: String = ""
    ) -> AuthorizationAttributes {
        AuthorizationAttributes(
            user: user, groups: groups, verb: verb, isResourceRequest: true, apiGroup: apiGroup, resource: resource, subresource: subresource,
            namespace: namespace, name: name, path: "")
    }

    public static func nonResource(user: String, groups: [String], verb: String, path: String) -> AuthorizationAttributes {
        AuthorizationAttributes(
            user: user, groups: groups, verb: verb, isResourceRequest: false, apiGroup: "", resource: "", subresource: "", namespace: "", name: "",
            path: path)
    }

    /// `resource/subresource`, as rules name subresources.
    var combinedResource: String { subresource.isEmpty ? resource : resource + "/" + subresource }

    /// Why a request was refused, worded as kube-apiserver's `forbiddenMessage`.
    public var forbiddenMessage: String {
        guard isResourceRequest else { return "User \"\(user)\" cannot \(verb) path \"\(path)\"" }
        if !namespace.isEmpty {
            return "User \"\(user)\" cannot \(verb) resource \"\(combinedResource)\" in API group \"\(apiGroup)\" in the namespace \"\(namespace)\""
        }
        return "User \"\(user)\" cannot \(verb) resource \"\(combinedResource)\" in API group \"\(apiGroup)\" at the cluster scope"
    }
}

/// An authorizer's answer (`authorizer.Decision` with its reason).
public struct AuthorizationDecision: Sendable, Hashable {
    public var allowed: Bool
    /// Which binding allowed the request, or what went wrong while looking (a binding naming a missing role).
    public var reason: String

    public static func allow(_ reason: String) -> AuthorizationDecision { AuthorizationDecision(allowed: true, reason: reason) }
    public static func noOpinion(_ reason: String) -> AuthorizationDecision { AuthorizationDecision(allowed: false, reason: reason) }
}
