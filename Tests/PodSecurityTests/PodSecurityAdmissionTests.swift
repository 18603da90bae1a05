import APIMachinery
import PodSecurity
import Testing

/// Pods and workloads admitted as Kubernetes' PodSecurity plugin admits them, with its exact words.
struct PodSecurityAdmissionTests {
    let admission = PodSecurityAdmission()

    static let privilegedPod = Fixtures.pod("x", spec: ["containers": [["name": "c", "image": "busybox", "securityContext": ["privileged": true]]]])

    static func namespace(enforce: String? = nil, warn: String? = nil) -> JSONValue {
        var labels: [String: String] = [:]
        if let enforce { labels["pod-security.kubernetes.io/enforce"] = enforce }
        if let warn { labels["pod-security.kubernetes.io/warn"] = warn }
        return Fixtures.namespace("ns", labels: labels)
    }

    /// The refusal's message, or nil when the pod is admitted.
    func refusal(_ pod: JSONValue, old: JSONValue? = nil, in namespace: JSONValue, user: String = "alice", subresource: String = "") -> String? {
        do {
            _ = try admission.admitPod(pod, old: old, namespace: namespace, userName: user, subresource: subresource, admissionName: pod.metadata.name)
            return nil
        } catch {
            #expect(error.code == 403 && error.reason == "Forbidden")
            return error.message
        }
    }

    func warnings(_ pod: JSONValue, old: JSONValue? = nil, in namespace: JSONValue, user: String = "alice", subresource: String = "") throws -> [String] {
        try admission.admitPod(pod, old: old, namespace: namespace, userName: user, subresource: subresource, admissionName: pod.metadata.name)
    }

    @Test func theAuditLevelReportsWithoutRefusingOrWarning() throws {
        let namespace = Fixtures.namespace("ns", labels: ["pod-security.kubernetes.io/audit": "baseline"])
        #expect(refusal(Self.privilegedPod, in: namespace) == nil)
        #expect(try warnings(Self.privilegedPod, in: namespace) == [])
        #expect(
            admission.auditViolations(of: Self.privilegedPod, old: nil, namespace: namespace, userName: "alice")
                == #"would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)"#)
        #expect(admission.auditViolations(of: Fixtures.restrictedPod(), old: nil, namespace: namespace, userName: "alice") == nil)
        #expect(admission.auditViolations(of: Self.privilegedPod, old: Self.privilegedPod, namespace: namespace, userName: "alice") == nil)
    }

    @Test func aPrivilegedPodIsRefusedByBaseline() {
        #expect(
            refusal(Self.privilegedPod, in: Self.namespace(enforce: "baseline"))
                == #"pods "x" is forbidden: violates PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)"#)
    }

