import KubeObjects

extension PolicyRule {
    /// Whether the rule allows the request, as RBAC's `RuleAllows`: verb, group, resource (`*`, exact, or
    /// `*/subresource`) and name for resource requests; verb and URL (`*`, exact, or a `prefix*`) otherwise.
    public func allows(_ request: AuthorizationAttributes) -> Bool {
        guard verbs.contains("*") || verbs.contains(request.verb) else { return false }
        guard request.isResourceRequest else { return nonResourceURLs.contains { Self.url($0, covers: request.path) } }
        return (apiGroups.contains("*") || apiGroups.contains(request.apiGroup))
            && matchesResource(request.combinedResource, subresource: request.subresource)
            && (resourceNames.isEmpty || resourceNames.contains(request.name))
    }

    private func matchesResource(_ combined: String, subresource: String) -> Bool {
        for resource in resources {
            if resource == "*" || resource == combined { return true }
            if !subresource.isEmpty, resource.count == subresource.count + 2, resource.hasPrefix("*/"), resource.hasSuffix(subresource) {
                return true
            }
        }
        return false
    }

    /// `*`, the path itself, or a rule URL ending in `*` that the path starts with.
    static func url(_ ruleURL: String, covers path: String) -> Bool {
        if ruleURL == "*" || ruleURL == path { return true }
        guard ruleURL.hasSuffix("*") else { return false }
        var prefix = Substring(ruleURL)
        while prefix.hasSuffix("*") { prefix = prefix.dropLast() }
        return path.hasPrefix(prefix)
    }
}
