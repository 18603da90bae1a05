import APIMachinery

/// What a namespace asks of its pods (`api.Policy`): the level that refuses violating pods (enforce), the level
/// recorded in the audit log (audit), and the level whose violations the client is warned of (warn).
public struct PodSecurityPolicy: Sendable, Hashable {
    public var enforce: LevelVersion
    public var audit: LevelVersion
    public var warn: LevelVersion

    public init(enforce: LevelVersion, audit: LevelVersion, warn: LevelVersion) {
        self.enforce = enforce
        self.audit = audit
        self.warn = warn
    }

    /// Kubernetes' default admission configuration: a namespace without labels is privileged in every mode.
    public static let privileged = PodSecurityPolicy(enforce: .privilegedLatest, audit: .privilegedLatest, warn: .privilegedLatest)

    public static let enforceLevelLabel = "pod-security.kubernetes.io/enforce"
    public static let enforceVersionLabel = "pod-security.kubernetes.io/enforce-version"
    public static let auditLevelLabel = "pod-security.kubernetes.io/audit"
    public static let auditVersionLabel = "pod-security.kubernetes.io/audit-version"
    public static let warnLevelLabel = "pod-security.kubernetes.io/warn"
    public static let warnVersionLabel = "pod-security.kubernetes.io/warn-version"

    /// No mode checks anything.
    public var isFullyPrivileged: Bool { enforce.level == .privileged && audit.level == .privileged && warn.level == .privileged }

    public func isEquivalent(to other: PodSecurityPolicy) -> Bool {
        enforce.isEquivalent(to: other.enforce) && audit.isEquivalent(to: other.audit) && warn.isEquivalent(to: other.warn)
    }

    /// The policy a namespace's labels set over `defaults` (`api.PolicyToEvaluate`), and the labels whose values are
    /// invalid, as `metadata.labels[…]` field errors in the order Kubernetes reports them.
    ///
    /// An invalid value still yields a policy, failing closed for enforcement and open for the rest: an invalid
    /// enforce level enforces `restricted`, an invalid audit or warn level is `privileged`, an invalid version is
    /// `latest`. When the enforce level is set and no warn level is, warnings default to the enforce level (and
    /// version) if that is stricter, so clients hear why a pod would be refused before it is.
    public static func parse(labels: [String: String], defaults: PodSecurityPolicy = .privileged)
        -> (policy: PodSecurityPolicy, invalidLabels: [StatusCause])
    {
        var policy = defaults
        var invalidLabels: [StatusCause] = []
        guard !labels.isEmpty else { return (policy, invalidLabels) }

        func level(_ label: String, failingTo fallback: PodSecurityLevel) -> PodSecurityLevel? {
            guard let value = labels[label] else { return nil }
            do {
                return try PodSecurityLevel(label: value)
            } catch {
                invalidLabels.append(.invalid("metadata.labels[\(label)]", value: .string(value), error.detail))
                return fallback
            }
        }
        func version(_ label: String) -> LevelVersion.Version? {
            guard let value = labels[label] else { return nil }
            do {
                return try LevelVersion.Version(label: value)
            } catch {
                invalidLabels.append(.invalid("metadata.labels[\(label)]", value: .string(value), error.detail))
                return .latest
            }
        }

        let enforceLevel = level(enforceLevelLabel, failingTo: .restricted)
        let hasValidEnforceLevel = enforceLevel != nil && invalidLabels.isEmpty
        if let enforceLevel { policy.enforce.level = enforceLevel }
        if let enforceVersion = version(enforceVersionLabel) { policy.enforce.version = enforceVersion }
        if let auditLevel = level(auditLevelLabel, failingTo: .privileged) { policy.audit.level = auditLevel }
        if let auditVersion = version(auditVersionLabel) { policy.audit.version = auditVersion }
        let warnLevel = level(warnLevelLabel, failingTo: .privileged)
        if let warnLevel { policy.warn.level = warnLevel }
        let warnVersion = version(warnVersionLabel)
        if let warnVersion { policy.warn.version = warnVersion }

        if warnLevel == nil, hasValidEnforceLevel, policy.enforce.level > policy.warn.level {
            policy.warn.level = policy.enforce.level
            if warnVersion == nil { policy.warn.version = policy.enforce.version }
        }
        return (policy, invalidLabels)
    }
}