    @Test func aPrivilegedPodIsRefusedByRestrictedForEverythingItLacks() {
        #expect(
            refusal(Self.privilegedPod, in: Self.namespace(enforce: "restricted"))
                == #"pods "x" is forbidden: violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#
        )
    }

    /// The warning kubectl prints for `kubectl run nginx --image=nginx` in a namespace warned at restricted
    /// (Kubernetes' documentation, "Enforce Pod Security Standards with Namespace Labels").
    @Test func aPlainPodIsWarnedOfByRestricted() throws {
        let pod = Fixtures.plainPod("nginx", container: "nginx")
        #expect(
            try warnings(pod, in: Self.namespace(enforce: "baseline", warn: "restricted")) == [
                #"would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#
            ])
        #expect(try warnings(Fixtures.restrictedPod(), in: Self.namespace(enforce: "baseline", warn: "restricted")) == [])
    }

    @Test func aRefusedPodGetsNoWarnings() {
        #expect(refusal(Self.privilegedPod, in: Self.namespace(enforce: "baseline", warn: "restricted"))?.contains(#""baseline:latest""#) == true)
    }

    @Test func unlabelledNamespacesArePrivileged() throws {
        #expect(try warnings(Self.privilegedPod, in: Fixtures.namespace()) == [])
        #expect(try warnings(Self.privilegedPod, in: Self.namespace(enforce: "privileged")) == [])
    }

    @Test func anInvalidEnforceLabelEnforcesRestricted() {
        #expect(refusal(Fixtures.plainPod(), in: Self.namespace(enforce: "strict"))?.contains(#"violates PodSecurity "restricted:latest""#) == true)
    }

    @Test func exemptNamespacesUsersAndRuntimeClassesAreNotChecked() throws {
        let namespace = Self.namespace(enforce: "restricted")
        var admission = PodSecurityAdmission(exemptions: .init(usernames: ["system:serviceaccount:kube-system:daemon-set-controller"], namespaces: ["kube-system"]))
        admission.exemptions.runtimeClasses = ["kata"]
        let user = "system:serviceaccount:kube-system:daemon-set-controller"
        #expect(try admission.admitPod(Self.privilegedPod, old: nil, namespace: namespace, userName: user, admissionName: "x") == [])
        #expect(
            try admission.admitPod(Self.privilegedPod, old: nil, namespace: Fixtures.namespace("kube-system", labels: ["pod-security.kubernetes.io/enforce": "restricted"]), userName: "alice", admissionName: "x")
                == [])
        var kata = Self.privilegedPod
        kata[path: "spec", "runtimeClassName"] = "kata"
        #expect(try admission.admitPod(kata, old: nil, namespace: namespace, userName: "alice", admissionName: "x") == [])
        #expect(throws: APIError.self) { try admission.admitPod(Self.privilegedPod, old: nil, namespace: namespace, userName: "alice", admissionName: "x") }
    }

    @Test func updatesAreCheckedOnlyWhenImagesOrEphemeralContainersChange() throws {
        let namespace = Self.namespace(enforce: "baseline")
        var relabelled = Self.privilegedPod
        relabelled[path: "metadata", "labels"] = ["app": "web"]
        #expect(try warnings(relabelled, old: Self.privilegedPod, in: namespace) == [])

        var newImage = Self.privilegedPod
        newImage[path: "spec", "containers"] = [["name": "c", "image": "busybox:2", "securityContext": ["privileged": true]]]
        #expect(refusal(newImage, old: Self.privilegedPod, in: namespace) != nil)

        let running = Fixtures.plainPod("web")
        var debugged = running
        debugged[path: "spec", "ephemeralContainers"] = [["name": "debugger", "image": "busybox", "securityContext": ["capabilities": ["add": ["SYS_PTRACE"]]]]]
        #expect(
            refusal(debugged, old: running, in: namespace, subresource: "ephemeralcontainers")
                == #"pods "web" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities (container "debugger" must not include "SYS_PTRACE" in securityContext.capabilities.add)"#
        )
        #expect(try warnings(debugged, old: running, in: namespace, subresource: "status") == [])
    }

    @Test(arguments: [
        // (old, new, significant)
        (["containers": [["name": "a", "image": "x"]]], ["containers": [["name": "a", "image": "x"]], "activeDeadlineSeconds": 5], false),
        (["containers": [["name": "a", "image": "x"]]], ["containers": [["name": "a", "image": "y"]]], true),
        (["containers": [["name": "a", "image": "x"]]], ["containers": [["name": "a", "image": "x"], ["name": "b", "image": "x"]]], true),
        (["initContainers": [["name": "i", "image": "x"]]], ["initContainers": [["name": "i", "image": "y"]]], true),
        (["ephemeralContainers": [["name": "e", "image": "x"]]], ["ephemeralContainers": [["name": "e", "image": "x"]]], false),
        (["ephemeralContainers": [["name": "e", "image": "x"]]], ["ephemeralContainers": [["name": "e", "image": "x"], ["name": "f", "image": "x"]]], true),
    ] as [(JSONValue, JSONValue, Bool)])
    func significantUpdates(_ old: JSONValue, _ new: JSONValue, _ significant: Bool) {
        #expect(PodSecurityAdmission.isSignificantPodUpdate(Fixtures.pod(spec: new), old: Fixtures.pod(spec: old)) == significant)
    }

    @Test func workloadsAreOnlyWarnedAbout() {
        let deployment: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web", "namespace": "ns"],
            "spec": ["template": ["metadata": ["labels": ["app": "web"]], "spec": ["hostNetwork": true, "containers": [["name": "web", "image": "nginx"]]]]],
        ]
        let deployments = GroupResource(group: "apps", resource: "deployments")
        #expect(
            admission.admitPodController(deployment, resource: deployments, namespace: Self.namespace(enforce: "baseline"), userName: "alice") == [
                #"would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)"#
            ])
        #expect(admission.admitPodController(deployment, resource: deployments, namespace: Fixtures.namespace(), userName: "alice") == [])
        #expect(admission.admitPodController(deployment, resource: GroupResource(group: "", resource: "configmaps"), namespace: Self.namespace(enforce: "baseline"), userName: "alice") == [])
        let exempt = PodSecurityAdmission(exemptions: .init(namespaces: ["ns"]))
        #expect(exempt.admitPodController(deployment, resource: deployments, namespace: Self.namespace(enforce: "baseline"), userName: "alice") == [])
    }

    @Test func messagesQuoteTheLevelAndJoinTheDetails() {
        let violations = [
            PodSecurityViolation(check: "hostNamespaces", reason: "host namespaces", detail: "hostPID=true"),
            PodSecurityViolation(check: "other", reason: "no detail", detail: ""),
        ]
        #expect(violations.forbiddenReason == "host namespaces, no detail")
        #expect(PodSecurityAdmission.refusal(violations, of: LevelVersion(.baseline, .v1(minor: 27))) == #"violates PodSecurity "baseline:v1.27": host namespaces (hostPID=true), no detail"#)
        #expect(PodSecurityAdmission.warning(violations, of: LevelVersion(.baseline)) == #"would violate PodSecurity "baseline:latest": host namespaces (hostPID=true), no detail"#)
    }
}
