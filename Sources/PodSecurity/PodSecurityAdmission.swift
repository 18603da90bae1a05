import APIMachinery
import KubeObjects

/// Kubernetes' PodSecurity admission plugin (k8s.io/pod-security-admission/admission): a namespace's labels choose a
/// level per mode; a pod that fails the enforce level is refused, one that fails the warn level is admitted with a
/// warning, a workload whose pod template fails the warn level only draws a warning, and a namespace's new enforce
/// level is tried on the pods it already holds. Messages are worded as Kubernetes words them.
///
/// Skiff keeps no audit log: what the audit level finds (`auditViolations`) the API server writes to its own log.
public struct PodSecurityAdmission: Sendable {
    /// The policy of a namespace that sets no labels (`defaults` of the admission configuration).
    public var defaults: PodSecurityPolicy
    public var exemptions: Exemptions

    public init(defaults: PodSecurityPolicy = .privileged, exemptions: Exemptions = Exemptions()) {
        self.defaults = defaults
        self.exemptions = exemptions
    }

    /// Who and what is never checked (`exemptions` of the admission configuration). Kubernetes exempts nothing by
    /// default; static and mirror pods are checked like any other.
    public struct Exemptions: Sendable, Hashable {
        /// Authenticated users whose requests are not checked.
        public var usernames: Set<String>
        public var namespaces: Set<String>
        /// Pods (and templates) of these RuntimeClasses are not checked.
        public var runtimeClasses: Set<String>

        public init(usernames: Set<String> = [], namespaces: Set<String> = [], runtimeClasses: Set<String> = []) {
            self.usernames = usernames
            self.namespaces = namespaces
            self.runtimeClasses = runtimeClasses
        }
    }

    static let pods = GroupResource(group: "", resource: "pods")

    /// The subresources of pods that cannot change what the checks read (`ignoredPodSubresources`); any other,
    /// `ephemeralcontainers` among them, is checked as the pod.
    static let ignoredPodSubresources: Set = ["exec", "attach", "binding", "eviction", "log", "portforward", "proxy", "status"]

    /// The policy a namespace's labels set over `defaults`, and the labels whose values are invalid.
    public func policy(of namespace: JSONValue) -> (policy: PodSecurityPolicy, invalidLabels: [StatusCause]) {
        PodSecurityPolicy.parse(labels: namespace.metadata.labels, defaults: defaults)
    }

    /// Admits a pod's create, or an update of it or of a subresource (`ValidatePod`): the warnings to return to the
    /// client, or a Forbidden refusal (`pods "x" is forbidden: violates PodSecurity "restricted:latest": …`).
    ///
    /// - Parameters:
    ///   - pod: The pod as it would be stored.
    ///   - old: The stored pod on an update, nil on a create.
    ///   - namespace: The pod's Namespace object, whose labels set the policy.
    ///   - userName: The requesting user, for the exemptions.
    ///   - subresource: Empty for the pod itself; `ephemeralcontainers` is checked, `status`, `binding` and the
    ///     like are not.
    ///   - admissionName: The name the refusal names (the pod's name; empty before a `generateName` is resolved).
    public func admitPod(
        _ pod: JSONValue, old: JSONValue?, namespace: JSONValue, userName: String, subresource: String = "", admissionName: String
    ) throws(APIError) -> [String] {
        guard !Self.ignoredPodSubresources.contains(subresource), !isExempt(namespace: namespace.metadata.name, userName: userName) else { return [] }
        let (policy, invalidLabels) = policy(of: namespace)
        if invalidLabels.isEmpty && policy.isFullyPrivileged { return [] }
        if let old, !Self.isSignificantPodUpdate(pod, old: old) { return [] }
        guard !isExempt(runtimeClassOf: pod) else { return [] }

        let violations = PodSecurityStandards.evaluate(pod, at: policy.enforce)
        if !violations.isEmpty {
            throw APIError.forbidden(Self.pods, name: admissionName, message: Self.refusal(violations, of: policy.enforce))
        }
        return warnings(for: pod, policy: policy)
    }

