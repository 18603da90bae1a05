import APIMachinery
import PodSecurity
import Testing

/// Each restricted check passing and failing, with Kubernetes' reason and detail (policy/check_*_test.go), and how
/// restricted checks replace baseline ones.
struct RestrictedChecksTests {
    static let restricted = LevelVersion(.restricted)
    static let windows: JSONValue = ["name": "windows"]

    static let cases: [CheckCase] = [
        // allowPrivilegeEscalation
        CheckCase("false", Fixtures.pod(container: ["allowPrivilegeEscalation": false]), check: "allowPrivilegeEscalation", at: restricted),
        CheckCase(
            "unset or true",
            Fixtures.pod(spec: [
                "containers": [
                    ["name": "a"], ["name": "b", "securityContext": [:]], ["name": "c", "securityContext": ["allowPrivilegeEscalation": true]],
                    ["name": "d", "securityContext": ["allowPrivilegeEscalation": false]],
                ]
            ]),
            check: "allowPrivilegeEscalation", at: restricted, fails: "allowPrivilegeEscalation != false",
            #"containers "a", "b", "c" must set securityContext.allowPrivilegeEscalation=false"#),
        CheckCase("Windows pods from 1.25", Fixtures.pod(spec: ["os": windows, "containers": [["name": "a"]]]), check: "allowPrivilegeEscalation", at: restricted),
        CheckCase(
            "Windows pods before 1.25", Fixtures.pod(spec: ["os": windows, "containers": [["name": "a"]]]), check: "allowPrivilegeEscalation",
            at: LevelVersion(.restricted, .v1(minor: 24)), fails: "allowPrivilegeEscalation != false",
            #"container "a" must set securityContext.allowPrivilegeEscalation=false"#),
        CheckCase("not before 1.8", Fixtures.plainPod(), check: "allowPrivilegeEscalation", at: LevelVersion(.restricted, .v1(minor: 7))),

        // capabilities_restricted
        CheckCase("drop ALL, add NET_BIND_SERVICE", Fixtures.pod(container: ["capabilities": ["drop": ["ALL"], "add": ["NET_BIND_SERVICE"]]]), check: "capabilities_restricted", at: restricted),
        CheckCase(
            "missing drop", Fixtures.plainPod("p", container: "a"), check: "capabilities_restricted", at: restricted, fails: "unrestricted capabilities",
            #"container "a" must set securityContext.capabilities.drop=["ALL"]"#),
        CheckCase(
            "missing drop and forbidden adds",
            Fixtures.pod(spec: [
                "containers": [
                    ["name": "a", "securityContext": ["capabilities": ["add": ["FOO", "BAR"]]]],
                    ["name": "b", "securityContext": ["capabilities": ["drop": ["NET_RAW"], "add": ["BAZ"]]]],
                    ["name": "c", "securityContext": ["capabilities": ["drop": ["ALL"], "add": ["CHOWN", "NET_BIND_SERVICE"]]]],
                    ["name": "d", "securityContext": ["capabilities": ["drop": ["ALL"]]]],
                ]
            ]),
            check: "capabilities_restricted", at: restricted, fails: "unrestricted capabilities",
            #"containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; containers "a", "b", "c" must not include "BAR", "BAZ", "CHOWN", "FOO" in securityContext.capabilities.add"#
        ),

        // restrictedVolumes
        CheckCase(
            "allowed sources",
            Fixtures.pod(spec: [
                "volumes": [
                    ["name": "a", "configMap": ["name": "x"]], ["name": "b", "csi": ["driver": "d"]], ["name": "c", "downwardAPI": [:]], ["name": "d", "emptyDir": [:]],
                    ["name": "e", "ephemeral": [:]], ["name": "f", "persistentVolumeClaim": ["claimName": "x"]], ["name": "g", "projected": [:]],
                    ["name": "h", "secret": ["secretName": "x"]],
                ]
            ]),
            check: "restrictedVolumes", at: restricted),
        CheckCase(
            "restricted sources",
            Fixtures.pod(spec: [
                "volumes": [
                    ["name": "a", "hostPath": ["path": "/"]], ["name": "b", "nfs": ["server": "s", "path": "/"]], ["name": "c", "emptyDir": [:]],
                    ["name": "d", "hostPath": ["path": "/var"]], ["name": "e", "image": ["reference": "x"]],
                ]
            ]),
            check: "restrictedVolumes", at: restricted, fails: "restricted volume types",
            #"volumes "a", "b", "d", "e" use restricted volume types "hostPath", "nfs", "unknown""#),
        CheckCase(
            "one volume", Fixtures.pod(spec: ["volumes": [["name": "repo", "gitRepo": ["repository": "r"]]]]), check: "restrictedVolumes", at: restricted,
            fails: "restricted volume types", #"volume "repo" uses restricted volume type "gitRepo""#),

        // runAsNonRoot
        CheckCase("pod true", Fixtures.pod(spec: ["securityContext": ["runAsNonRoot": true], "containers": [["name": "a"]]]), check: "runAsNonRoot", at: restricted),
        CheckCase("every container true", Fixtures.pod(spec: ["containers": [["name": "a", "securityContext": ["runAsNonRoot": true]]]]), check: "runAsNonRoot", at: restricted),
        CheckCase(
            "unset", Fixtures.pod(spec: ["containers": [["name": "a"], ["name": "b"], ["name": "c", "securityContext": ["runAsNonRoot": true]]]]),
            check: "runAsNonRoot", at: restricted, fails: "runAsNonRoot != true", #"pod or containers "a", "b" must set securityContext.runAsNonRoot=true"#),
        CheckCase(
            "explicitly false outweighs unset",
            Fixtures.pod(spec: [
                "securityContext": ["runAsNonRoot": false],
                "containers": [["name": "a"], ["name": "c", "securityContext": ["runAsNonRoot": false]], ["name": "d", "securityContext": ["runAsNonRoot": false]]],
            ]),
            check: "runAsNonRoot", at: restricted, fails: "runAsNonRoot != true", #"pod and containers "c", "d" must not set securityContext.runAsNonRoot=false"#),

        // runAsUser
        CheckCase("non-zero", Fixtures.pod(spec: ["securityContext": ["runAsUser": 1000], "containers": [["name": "a", "securityContext": ["runAsUser": 1]]]]), check: "runAsUser", at: restricted),
        CheckCase(
            "zero", Fixtures.pod(spec: ["securityContext": ["runAsUser": 0], "containers": [["name": "a"], ["name": "c", "securityContext": ["runAsUser": 0]]]]),
            check: "runAsUser", at: restricted, fails: "runAsUser=0", #"pod and container "c" must not set runAsUser=0"#),
        CheckCase(
            "not before 1.23", Fixtures.pod(spec: ["securityContext": ["runAsUser": 0]]), check: "runAsUser", at: LevelVersion(.restricted, .v1(minor: 22))),

        // seccompProfile_restricted
        CheckCase("pod RuntimeDefault", Fixtures.pod(spec: ["securityContext": ["seccompProfile": ["type": "RuntimeDefault"]], "containers": [["name": "a"]]]), check: "seccompProfile_restricted", at: restricted),
        CheckCase(
            "unset", Fixtures.pod(spec: ["containers": [["name": "a"], ["name": "b"]]]), check: "seccompProfile_restricted", at: restricted, fails: "seccompProfile",
            #"pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#),
        CheckCase(
            "explicitly bad",
            Fixtures.pod(spec: [
                "securityContext": ["seccompProfile": ["type": "RuntimeDefault"]],
                "containers": [["name": "a"], ["name": "c", "securityContext": ["seccompProfile": ["type": "Unconfined"]]], ["name": "d", "securityContext": ["seccompProfile": [:]]]],
            ]),
            check: "seccompProfile_restricted", at: restricted, fails: "seccompProfile",
            #"containers "c", "d" must not set securityContext.seccompProfile.type to "", "Unconfined""#),
        CheckCase("Windows pods from 1.25", Fixtures.pod(spec: ["os": windows, "containers": [["name": "a"]]]), check: "seccompProfile_restricted", at: restricted),
    ]

    @Test(arguments: cases) func check(_ row: CheckCase) {
        row.verify()
    }

    /// Restricted volumes replace hostPath volumes, restricted capabilities and seccomp the baseline ones, only in the
    /// versions the restricted checks exist in.
    @Test func restrictedChecksReplaceBaselineOnesFromTheirVersion() {
        let pod = Fixtures.pod(spec: [
            "volumes": [["name": "root", "hostPath": ["path": "/"]]],
            "containers": [["name": "c", "securityContext": ["capabilities": ["add": ["SYS_ADMIN"]], "seccompProfile": ["type": "Unconfined"]]]],
        ])
        let latest = PodSecurityStandards.evaluate(pod, at: LevelVersion(.restricted)).map(\.check)
        #expect(latest == ["allowPrivilegeEscalation", "capabilities_restricted", "restrictedVolumes", "runAsNonRoot", "seccompProfile_restricted"])
        let v1_18 = PodSecurityStandards.evaluate(pod, at: LevelVersion(.restricted, .v1(minor: 18))).map(\.check)
        #expect(v1_18 == ["capabilities_baseline", "allowPrivilegeEscalation", "restrictedVolumes", "runAsNonRoot"])
    }

    @Test func versionsAfterTheNewestCheckChangeEvaluateAsLatest() {
        let pod = Fixtures.pod(spec: ["securityContext": ["sysctls": [["name": "net.ipv4.tcp_wmem"], ["name": "kernel.msgmax"]]], "containers": [["name": "c"]]])
        let latest = PodSecurityStandards.evaluate(pod, at: LevelVersion(.restricted))
        #expect(PodSecurityStandards.evaluate(pod, at: LevelVersion(.restricted, .v1(minor: 40))) == latest)
        #expect(PodSecurityStandards.evaluate(pod, at: LevelVersion(.restricted, .v1(minor: 32))) == latest)
    }

    @Test func aPodPassingRestrictedPassesEveryLevelAndVersion() {
        for level in PodSecurityLevel.allCases {
            for version in [LevelVersion.Version.latest, .v1(minor: 0), .v1(minor: 18), .v1(minor: 24), .v1(minor: 31)] {
                #expect(PodSecurityStandards.evaluate(Fixtures.restrictedPod(), at: LevelVersion(level, version)) == [], "\(level):\(version)")
            }
        }
    }
}
