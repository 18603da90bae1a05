import KubeObjects

/// Whether one set of rules grants everything another does, as RBAC's escalation check decides it
/// (`validation.Covers`): nobody may write a role or binding that grants what they do not hold themselves.
public enum RuleCoverage {
    /// The parts of `servant` that no rule of `owner` covers, each with one group, resource, verb and name (or one
    /// URL and verb); empty when `owner` covers all of it.
    public static func uncovered(by owner: [PolicyRule], _ servant: [PolicyRule]) -> [PolicyRule] {
        servant.flatMap(breakdown).filter { part in !owner.contains { covers($0, part) } }
    }

    /// A rule split into rules of at most one verb, group, resource and name (`BreakdownRule`).
    static func breakdown(_ rule: PolicyRule) -> [PolicyRule] {
        var parts: [PolicyRule] = []
        for group in rule.apiGroups {
            for resource in rule.resources {
                for verb in rule.verbs {
                    if rule.resourceNames.isEmpty {
                        parts.append(PolicyRule(verbs: [verb], apiGroups: [group], resources: [resource]))
                    } else {
                        for name in rule.resourceNames {
                            parts.append(PolicyRule(verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name]))
                        }
                    }
                }
            }
        }
        for url in rule.nonResourceURLs {
            for verb in rule.verbs {
                parts.append(PolicyRule(verbs: [verb], nonResourceURLs: [url]))
            }
        }
        return parts
    }

    /// Whether `owner` grants all of `part`, a rule `breakdown` made (`ruleCovers`).
    static func covers(_ owner: PolicyRule, _ part: PolicyRule) -> Bool {
        let verbs = owner.verbs.contains("*") || part.verbs.allSatisfy(owner.verbs.contains)
        let groups = owner.apiGroups.contains("*") || part.apiGroups.allSatisfy(owner.apiGroups.contains)
        let resources = part.resources.allSatisfy { resource in
            if owner.resources.contains("*") || owner.resources.contains(resource) { return true }
            let pieces = resource.split(separator: "/", maxSplits: 1)
            return pieces.count == 2 && owner.resources.contains("*/" + pieces[1])
        }
        let urls = part.nonResourceURLs.allSatisfy { url in owner.nonResourceURLs.contains { PolicyRule.url($0, covers: url) } }
        let names = part.resourceNames.isEmpty ? owner.resourceNames.isEmpty : owner.resourceNames.isEmpty || part.resourceNames.allSatisfy(owner.resourceNames.contains)
        return verbs && groups && resources && urls && names
    }

    /// kube-apiserver's refusal of a role or binding that would grant `missing` (`ConfirmNoEscalation`):
    /// `user "u" (groups=["a" "b"]) is attempting to grant RBAC permissions not currently held:` and the rules.
    public static func escalationMessage(user: String, groups: [String], missing: [PolicyRule], resolutionErrors: [String] = []) -> String {
        let quotedGroups = "[" + groups.map { "\"\($0)\"" }.joined(separator: " ") + "]"
        var message = "user \"\(user)\" (groups=\(quotedGroups)) is attempting to grant RBAC permissions not currently held:\n"
        message += compact(missing).map(\.description).joined(separator: "\n")
        if !resolutionErrors.isEmpty {
            message += "; resolution errors: [" + resolutionErrors.joined(separator: " ") + "]"
        }
        return message
    }

    /// Missing rules of one group and resource list merged over their verbs, as `CompactRules` shows them.
    static func compact(_ rules: [PolicyRule]) -> [PolicyRule] {
        var merged: [PolicyRule] = []
        for rule in rules {
            if rule.resourceNames.isEmpty, rule.nonResourceURLs.isEmpty,
                let index = merged.firstIndex(where: {
                    $0.apiGroups == rule.apiGroups && $0.resources == rule.resources && $0.resourceNames.isEmpty && $0.nonResourceURLs.isEmpty
                })
            {
                for verb in rule.verbs where !merged[index].verbs.contains(verb) { merged[index].verbs.append(verb) }
            } else {
                merged.append(rule)
            }
        }
        return merged
    }
}
