import APIMachinery

/// One rule of an rbac.authorization.k8s.io/v1 Role or ClusterRole: verbs on resources of API groups (optionally
/// only the named ones), or verbs on non-resource URLs.
public struct PolicyRule: Sendable, Hashable, CustomStringConvertible {
    public var verbs: [String]
    public var apiGroups: [String]
    public var resources: [String]
    public var resourceNames: [String]
    public var nonResourceURLs: [String]

    public init(verbs: [String], apiGroups: [String] = [], resources: [String] = [], resourceNames: [String] = [], nonResourceURLs: [String] = []) {
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
        self.nonResourceURLs = nonResourceURLs
    }

    public init(_ json: JSONValue) {
        func strings(_ field: String) -> [String] { (json[field]?.arrayValue ?? []).compactMap(\.stringValue) }
        self.init(
            verbs: strings("verbs"), apiGroups: strings("apiGroups"), resources: strings("resources"), resourceNames: strings("resourceNames"),
            nonResourceURLs: strings("nonResourceURLs"))
    }

    /// The rule as the API writes it, empty lists left out.
    public var json: JSONValue {
        var object: [String: JSONValue] = ["verbs": .array(verbs.map { .string($0) })]
        for (field, values) in [("apiGroups", apiGroups), ("resources", resources), ("resourceNames", resourceNames), ("nonResourceURLs", nonResourceURLs)]
        where !values.isEmpty {
            object[field] = .array(values.map { .string($0) })
        }
        return .object(object)
    }

    /// The rule as Kubernetes prints it in escalation errors (`rbacv1helpers.CompactString`):
    /// `{APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}`.
    public var description: String {
        func quoted(_ values: [String]) -> String { "[" + values.map { "\"\($0)\"" }.joined(separator: " ") + "]" }
        var parts: [String] = []
        if !apiGroups.isEmpty { parts.append("APIGroups:\(quoted(apiGroups))") }
        if !resources.isEmpty { parts.append("Resources:\(quoted(resources))") }
        if !nonResourceURLs.isEmpty { parts.append("NonResourceURLs:\(quoted(nonResourceURLs))") }
        if !resourceNames.isEmpty { parts.append("ResourceNames:\(quoted(resourceNames))") }
        parts.append("Verbs:\(quoted(verbs))")
        return "{" + parts.joined(separator: ", ") + "}"
    }
}

/// An rbac.authorization.k8s.io/v1 Role or ClusterRole.
public struct RoleObject: ObjectView {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }

    public var rules: [PolicyRule] { (json["rules"]?.arrayValue ?? []).map(PolicyRule.init) }
    /// A ClusterRole's `aggregationRule.clusterRoleSelectors`: its rules are those of every ClusterRole they select.
    /// Nil when the role does not aggregate.
    public var aggregationSelectors: [JSONValue]? {
        guard let rule = json["aggregationRule"], !rule.isNull else { return nil }
        return rule["clusterRoleSelectors"]?.arrayValue ?? []
    }
}

/// A `roleRef` of a RoleBinding or ClusterRoleBinding.
public struct RoleReference: Sendable, Hashable {
    public init(kind: String, name: String) {
        self.kind = kind
        self.name = name
    }

    /// `Role` or `ClusterRole`.
    public var kind: String
    public var name: String
}

/// A subject of a binding: a `User`, `Group` or `ServiceAccount`.
public struct RBACSubject: Sendable, Hashable {
    public var kind: String
    public var name: String
    /// A ServiceAccount's namespace (the binding's when a RoleBinding leaves it out).
    public var namespace: String

    public init(kind: String, name: String, namespace: String = "") {
        self.kind = kind
        self.name = name
        self.namespace = namespace
    }
}

/// An rbac.authorization.k8s.io/v1 RoleBinding or ClusterRoleBinding.
public struct RoleBindingObject: ObjectView {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }

    public var roleRef: RoleReference {
        RoleReference(kind: json[path: "roleRef", "kind"]?.stringValue ?? "", name: json[path: "roleRef", "name"]?.stringValue ?? "")
    }

    public var subjects: [RBACSubject] {
        (json["subjects"]?.arrayValue ?? []).map { subject in
            RBACSubject(
                kind: subject["kind"]?.stringValue ?? "", name: subject["name"]?.stringValue ?? "",
                namespace: subject["namespace"]?.stringValue ?? "")
        }
    }
}
