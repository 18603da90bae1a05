import APIMachinery
import KubeObjects

/// Every Role, ClusterRole, RoleBinding and ClusterRoleBinding of the cluster, indexed by the users and groups the
/// bindings name, and Kubernetes' RBAC authorizer over them (plugin/pkg/auth/authorizer/rbac): a request is allowed
/// when a rule of a role bound to its user or one of its groups — cluster-wide, or in the request's namespace —
/// allows it. Nothing is ever denied outright; what no rule allows has no opinion, which the API server refuses.
public struct RBACPolicy: Sendable {
    /// A binding, cluster-wide when `namespace` is empty.
    public struct Binding: Sendable, Hashable {
        public var namespace: String
        public var name: String
        public var roleRef: RoleReference
        public var subjects: [RBACSubject]

        public init(namespace: String, name: String, roleRef: RoleReference, subjects: [RBACSubject]) {
            self.namespace = namespace
            self.name = name
            self.roleRef = roleRef
            self.subjects = subjects
        }

        public init(_ object: JSONValue) {
            let binding = RoleBindingObject(object)
            self.init(
                namespace: binding.metadata.namespace ?? "", name: binding.metadata.name, roleRef: binding.roleRef, subjects: binding.subjects)
        }
    }

    /// Who a binding's subject is, as requests name it: a user (a ServiceAccount is the user
    /// `system:serviceaccount:<namespace>:<name>`) or a group.
    enum SubjectKey: Hashable {
        case user(String)
        case group(String)
    }

    private struct BindingKey: Hashable {
        var namespace: String
        var name: String
    }

    /// Roles by namespace and name; ClusterRoles under the namespace "".
    private var roles: [String: [String: [PolicyRule]]] = [:]
    private var bindings: [BindingKey: Binding] = [:]
    /// The bindings naming each subject, by the bindings' namespace ("" for ClusterRoleBindings).
    private var bindingsBySubject: [String: [SubjectKey: Set<String>]] = [:]

    public init() {}

    public var bindingCount: Int { bindings.count }

    // MARK: - Keeping it current

    /// Adds or replaces an object of `resource` (`roles`, `clusterroles`, `rolebindings`, `clusterrolebindings`).
    public mutating func apply(resource: String, object: JSONValue) {
        let namespace = resource == "roles" || resource == "rolebindings" ? object.metadata.namespace ?? "" : ""
        switch resource {
        case "roles", "clusterroles":
            roles[namespace, default: [:]][object.metadata.name] = RoleObject(object).rules
        case "rolebindings", "clusterrolebindings":
            var binding = Binding(object)
            binding.namespace = namespace
            setBinding(binding)
        default:
            break
        }
    }

    /// Removes an object of `resource` by name.
    public mutating func remove(resource: String, namespace: String?, name: String) {
        switch resource {
        case "roles": roles[namespace ?? ""]?[name] = nil
        case "clusterroles": roles[""]?[name] = nil
        case "rolebindings": removeBinding(BindingKey(namespace: namespace ?? "", name: name))
        case "clusterrolebindings": removeBinding(BindingKey(namespace: "", name: name))
        default: break
        }
    }

    public mutating func setBinding(_ binding: Binding) {
        let key = BindingKey(namespace: binding.namespace, name: binding.name)
        removeBinding(key)
        bindings[key] = binding
        for subject in binding.subjects {
            guard let subjectKey = Self.key(of: subject, bindingNamespace: binding.namespace) else { continue }
            bindingsBySubject[binding.namespace, default: [:]][subjectKey, default: []].insert(binding.name)
        }
    }

    private mutating func removeBinding(_ key: BindingKey) {
        guard let old = bindings.removeValue(forKey: key) else { return }
        for subject in old.subjects {
            guard let subjectKey = Self.key(of: subject, bindingNamespace: key.namespace) else { continue }
            bindingsBySubject[key.namespace]?[subjectKey]?.remove(key.name)
            if bindingsBySubject[key.namespace]?[subjectKey]?.isEmpty == true { bindingsBySubject[key.namespace]?[subjectKey] = nil }
        }
    }

    /// A subject as requests name it (`appliesToUser`): a ServiceAccount without a namespace is one of the
    /// binding's namespace, and names nobody in a ClusterRoleBinding.
    static func key(of subject: RBACSubject, bindingNamespace: String) -> SubjectKey? {
        switch subject.kind {
        case "User": return .user(subject.name)
        case "Group": return .group(subject.name)
        case "ServiceAccount":
            let namespace = subject.namespace.isEmpty ? bindingNamespace : subject.namespace
            guard !namespace.isEmpty else { return nil }
            return .user("system:serviceaccount:\(namespace):\(subject.name)")
        default: return nil
        }
    }

