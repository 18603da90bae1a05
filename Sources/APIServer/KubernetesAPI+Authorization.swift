import APIMachinery
import Authorization
import Foundation

extension KubernetesAPI {
    static let authenticatedGroup = "system:authenticated"

    /// The groups authorization sees: the authenticator's and `system:authenticated`, which every authenticated user
    /// belongs to.
    static func effectiveGroups(_ groups: [String]) -> [String] {
        groups.contains(authenticatedGroup) ? groups : groups + [authenticatedGroup]
    }

    /// What a request asks to do, as kube-apiserver's `RequestInfoFactory` reads it from the path, method and query.
    static func authorizationAttributes(_ request: APIRequest, target: RequestTarget) -> AuthorizationAttributes {
        let groups = effectiveGroups(request.groups)
        guard case .resource(let path) = target else {
            return .nonResource(user: request.user, groups: groups, verb: request.method.lowercased(), path: request.path)
        }
        var name = path.name ?? ""
        let verb: String
        switch request.method {
        case "GET", "HEAD":
            if request.flag("watch") {
                verb = "watch"
            } else {
                verb = name.isEmpty ? "list" : "get"
            }
            // A list or watch of one object by its name is authorized as for that name.
            if name.isEmpty, let selector = request.query["fieldSelector"], let named = singleNameSelected(selector) { name = named }
        case "POST": verb = "create"
        case "PUT": verb = "update"
        case "PATCH": verb = "patch"
        case "DELETE": verb = name.isEmpty ? "deletecollection" : "delete"
        default: verb = request.method.lowercased()
        }
        return .resource(
            user: request.user, groups: groups, verb: verb, apiGroup: path.group, resource: path.resource, subresource: path.subresource ?? "",
            namespace: path.namespace ?? "", name: name)
    }

    /// `metadata.name=x` (or `==`) alone in a field selector.
    private static func singleNameSelected(_ selector: String) -> String? {
        let clauses = selector.split(separator: ",")
        guard clauses.count == 1 else { return nil }
        for separator in ["==", "="] {
            let parts = clauses[0].components(separatedBy: separator)
            if parts.count == 2, parts[0] == "metadata.name" { return parts[1] }
        }
        return nil
    }

    /// Refuses a request RBAC does not allow, with kube-apiserver's wording.
    func authorize(_ request: APIRequest, target: RequestTarget) async throws(APIError) {
        let attributes = Self.authorizationAttributes(request, target: target)
        var decision = authorizer.authorize(attributes)
        if !decision.allowed, NodeAuthorizer.node(of: attributes) != nil, decision.reason.contains(NodeAuthorizer.unrelatedReason) {
            // A node learns of a pod bound to it through a watch, as this server's graph does: it may ask for the
            // pod's Secret a moment before the graph has the pod. Give the graph up to a second to catch up.
            for _ in 0..<50 where !decision.allowed {
                try? await Task.sleep(for: .milliseconds(20))
                decision = authorizer.authorize(attributes)
            }
        }
        if !decision.allowed {
            logger.debug(
                "forbidden",
                metadata: ["user": "\(attributes.user)", "groups": "\(attributes.groups)", "verb": "\(attributes.verb)", "path": "\(request.path)"])
            throw Self.forbidden(attributes, reason: decision.reason)
        }
    }

    /// 403 for a request no rule allows: `pods is forbidden: User "u" cannot list resource "pods" in API group ""
    /// in the namespace "prod"`, and RBAC's reason when it has one.
    static func forbidden(_ attributes: AuthorizationAttributes, reason: String) -> APIError {
        var message = attributes.forbiddenMessage
        if !reason.isEmpty { message += ": " + reason }
        guard attributes.isResourceRequest else {
            return APIError(code: 403, reason: "Forbidden", message: "forbidden: \(message)")
        }
        return .forbidden(GroupResource(group: attributes.apiGroup, resource: attributes.resource), name: attributes.name, message: message)
    }

    // MARK: - Impersonation

    /// The request as the user it impersonates (`Impersonate-User`, `-Group`, `-Uid`, `-Extra-*` headers), once
    /// the real user is found allowed to `impersonate` each; the request unchanged when it impersonates nobody.
    func impersonating(_ request: APIRequest) throws(APIError) -> APIRequest {
        let user = request.headers["impersonate-user"]
        let groups = Self.headerValues(request.headers["impersonate-group"])
        let uid = request.headers["impersonate-uid"]
        let extraPrefix = "impersonate-extra-"
        let extras = request.headers.filter { $0.key.hasPrefix(extraPrefix) }
        guard let user, !user.isEmpty else {
            if !groups.isEmpty || uid != nil || !extras.isEmpty {
                throw APIError.badRequest("requested impersonation of groups, a uid or extra attributes without impersonating a user", causes: [])
            }
            return request
        }
        let realGroups = Self.effectiveGroups(request.groups)
        func check(resource: String, subresource: String = "", namespace: String = "", name: String) throws(APIError) {
            let attributes = AuthorizationAttributes.resource(
                user: request.user, groups: realGroups, verb: "impersonate", apiGroup: ["uids", "userextras"].contains(resource) ? "authentication.k8s.io" : "",
                resource: resource, subresource: subresource, namespace: namespace, name: name)
            let decision = authorizer.authorize(attributes)
            if !decision.allowed { throw Self.forbidden(attributes, reason: decision.reason) }
        }
        let serviceAccount = Self.serviceAccount(ofUser: user)
        if let serviceAccount {
            try check(resource: "serviceaccounts", namespace: serviceAccount.namespace, name: serviceAccount.name)
        } else {
            try check(resource: "users", name: user)
        }
        for group in groups { try check(resource: "groups", name: group) }
        if let uid { try check(resource: "uids", name: uid) }
        var extra: [String: [String]] = [:]
        for (header, value) in extras {
            let key = String(header.dropFirst(extraPrefix.count)).removingPercentEncoding ?? String(header.dropFirst(extraPrefix.count))
            let values = Self.headerValues(value)
            for value in values { try check(resource: "userextras", subresource: key, name: value) }
            extra[key] = values
        }
        var impersonated = request
        impersonated.user = user
        if groups.isEmpty, let serviceAccount {
            impersonated.groups = ["system:serviceaccounts", "system:serviceaccounts:\(serviceAccount.namespace)"]
        } else {
            impersonated.groups = groups
        }
        if user != "system:anonymous" { impersonated.groups = Self.effectiveGroups(impersonated.groups) }
        impersonated.userUID = uid ?? ""
        impersonated.userExtra = extra
        for header in ["impersonate-user", "impersonate-group", "impersonate-uid"] { impersonated.headers[header] = nil }
        for header in extras.keys { impersonated.headers[header] = nil }
        return impersonated
    }

    /// The values of a header that came several times, which the HTTP edge joined with ", ".
    private static func headerValues(_ joined: String?) -> [String] {
        guard let joined, !joined.isEmpty else { return [] }
        return joined.components(separatedBy: ", ")
    }

    /// The namespace and name of a `system:serviceaccount:<namespace>:<name>` user.
    static func serviceAccount(ofUser user: String) -> (namespace: String, name: String)? {
        let prefix = "system:serviceaccount:"
        guard user.hasPrefix(prefix) else { return nil }
        let parts = user.dropFirst(prefix.count).split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }
}
