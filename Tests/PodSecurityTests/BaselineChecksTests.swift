import APIMachinery
import PodSecurity
import Testing

/// Each baseline check passing and failing, with Kubernetes' reason and detail (policy/check_*_test.go).
struct BaselineChecksTests {
    static let cases: [CheckCase] = [
        // hostNamespaces
        CheckCase("no host namespaces", Fixtures.pod(spec: ["hostNetwork": false, "containers": [["name": "c"]]]), check: "hostNamespaces"),
        CheckCase(
            "all three", Fixtures.pod(spec: ["hostNetwork": true, "hostPID": true, "hostIPC": true, "containers": [["name": "c"]]]),
            check: "hostNamespaces", fails: "host namespaces", "hostNetwork=true, hostPID=true, hostIPC=true"),
        CheckCase("host PID", Fixtures.pod(spec: ["hostPID": true]), check: "hostNamespaces", fails: "host namespaces", "hostPID=true"),

        // privileged
        CheckCase("privileged false", Fixtures.pod(container: ["privileged": false]), check: "privileged"),
        CheckCase(
            "init, regular and ephemeral containers in that order",
            Fixtures.pod(spec: [
                "ephemeralContainers": [["name": "e", "securityContext": ["privileged": true]]],
                "containers": [["name": "c", "securityContext": ["privileged": true]], ["name": "ok"]],
                "initContainers": [["name": "i", "securityContext": ["privileged": true]]],
            ]),
            check: "privileged", fails: "privileged", #"containers "i", "c", "e" must not set securityContext.privileged=true"#),

        // capabilities_baseline
        CheckCase("default capabilities", Fixtures.pod(container: ["capabilities": ["add": ["CHOWN", "NET_BIND_SERVICE"]]]), check: "capabilities_baseline"),
        CheckCase(
            "non-default capabilities",
            Fixtures.pod(spec: [
                "containers": [
                    ["name": "a", "securityContext": ["capabilities": ["add": ["FOO", "BAR"]]]],
                    ["name": "b", "securityContext": ["capabilities": ["add": ["BAZ", "CHOWN", "FOO"]]]],
                    ["name": "c", "securityContext": ["capabilities": ["add": ["CHOWN"]]]],
                ]
            ]),
            check: "capabilities_baseline", fails: "non-default capabilities",
            #"containers "a", "b" must not include "BAR", "BAZ", "FOO" in securityContext.capabilities.add"#),

        // hostPathVolumes
        CheckCase("emptyDir", Fixtures.pod(spec: ["volumes": [["name": "a", "emptyDir": [:]]]]), check: "hostPathVolumes"),
        CheckCase(
            "two hostPaths", Fixtures.pod(spec: ["volumes": [["name": "a", "hostPath": ["path": "/"]], ["name": "x", "secret": [:]], ["name": "b", "hostPath": ["path": "/var"]]]]),
            check: "hostPathVolumes", fails: "hostPath volumes", #"volumes "a", "b""#),
        CheckCase("one hostPath", Fixtures.pod(spec: ["volumes": [["name": "data", "hostPath": ["path": "/"]]]]), check: "hostPathVolumes", fails: "hostPath volumes", #"volume "data""#),

        // hostPorts
        CheckCase("container ports only", Fixtures.pod(spec: ["containers": [["name": "a", "ports": [["containerPort": 80, "hostPort": 0]]]]]), check: "hostPorts"),
        CheckCase(
            "one container", Fixtures.pod(spec: ["containers": [["name": "a", "ports": [["containerPort": 80]]], ["name": "b", "ports": [["containerPort": 80, "hostPort": 20]]]]]),
            check: "hostPorts", fails: "hostPort", #"container "b" uses hostPort 20"#),
        CheckCase(
            "ports sorted as strings",
            Fixtures.pod(spec: [
                "containers": [["name": "b", "ports": [["hostPort": 9], ["hostPort": 10]]], ["name": "c", "ports": [["hostPort": 30], ["hostPort": 10]]]]
            ]),
            check: "hostPorts", fails: "hostPort", #"containers "b", "c" use hostPorts 10, 30, 9"#),

        // appArmorProfile
        CheckCase("runtime default", Fixtures.pod(spec: ["securityContext": ["appArmorProfile": ["type": "RuntimeDefault"]], "containers": [["name": "c"]]]), check: "appArmorProfile"),
        CheckCase(
            "pod unconfined", Fixtures.pod(spec: ["securityContext": ["appArmorProfile": ["type": "Unconfined"]], "containers": [["name": "c"]]]),
            check: "appArmorProfile", fails: "forbidden AppArmor profile", #"pod must not set AppArmor profile type to "Unconfined""#),
        CheckCase(
            "container unconfined", Fixtures.pod(spec: ["containers": [["name": "foo", "securityContext": ["appArmorProfile": ["type": "Unconfined"]]], ["name": "ok", "securityContext": ["appArmorProfile": ["type": "Localhost", "localhostProfile": "p"]]]]]),
            check: "appArmorProfile", fails: "forbidden AppArmor profile", #"container "foo" must not set AppArmor profile type to "Unconfined""#),
        CheckCase(
            "annotations",
            Fixtures.pod(
                spec: ["containers": [["name": "a"]]],
                annotations: [
                    "container.apparmor.security.beta.kubernetes.io/": "bogus", "container.apparmor.security.beta.kubernetes.io/a": "",
                    "container.apparmor.security.beta.kubernetes.io/b": "runtime/default", "container.apparmor.security.beta.kubernetes.io/c": "localhost/",
                    "container.apparmor.security.beta.kubernetes.io/d": "localhost/foo", "container.apparmor.security.beta.kubernetes.io/e": "unconfined",
                    "container.apparmor.security.beta.kubernetes.io/f": "unknown",
                ]),
            check: "appArmorProfile", fails: "forbidden AppArmor profiles",
            #"annotations must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/="bogus"", "container.apparmor.security.beta.kubernetes.io/e="unconfined"", "container.apparmor.security.beta.kubernetes.io/f="unknown"""#
        ),
        CheckCase(
            "pod, container and annotation",
            Fixtures.pod(
                spec: ["securityContext": ["appArmorProfile": ["type": "Unconfined"]], "containers": [["name": "a", "securityContext": ["appArmorProfile": ["type": "Other"]]]]],
                annotations: ["container.apparmor.security.beta.kubernetes.io/a": "unconfined"]),
            check: "appArmorProfile", fails: "forbidden AppArmor profiles",
            #"pod and container "a" and annotation must not set AppArmor profile type to "Other", "Unconfined", "container.apparmor.security.beta.kubernetes.io/a="unconfined"""#
        ),

        // seLinuxOptions
        CheckCase("container_t", Fixtures.pod(container: ["seLinuxOptions": ["type": "container_t", "level": "s0:c1"]]), check: "seLinuxOptions"),
        CheckCase("container_engine_t from 1.31", Fixtures.pod(container: ["seLinuxOptions": ["type": "container_engine_t"]]), check: "seLinuxOptions"),
        CheckCase(
            "container_engine_t before 1.31", Fixtures.pod(container: ["seLinuxOptions": ["type": "container_engine_t"]]), check: "seLinuxOptions",
            at: LevelVersion(.baseline, .v1(minor: 30)), fails: "seLinuxOptions", #"container "c" set forbidden securityContext.seLinuxOptions: type "container_engine_t""#),
        CheckCase(
            "pod and containers",
            Fixtures.pod(spec: [
                "securityContext": ["seLinuxOptions": ["type": "foo"]],
                "containers": [
                    ["name": "d", "securityContext": ["seLinuxOptions": ["type": "container_t"]]],
                    ["name": "e", "securityContext": ["seLinuxOptions": ["type": "bar"]]],
                    ["name": "f", "securityContext": ["seLinuxOptions": ["user": "admin"]]],
                    ["name": "g", "securityContext": ["seLinuxOptions": ["role": "admin"]]],
                ],
            ]),
            check: "seLinuxOptions", fails: "seLinuxOptions",
            #"pod and containers "e", "f", "g" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set"#),
        CheckCase(
            "pod role", Fixtures.pod(spec: ["securityContext": ["seLinuxOptions": ["role": "r"]], "containers": [["name": "c"]]]), check: "seLinuxOptions",
            fails: "seLinuxOptions", "pod set forbidden securityContext.seLinuxOptions: role may not be set"),

        // procMount
        CheckCase("Default", Fixtures.pod(container: ["procMount": "Default"]), check: "procMount"),
        CheckCase(
            "Unmasked",
            Fixtures.pod(spec: [
                "containers": [
                    ["name": "a", "securityContext": ["procMount": "Default"]], ["name": "d", "securityContext": ["procMount": "Unmasked"]],
                    ["name": "e", "securityContext": ["procMount": "other"]],
                ]
            ]),
            check: "procMount", fails: "procMount", #"containers "d", "e" must not set securityContext.procMount to "Unmasked", "other""#),

        // seccompProfile_baseline
        CheckCase("unset", Fixtures.plainPod(), check: "seccompProfile_baseline"),
        CheckCase("Localhost", Fixtures.pod(container: ["seccompProfile": ["type": "Localhost", "localhostProfile": "p.json"]]), check: "seccompProfile_baseline"),
        CheckCase(
            "Unconfined",
            Fixtures.pod(spec: [
                "securityContext": ["seccompProfile": ["type": "Unconfined"]],
                "containers": [
                    ["name": "a"], ["name": "c", "securityContext": ["seccompProfile": ["type": "Unconfined"]]],
                    ["name": "d", "securityContext": ["seccompProfile": ["type": "Unconfined"]]],
                ],
            ]),
            check: "seccompProfile_baseline", fails: "seccompProfile", #"pod and containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined""#),
        CheckCase(
            "annotations before 1.19",
            Fixtures.pod(
                spec: ["containers": [["name": "a"], ["name": "b"], ["name": "c"]]],
                annotations: [
                    "seccomp.security.alpha.kubernetes.io/pod": "unconfined", "container.seccomp.security.alpha.kubernetes.io/a": "unconfined",
                    "container.seccomp.security.alpha.kubernetes.io/b": "unknown", "container.seccomp.security.alpha.kubernetes.io/c": "docker/default",
                ]),
            check: "seccompProfile_baseline", at: LevelVersion(.baseline, .v1(minor: 18)), fails: "seccompProfile",
            #"forbidden annotations container.seccomp.security.alpha.kubernetes.io/a="unconfined", container.seccomp.security.alpha.kubernetes.io/b="unknown", seccomp.security.alpha.kubernetes.io/pod="unconfined""#
        ),
        CheckCase(
            "annotations are not read from 1.19",
            Fixtures.pod(spec: ["containers": [["name": "a"]]], annotations: ["seccomp.security.alpha.kubernetes.io/pod": "unconfined"]),
            check: "seccompProfile_baseline"),

        // sysctls
        CheckCase(
            "safe sysctls", Fixtures.pod(spec: ["securityContext": ["sysctls": [["name": "net.ipv4.tcp_rmem", "value": "4096 87380 16777216"]]], "containers": [["name": "c"]]]),
            check: "sysctls"),
        CheckCase(
            "tcp_rmem before 1.32", Fixtures.pod(spec: ["securityContext": ["sysctls": [["name": "net.ipv4.tcp_rmem", "value": "4096"]]]]), check: "sysctls",
            at: LevelVersion(.baseline, .v1(minor: 31)), fails: "forbidden sysctls", "net.ipv4.tcp_rmem"),
        CheckCase(
            "unsafe sysctls", Fixtures.pod(spec: ["securityContext": ["sysctls": [["name": "kernel.msgmax"], ["name": "net.ipv4.tcp_syncookies"], ["name": "a"]]]]),
            check: "sysctls", fails: "forbidden sysctls", "kernel.msgmax, a"),

        // windowsHostProcess
        CheckCase("hostProcess false", Fixtures.pod(container: ["windowsOptions": ["hostProcess": false]]), check: "windowsHostProcess"),
        CheckCase(
            "pod and containers",
            Fixtures.pod(spec: [
                "securityContext": ["windowsOptions": ["hostProcess": true]],
                "containers": [
                    ["name": "a"], ["name": "e", "securityContext": ["windowsOptions": ["hostProcess": true]]],
                    ["name": "f", "securityContext": ["windowsOptions": ["hostProcess": true]]],
                ],
            ]),
            check: "windowsHostProcess", fails: "hostProcess", #"pod and containers "e", "f" must not set securityContext.windowsOptions.hostProcess=true"#),
    ]

    @Test(arguments: cases) func check(_ row: CheckCase) {
        row.verify()
    }

    @Test func aPrivilegedLevelChecksNothing() {
        let pod = Fixtures.pod(spec: ["hostNetwork": true, "containers": [["name": "c", "securityContext": ["privileged": true]]]])
        #expect(PodSecurityStandards.evaluate(pod, at: LevelVersion(.privileged)) == [])
    }

    @Test func baselineReportsItsChecksInKubernetesOrder() {
        let pod = Fixtures.pod(spec: [
            "hostNetwork": true,
            "volumes": [["name": "root", "hostPath": ["path": "/"]]],
            "containers": [
                [
                    "name": "c", "ports": [["containerPort": 80, "hostPort": 80]],
                    "securityContext": ["privileged": true, "capabilities": ["add": ["SYS_ADMIN"]], "procMount": "Unmasked", "seccompProfile": ["type": "Unconfined"]],
                ]
            ],
        ])
        let checks = PodSecurityStandards.evaluate(pod, at: LevelVersion(.baseline)).map(\.check)
        #expect(checks == ["capabilities_baseline", "hostNamespaces", "hostPathVolumes", "hostPorts", "privileged", "procMount", "seccompProfile_baseline"])
    }
}