    /// Admits a create or update of a workload that carries a pod template (`ValidatePodController`): the warnings
    /// about its template. Kubernetes never refuses a workload for its template; its pods are refused when they
    /// are created. `resource` names the workload's kind as `podTemplate(in:resource:)` takes it; call this for the
    /// object itself, not for its subresources.
    public func admitPodController(_ object: JSONValue, resource: GroupResource, namespace: JSONValue, userName: String) -> [String] {
        guard !isExempt(namespace: namespace.metadata.name, userName: userName) else { return [] }
        let (policy, _) = policy(of: namespace)
        // An invalid warn label means privileged, so a namespace whose labels are wrong warns of nothing either.
        guard policy.warn.level != .privileged, let template = Self.podTemplate(in: object, resource: resource),
            !isExempt(runtimeClassOf: template)
        else { return [] }
        return warnings(for: template, policy: policy)
    }

    /// What Kubernetes records in the audit event of a pod's create or update (the annotation
    /// `pod-security.kubernetes.io/audit-violations`) when the pod fails its namespace's audit level; nil when it
    /// passes or is not checked.
    public func auditViolations(of pod: JSONValue, old: JSONValue?, namespace: JSONValue, userName: String) -> String? {
        guard !isExempt(namespace: namespace.metadata.name, userName: userName), !isExempt(runtimeClassOf: pod) else { return nil }
        let (policy, _) = policy(of: namespace)
        guard policy.audit.level != .privileged else { return nil }
        if let old, !Self.isSignificantPodUpdate(pod, old: old) { return nil }
        let violations = PodSecurityStandards.evaluate(pod, at: policy.audit)
        return violations.isEmpty ? nil : Self.warning(violations, of: policy.audit)
    }

    /// `would violate PodSecurity "baseline:latest": …` when the pod fails the policy's warn level.
    private func warnings(for pod: JSONValue, policy: PodSecurityPolicy) -> [String] {
        let violations = PodSecurityStandards.evaluate(pod, at: policy.warn)
        return violations.isEmpty ? [] : [Self.warning(violations, of: policy.warn)]
    }

    /// The message of an enforce refusal, which the API server's Forbidden error wraps:
    /// `violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set …), …`.
    public static func refusal(_ violations: [PodSecurityViolation], of levelVersion: LevelVersion) -> String {
        "violates PodSecurity \(GoText.quoted(levelVersion.description)): \(violations.forbiddenDetail)"
    }

    /// The warning for a pod or pod template that fails the warn level:
    /// `would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (…), …`.
    public static func warning(_ violations: [PodSecurityViolation], of levelVersion: LevelVersion) -> String {
        "would violate PodSecurity \(GoText.quoted(levelVersion.description)): \(violations.forbiddenDetail)"
    }

    /// Whether a pod update can change the outcome of the checks and so is checked (`isSignificantPodUpdate`): the
    /// API lets an update change only containers' images and add ephemeral containers among the fields the checks
    /// read, so an update that changes neither (labels, annotations, tolerations, status) is admitted unchecked.
    public static func isSignificantPodUpdate(_ pod: JSONValue, old: JSONValue) -> Bool {
        let spec = Pod(pod).spec
        let oldSpec = Pod(old).spec
        for (containers, oldContainers) in [(spec.containers, oldSpec.containers), (spec.initContainers, oldSpec.initContainers)] {
            guard containers.count == oldContainers.count else { return true }
            if zip(containers, oldContainers).contains(where: { $0.image != $1.image }) { return true }
        }
        let oldEphemeral = ephemeralContainers(of: oldSpec)
        return ephemeralContainers(of: spec).contains { container in
            guard let oldContainer = oldEphemeral.first(where: { $0.name == container.name }) else { return true }
            return container.image != oldContainer.image
        }
    }

    private static func ephemeralContainers(of spec: Pod.Spec) -> [Container] {
        (spec.json["ephemeralContainers"]?.arrayValue ?? []).map(Container.init)
    }

    func isExempt(namespace: String, userName: String) -> Bool {
        (!namespace.isEmpty && exemptions.namespaces.contains(namespace)) || (!userName.isEmpty && exemptions.usernames.contains(userName))
    }

    func isExempt(runtimeClassOf pod: JSONValue) -> Bool {
        guard let runtimeClass = Pod(pod).spec.json["runtimeClassName"]?.stringValue, !runtimeClass.isEmpty else { return false }
        return exemptions.runtimeClasses.contains(runtimeClass)
    }
}
