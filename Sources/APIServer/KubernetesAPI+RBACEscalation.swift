import APIMachinery
import Authorization
import KubeObjects

extension KubernetesAPI {
    static let rbacGroup = "rbac.authorization.k8s.io"

    /// RBAC's escalation prevention on writes of roles and bindings (registry/rbac's policy-based storage): nobody may
    /// grant, through a role they write or a binding they make, a permission they do not hold themselves — unless
    /// they may `escalate` roles, or `bind` the role a binding refers to. Members of `system:masters` may.
    func confirmNoEscalation(_ object: JSONValue, old: JSONValue?, context: ResourceRequest) throws(APIError) {
        let definition = context.definition
        guard definition.group == Self.rbacGroup else { return }
        let request = context.request
        let groups = Self.effectiveGroups(request.groups)
        if groups.contains(RequestAuthorizer.privilegedGroup) { return }
        let namespace = definition.namespaced ? object.metadata.namespace ?? "" : ""
        let name = object.metadata.name
        let policy = authorizer.policy
        func permitted(_ verb: String, resource: String, name: String) -> Bool {
            authorizer.authorize(
                .resource(user: request.user, groups: groups, verb: verb, apiGroup: Self.rbacGroup, resource: resource, namespace: namespace, name: name)
            ).allowed
        }
        let granted: [PolicyRule]
        switch definition.resource {
        case "roles", "clusterroles":
            let role = RoleObject(object)
            if let old, RoleObject(old).rules == role.rules, (RoleObject(old).aggregationSelectors == nil) == (role.aggregationSelectors == nil) {
                return
            }
            if permitted("escalate", resource: definition.resource, name: context.path.name ?? "") { return }
            try confirmHeld(role.rules, user: request.user, groups: groups, namespace: namespace, policy: policy, context: context, name: name)
            if role.aggregationSelectors != nil {
                let everything = [PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]), PolicyRule(verbs: ["*"], nonResourceURLs: ["*"])]
                let (held, _) = policy.rules(user: request.user, groups: groups, namespace: namespace)
                if !RuleCoverage.uncovered(by: held, everything).isEmpty {
                    throw APIError.forbidden(context.groupResource, name: name, message: "must have cluster-admin privileges to use the aggregationRule")
                }
            }
            return
        case "rolebindings", "clusterrolebindings":
            let reference = RoleBindingObject(object).roleRef
            if let old, RoleBindingObject(old).roleRef == reference { return }
            if permitted("bind", resource: reference.kind == "Role" ? "roles" : "clusterroles", name: reference.name) { return }
            switch policy.rules(of: reference, namespace: namespace) {
            case .success(let rules): granted = rules
            case .failure:
                let resource = reference.kind == "Role" ? "roles" : "clusterroles"
                throw APIError.notFound(GroupResource(group: Self.rbacGroup, resource: resource), name: reference.name)
            }
        default:
            return
        }
        try confirmHeld(granted, user: request.user, groups: groups, namespace: namespace, policy: policy, context: context, name: name)
    }

    /// 403 naming the rules of `granted` the user does not hold in `namespace`.
    private func confirmHeld(
        _ granted: [PolicyRule], user: String, groups: [String], namespace: String, policy: RBACPolicy, context: ResourceRequest, name: String
    ) throws(APIError) {
        let (held, errors) = policy.rules(user: user, groups: groups, namespace: namespace)
        let missing = RuleCoverage.uncovered(by: held, granted)
        guard !missing.isEmpty else { return }
        let message = RuleCoverage.escalationMessage(user: user, groups: groups, missing: missing, resolutionErrors: errors)
        throw APIError.forbidden(context.groupResource, name: name, message: message)
    }
}