    // MARK: - Answering

    /// The rules of the role a binding in `namespace` refers to, or why there are none.
    public func rules(of reference: RoleReference, namespace: String) -> Result<[PolicyRule], RoleLookupError> {
        switch reference.kind {
        case "ClusterRole":
            guard let rules = roles[""]?[reference.name] else { return .failure(.notFound("clusterrole.rbac.authorization.k8s.io \"\(reference.name)\" not found")) }
            return .success(rules)
        case "Role" where !namespace.isEmpty:
            guard let rules = roles[namespace]?[reference.name] else { return .failure(.notFound("role.rbac.authorization.k8s.io \"\(reference.name)\" not found")) }
            return .success(rules)
        default:
            return .failure(.notFound("unsupported role reference kind: \"\(reference.kind)\""))
        }
    }

    public enum RoleLookupError: Error, Sendable, Hashable {
        case notFound(String)

        public var message: String {
            switch self {
            case .notFound(let message): message
            }
        }
    }

    /// Allows the request if a rule of a role bound to its user or groups allows it (`RBACAuthorizer.Authorize`).
    public func authorize(_ request: AuthorizationAttributes) -> AuthorizationDecision {
        var errors: [String] = []
        var allowedBy: String?
        visitRules(user: request.user, groups: request.groups, namespace: request.namespace) { source, rules, error in
            if let error {
                errors.append(error)
                return true
            }
            if rules.contains(where: { $0.allows(request) }) {
                allowedBy = source
                return false
            }
            return true
        }
        if let allowedBy { return .allow("RBAC: allowed by \(allowedBy)") }
        return .noOpinion(errors.isEmpty ? "" : "RBAC: " + (errors.count == 1 ? errors[0] : "[" + errors.joined(separator: ", ") + "]"))
    }

    /// Every rule granted to the user in `namespace` (cluster-wide only when empty), and the errors met finding them
    /// (`RulesFor`): what SelfSubjectRulesReview answers and escalation checks compare with.
    public func rules(user: String, groups: [String], namespace: String) -> (rules: [PolicyRule], errors: [String]) {
        var rules: [PolicyRule] = []
        var errors: [String] = []
        visitRules(user: user, groups: groups, namespace: namespace) { _, found, error in
            if let error { errors.append(error) } else { rules += found }
            return true
        }
        return (rules, errors)
    }

    /// Calls `visit` with the rules of each binding that applies — ClusterRoleBindings, then the RoleBindings of
    /// `namespace` — and a description of the binding, until it returns false.
    private func visitRules(user: String, groups: [String], namespace: String, _ visit: (String, [PolicyRule], String?) -> Bool) {
        let subjects = [SubjectKey.user(user)] + groups.map(SubjectKey.group)
        for bindingNamespace in namespace.isEmpty ? [""] : ["", namespace] {
            guard let index = bindingsBySubject[bindingNamespace] else { continue }
            var seen: Set<String> = []
            for subject in subjects {
                for name in index[subject] ?? [] where seen.insert(name).inserted {
                    guard let binding = bindings[BindingKey(namespace: bindingNamespace, name: name)] else { continue }
                    let source = Self.describe(binding, subject: subject)
                    let keepGoing: Bool
                    switch rules(of: binding.roleRef, namespace: bindingNamespace) {
                    case .success(let rules): keepGoing = visit(source, rules, nil)
                    case .failure(let error): keepGoing = visit(source, [], error.message)
                    }
                    if !keepGoing { return }
                }
            }
        }
    }

    /// `ClusterRoleBinding "x" of ClusterRole "y" to User "z"`, as RBAC's describers word an allowing binding.
    private static func describe(_ binding: Binding, subject: SubjectKey) -> String {
        let who: String
        switch subject {
        case .user(let name):
            let serviceAccount = "system:serviceaccount:"
            if name.hasPrefix(serviceAccount) {
                who = "ServiceAccount \"\(name.dropFirst(serviceAccount.count).split(separator: ":", maxSplits: 1).joined(separator: "/"))\""
            } else {
                who = "User \"\(name)\""
            }
        case .group(let name): who = "Group \"\(name)\""
        }
        if binding.namespace.isEmpty {
            return "ClusterRoleBinding \"\(binding.name)\" of \(binding.roleRef.kind) \"\(binding.roleRef.name)\" to \(who)"
        }
        return "RoleBinding \"\(binding.name)/\(binding.namespace)\" of \(binding.roleRef.kind) \"\(binding.roleRef.name)\" to \(who)"
    }
}
