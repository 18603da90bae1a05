import APIMachinery

/// The Pod Security Standards as Kubernetes 1.32 defines them (k8s.io/pod-security-admission/policy): every check of
/// the baseline and restricted profiles, in each version since 1.0, and pods evaluated against a level at a version.
///
/// Left out, as Kubernetes 1.32 leaves them out by default: the relaxation of `procMount`, `runAsNonRoot` and
/// `runAsUser` for pods in user namespaces (`hostUsers: false`), which only the `UserNamespacesPodSecurityStandards`
/// feature gate turns on.
public enum PodSecurityStandards {
    /// The newest Kubernetes minor version that changed a check (1.32 allowed more sysctls): `latest`, and every
    /// version after it, evaluate as this one.
    static let newestChecksMinor = 32

    /// The checks `pod` (a Pod, or a pod template: any object with `metadata` and `spec`) fails at `levelVersion`:
    /// baseline checks first, then restricted ones, each in the order of their IDs, as Kubernetes orders them.
    /// A privileged level fails nothing.
    public static func evaluate(_ pod: JSONValue, at levelVersion: LevelVersion) -> [PodSecurityViolation] {
        let minor = levelVersion.version.checksMinor
        let reviewed = ReviewedPod(pod)
        return checks(for: levelVersion.level, minor: minor).compactMap { check in
            check.evaluate(reviewed, minor).map { PodSecurityViolation(check: check.id, reason: $0.reason, detail: $0.detail) }
        }
    }

    /// The checks of `level` at Kubernetes 1.`minor` (`checkRegistry.populate`): restricted includes the baseline
    /// checks but those a restricted check of that version replaces (restricted volumes replace hostPath volumes).
    static func checks(for level: PodSecurityLevel, minor: Int) -> [PodSecurityCheck] {
        guard level != .privileged else { return [] }
        let baseline = baselineChecks.filter { $0.firstMinor <= minor }
        guard level == .restricted else { return baseline }
        let restricted = restrictedChecks.filter { $0.firstMinor <= minor }
        let replaced = Set(restricted.flatMap(\.replaces))
        return baseline.filter { !replaced.contains($0.id) } + restricted
    }
}

/// One check of the standards (`policy.Check`): what it forbids from which Kubernetes version on. A check whose
/// rule changed in a later version reads the version it is evaluated at.
struct PodSecurityCheck: Sendable {
    let id: String
    /// The Kubernetes 1.N that introduced the check.
    let firstMinor: Int
    /// The baseline checks this restricted check replaces wherever it applies.
    let replaces: [String]
    /// The reason and detail when the pod fails the check at Kubernetes 1.`minor`; nil when it passes.
    let evaluate: @Sendable (_ pod: ReviewedPod, _ minor: Int) -> (reason: String, detail: String)?

    init(
        _ id: String, since firstMinor: Int = 0, replaces: [String] = [],
        evaluate: @escaping @Sendable (_ pod: ReviewedPod, _ minor: Int) -> (reason: String, detail: String)?
    ) {
        self.id = id
        self.firstMinor = firstMinor
        self.replaces = replaces
        self.evaluate = evaluate
    }
}
