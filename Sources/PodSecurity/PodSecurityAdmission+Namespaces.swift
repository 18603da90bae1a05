import APIMachinery
import KubeObjects

/// Namespaces under Pod Security admission (`ValidateNamespace`): their labels must be valid, and a stricter enforce
/// level is tried on the pods already there, whose violations come back as warnings (the namespace is admitted).
extension PodSecurityAdmission {
    /// What to do with an admitted namespace write.
    public enum NamespaceReview: Sendable, Hashable {
        /// Admit it with these warnings.
        case admitted(warnings: [String])
        /// Admit it, warning of the pods already in the namespace that fail its new enforce level: list them and
        /// return `existingPodWarnings(namespace:enforce:pods:)` (or `podListingFailedWarning`).
        case checkExistingPods(enforce: LevelVersion)
    }

    /// The most existing pods a new enforce level is tried on (`defaultNamespaceMaxPodsToCheck`).
    public static let maxExistingPodsToCheck = 3000

    /// The warning when the namespace's pods could not be listed.
    public static let podListingFailedWarning = "failed to list pods while checking new PodSecurity enforce level"

    /// Admits a namespace's create, or an update of the namespace itself (not of `status` or `finalize`).
    ///
    /// Refuses invalid `pod-security.kubernetes.io/…` labels as Invalid:
    /// `Namespace "x" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must
    /// be one of privileged, baseline, restricted`. An update may keep labels that were already invalid, unchanged.
    /// An update that makes the enforce level stricter (a stricter level, or any change of version to a
    /// non-privileged level) asks for the existing pods to be checked.
    public func admitNamespace(_ namespace: JSONValue, old: JSONValue?) throws(APIError) -> NamespaceReview {
        let name = namespace.metadata.name
        let (policy, invalidLabels) = policy(of: namespace)
        guard let old else {
            guard invalidLabels.isEmpty else { throw APIError.invalid(kind: "Namespace", group: "", name: name, causes: invalidLabels) }
            return .admitted(warnings: exemptNamespaceWarnings(namespace, policy: policy))
        }
        let (oldPolicy, oldInvalidLabels) = self.policy(of: old)
        if !invalidLabels.isEmpty && invalidLabels != oldInvalidLabels {
            throw APIError.invalid(kind: "Namespace", group: "", name: name, causes: invalidLabels)
        }
        let enforce = policy.enforce
        let oldEnforce = oldPolicy.enforce
        if enforce == oldEnforce || enforce.level == .privileged || (enforce.version == oldEnforce.version && enforce.level <= oldEnforce.level) {
            return .admitted(warnings: [])
        }
        if exemptions.namespaces.contains(name) { return .admitted(warnings: exemptNamespaceWarnings(namespace, policy: policy)) }
        return .checkExistingPods(enforce: enforce)
    }

    /// The warnings about a namespace's existing pods that fail its new enforce level (`EvaluatePodsInNamespace`):
    /// `existing pods in namespace "x" violate the new PodSecurity enforce level "restricted:latest"`, then one line
    /// per distinct set of failed checks naming the first pod by name and how many others share it,
    /// `web-1 (and 2 other pods): allowPrivilegeEscalation != false, unrestricted capabilities`, in byte order.
    ///
    /// At most `maxExistingPodsToCheck` pods are tried, one pod of each controller before the other pods of the same
    /// controller; pods of exempt RuntimeClasses are skipped. Kubernetes also stops after a second; these checks are
    /// in-memory and are not timed.
    public func existingPodWarnings(namespace: String, enforce: LevelVersion, pods: [JSONValue]) -> [String] {
        let candidates = prioritized(pods)
        let checked = candidates.prefix(Self.maxExistingPodsToCheck)
        // The first pod by name, and how many there are, failing each distinct set of checks.
        var podsByReason: [String: (firstName: String, count: Int)] = [:]
        for pod in checked {
            let violations = PodSecurityStandards.evaluate(pod, at: enforce)
            guard !violations.isEmpty else { continue }
            let name = pod.metadata.name
            let seen = podsByReason[violations.forbiddenReason]
            podsByReason[violations.forbiddenReason] = (
                firstName: seen.map { name.utf8.lexicographicallyPrecedes($0.firstName.utf8) ? name : $0.firstName } ?? name,
                count: (seen?.count ?? 0) + 1
            )
        }

        var warnings: [String] = []
        if checked.count < candidates.count {
            warnings.append("new PodSecurity enforce level only checked against the first \(checked.count) of \(candidates.count) existing pods")
        }
        if !podsByReason.isEmpty {
            let level = GoText.quoted(enforce.description)
            warnings.append("existing pods in namespace \(GoText.quoted(namespace)) violate the new PodSecurity enforce level \(level)")
        }
        let podWarnings = podsByReason.map { reason, pods in
            switch pods.count {
            case 1: "\(pods.firstName): \(reason)"
            case 2: "\(pods.firstName) (and 1 other pod): \(reason)"
            default: "\(pods.firstName) (and \(pods.count - 1) other pods): \(reason)"
            }
        }
        return warnings + Wording.sorted(podWarnings)
    }

    /// The pods worth checking first (`prioritizePods`): pods of exempt RuntimeClasses left out, and of the pods of
    /// one controller only the first before every pod of another, the rest at the end, since replicas fail alike.
    private func prioritized(_ pods: [JSONValue]) -> [JSONValue] {
        var first: [JSONValue] = []
        var replicas: [JSONValue] = []
        var controllers: Set<String> = []
        for pod in pods where !isExempt(runtimeClassOf: pod) {
            if let controller = pod.metadata.controllerRef, !controllers.insert(controller.uid).inserted {
                replicas.append(pod)
            } else {
                first.append(pod)
            }
        }
        return first + replicas
    }

    /// `namespace "x" is exempt from Pod Security, and the policy (enforce=restricted:latest) will be ignored` when an
    /// exempt namespace's labels set a policy other than privileged or the default (`exemptNamespaceWarning`).
    private func exemptNamespaceWarnings(_ namespace: JSONValue, policy: PodSecurityPolicy) -> [String] {
        let name = namespace.metadata.name
        guard exemptions.namespaces.contains(name), !policy.isFullyPrivileged, !policy.isEquivalent(to: defaults) else { return [] }
        let labels = namespace.metadata.labels
        let modes = [
            ("enforce", policy.enforce, PodSecurityPolicy.enforceLevelLabel, PodSecurityPolicy.enforceVersionLabel),
            ("audit", policy.audit, PodSecurityPolicy.auditLevelLabel, PodSecurityPolicy.auditVersionLabel),
            ("warn", policy.warn, PodSecurityPolicy.warnLevelLabel, PodSecurityPolicy.warnVersionLabel),
        ]
        let setModes = modes.filter { _, levelVersion, levelLabel, versionLabel in
            levelVersion.level != .privileged && (labels[levelLabel] != nil || labels[versionLabel] != nil)
        }.map { mode, levelVersion, _, _ in "\(mode)=\(levelVersion)" }
        return ["namespace \(GoText.quoted(name)) is exempt from Pod Security, and the policy (\(setModes.joined(separator: ", "))) will be ignored"]
    }
}
