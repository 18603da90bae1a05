import APIMachinery
import PodSecurity
import Testing

/// Namespace writes under Pod Security admission (`ValidateNamespace`, `EvaluatePodsInNamespace`).
struct NamespaceAdmissionTests {
    let admission = PodSecurityAdmission()
    static let enforce = "pod-security.kubernetes.io/enforce"

    @Test func invalidLabelsAreRefusedOnCreate() {
        let namespace = Fixtures.namespace("team", labels: [Self.enforce: "strict"])
        #expect {
            try admission.admitNamespace(namespace, old: nil)
        } throws: { error in
            let error = error as? APIError
            return error?.code == 422
                && error?.message
                    == #"Namespace "team" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted"#
        }
        let twoInvalid = Fixtures.namespace("team", labels: [Self.enforce: "strict", "pod-security.kubernetes.io/warn-version": "1.30"])
        #expect {
            try admission.admitNamespace(twoInvalid, old: nil)
        } throws: { error in
            (error as? APIError)?.message
                == #"Namespace "team" is invalid: [metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted, metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.30": must be "latest" or "v1.x"]"#
        }
    }

    @Test func anUpdateMayKeepInvalidLabelsButNotChangeThem() throws {
        let invalid = Fixtures.namespace("team", labels: [Self.enforce: "strict"])
        var relabelled = invalid
        relabelled[path: "metadata", "labels", "app"] = "x"
        #expect(try admission.admitNamespace(relabelled, old: invalid) == .admitted(warnings: []))
        #expect(throws: APIError.self) { try admission.admitNamespace(Fixtures.namespace("team", labels: [Self.enforce: "stricter"]), old: invalid) }
        #expect(throws: APIError.self) { try admission.admitNamespace(invalid, old: Fixtures.namespace("team")) }
    }

    @Test(arguments: [
        // (old enforce labels, new enforce labels, whether existing pods are checked)
        ([:], [enforce: "baseline"], true),
        ([enforce: "baseline"], [enforce: "restricted"], true),
        ([enforce: "restricted"], [enforce: "baseline"], false),
        ([enforce: "restricted"], [enforce: "restricted"], false),
        ([enforce: "baseline"], [enforce: "privileged"], false),
        ([enforce: "baseline"], [enforce: "baseline", "pod-security.kubernetes.io/enforce-version": "v1.24"], true),
        ([enforce: "baseline"], ["pod-security.kubernetes.io/warn": "restricted"], false),
    ] as [([String: String], [String: String], Bool)])
    func stricterEnforceLevelsCheckExistingPods(_ old: [String: String], _ new: [String: String], _ checks: Bool) throws {
        let review = try admission.admitNamespace(Fixtures.namespace("team", labels: new), old: Fixtures.namespace("team", labels: old))
        let (policy, _) = PodSecurityPolicy.parse(labels: new)
        #expect(review == (checks ? .checkExistingPods(enforce: policy.enforce) : .admitted(warnings: [])))
    }

    @Test func existingPodsAreSummarizedByWhatTheyFail() {
        func replica(_ name: String, of controller: String) -> JSONValue {
            var pod = Fixtures.plainPod(name)
            pod[path: "metadata", "ownerReferences"] = [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": .string(controller), "uid": .string(controller), "controller": true]]
            return pod
        }
        let pods = [
            replica("web-c", of: "rs-1"), replica("web-a", of: "rs-1"), replica("web-b", of: "rs-1"), replica("api-a", of: "rs-2"),
            Fixtures.pod("agent", spec: ["hostNetwork": true, "containers": [Fixtures.restrictedContainer("agent")]]), Fixtures.restrictedPod("fine"),
        ]
        #expect(
            admission.existingPodWarnings(namespace: "team", enforce: LevelVersion(.restricted), pods: pods) == [
                #"existing pods in namespace "team" violate the new PodSecurity enforce level "restricted:latest""#,
                "agent: host namespaces",
                "api-a (and 3 other pods): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile",
            ])
        #expect(admission.existingPodWarnings(namespace: "team", enforce: LevelVersion(.baseline), pods: pods) == [
            #"existing pods in namespace "team" violate the new PodSecurity enforce level "baseline:latest""#, "agent: host namespaces",
        ])
        #expect(admission.existingPodWarnings(namespace: "team", enforce: LevelVersion(.restricted), pods: [Fixtures.restrictedPod()]) == [])
    }

    @Test func twoPodsAreCountedAsOneOther() {
        let pods = [Fixtures.plainPod("b"), Fixtures.plainPod("a")]
        #expect(admission.existingPodWarnings(namespace: "n", enforce: LevelVersion(.restricted), pods: pods).last?.hasPrefix("a (and 1 other pod): ") == true)
    }

    @Test func atMost3000PodsAreChecked() {
        let pods = (0...PodSecurityAdmission.maxExistingPodsToCheck).map { Fixtures.plainPod("p\($0)") }
        let warnings = admission.existingPodWarnings(namespace: "big", enforce: LevelVersion(.restricted), pods: pods)
        #expect(warnings.first == "new PodSecurity enforce level only checked against the first 3000 of 3001 existing pods")
        #expect(warnings.last?.hasPrefix("p0 (and 2999 other pods): ") == true)
    }

    @Test func podsOfExemptRuntimeClassesAreLeftOut() {
        var kata = Fixtures.plainPod("kata")
        kata[path: "spec", "runtimeClassName"] = "kata"
        let admission = PodSecurityAdmission(exemptions: .init(runtimeClasses: ["kata"]))
        #expect(admission.existingPodWarnings(namespace: "n", enforce: LevelVersion(.restricted), pods: [kata]) == [])
    }

    @Test func exemptNamespacesAreWarnedThatTheirPolicyIsIgnored() throws {
        let admission = PodSecurityAdmission(exemptions: .init(namespaces: ["kube-system"]))
        let labelled = Fixtures.namespace("kube-system", labels: [Self.enforce: "baseline", "pod-security.kubernetes.io/audit": "restricted"])
        let warning = #"namespace "kube-system" is exempt from Pod Security, and the policy (enforce=baseline:latest, audit=restricted:latest) will be ignored"#
        #expect(try admission.admitNamespace(labelled, old: nil) == .admitted(warnings: [warning]))
        #expect(try admission.admitNamespace(labelled, old: Fixtures.namespace("kube-system")) == .admitted(warnings: [warning]))
        #expect(try admission.admitNamespace(Fixtures.namespace("kube-system"), old: nil) == .admitted(warnings: []))
        #expect(try admission.admitNamespace(Fixtures.namespace("other", labels: [Self.enforce: "baseline"]), old: nil) == .admitted(warnings: []))
    }
}
