/// One check a pod fails (`policy.CheckResult` when not allowed): the succinct reason every message shows and the
/// detail naming what to change, e.g. `allowPrivilegeEscalation != false` and
/// `container "web" must set securityContext.allowPrivilegeEscalation=false`.
public struct PodSecurityViolation: Sendable, Hashable {
    /// The check's ID in Kubernetes' registry, e.g. `allowPrivilegeEscalation` or `capabilities_restricted`.
    public var check: String
    public var reason: String
    /// Empty when the reason says it all.
    public var detail: String

    public init(check: String, reason: String, detail: String) {
        self.check = check
        self.reason = reason
        self.detail = detail
    }
}

extension Array where Element == PodSecurityViolation {
    /// The reasons alone, `host namespaces, privileged` (`AggregateCheckResult.ForbiddenReason`): what the warnings
    /// about a namespace's existing pods show.
    public var forbiddenReason: String { map(\.reason).joined(separator: ", ") }

    /// Each reason with its detail in parentheses, `host namespaces (hostNetwork=true), privileged (container "c"
    /// must not set securityContext.privileged=true)` (`AggregateCheckResult.ForbiddenDetail`): what refusals and
    /// warnings about one pod show.
    public var forbiddenDetail: String {
        map { $0.detail.isEmpty ? $0.reason : "\($0.reason) (\($0.detail))" }.joined(separator: ", ")
    }
}
