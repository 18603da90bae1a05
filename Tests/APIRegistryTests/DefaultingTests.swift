import APIMachinery
import Testing

@testable import APIRegistry

/// Pod and workload defaults; expected objects are what Kubernetes 1.32 returns for the same input.
@Suite struct DefaultingTests {
    static func defaulted(_ json: String, group: String, kind: String) throws -> JSONValue {
        var object = try JSONValue.parse(json)
        Defaulting.apply(to: &object, group: group, kind: kind)
        return object
    }

    @Test func seedDeploymentGetsKubernetesDefaults() throws {
        let object = try Self.defaulted(
            #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"frontend-deployment"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"frontend"}},"template":{"metadata":{"labels":{"app":"frontend"}},"spec":{"containers":[{"name":"frontend","image":"myrepo/frontend:latest","ports":[{"containerPort":80}]}]}}}}"#,
            group: "apps", kind: "Deployment")
        let expected = try JSONValue.parse(
            #"""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"frontend-deployment"},
             "spec":{"replicas":3,"selector":{"matchLabels":{"app":"frontend"}},
              "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}},
              "revisionHistoryLimit":10,"progressDeadlineSeconds":600,
              "template":{"metadata":{"labels":{"app":"frontend"}},"spec":{
                "containers":[{"name":"frontend","image":"myrepo/frontend:latest","ports":[{"containerPort":80,"protocol":"TCP"}],
                  "imagePullPolicy":"Always","terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","resources":{}}],
                "restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},
                "schedulerName":"default-scheduler"}}}}
            """#)
        #expect(object == expected)
    }

    @Test func seedPodGetsPodOnlyDefaults() throws {
        let object = try Self.defaulted(
            #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"nginx-pod","labels":{"app":"nginx"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.25-alpine","ports":[{"containerPort":80}]}]}}"#,
            group: "", kind: "Pod")
        let expected = try JSONValue.parse(
            #"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"nginx-pod","labels":{"app":"nginx"}},"spec":{
              "containers":[{"name":"nginx","image":"nginx:1.25-alpine","ports":[{"containerPort":80,"protocol":"TCP"}],
                "imagePullPolicy":"IfNotPresent","terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","resources":{}}],
              "restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},
              "schedulerName":"default-scheduler","enableServiceLinks":true}}
            """#)
        #expect(object == expected)
    }

    @Test(arguments: [
        ("nginx", "Always"), ("nginx:latest", "Always"), ("nginx:1.25", "IfNotPresent"), ("nginx:1.25-alpine", "IfNotPresent"),
        ("myregistry.azurecr.io/myapi:1.2.3", "IfNotPresent"), ("localhost:5000/nginx", "Always"), ("localhost:5000/nginx:1.0", "IfNotPresent"),
        ("nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31", "IfNotPresent"),
        ("nginx:latest@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31", "Always"),
    ])
    func imagePullPolicyFollowsTheTag(image: String, policy: String) throws {
        let object = try Self.defaulted(
            #"{"spec":{"containers":[{"name":"c","image":"\#(image)"}]}}"#, group: "", kind: "Pod")
        #expect(object[path: "spec", "containers"]?.arrayValue?.first?["imagePullPolicy"] == .string(policy))
    }

    @Test func explicitFieldsAreKept() throws {
        let object = try Self.defaulted(
            #"{"spec":{"restartPolicy":"Never","terminationGracePeriodSeconds":0,"containers":[{"name":"c","image":"nginx","imagePullPolicy":"Never","terminationMessagePolicy":"FallbackToLogsOnError"}]}}"#,
            group: "", kind: "Pod")
        #expect(object[path: "spec", "restartPolicy"] == "Never")
        #expect(object[path: "spec", "terminationGracePeriodSeconds"] == 0)
        let container = object[path: "spec", "containers"]?.arrayValue?.first
        #expect(container?["imagePullPolicy"] == "Never")
        #expect(container?["terminationMessagePolicy"] == "FallbackToLogsOnError")
    }

    @Test func podRequestsDefaultToLimitsButTemplatesDoNot() throws {
        let containers = #"[{"name":"c","image":"nginx","resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"250m"}}}]"#
        let pod = try Self.defaulted(#"{"spec":{"containers":\#(containers)}}"#, group: "", kind: "Pod")
        #expect(pod[path: "spec", "containers"]?.arrayValue?.first?[path: "resources", "requests"] == ["cpu": "250m", "memory": "128Mi"])
        let deployment = try Self.defaulted(#"{"spec":{"template":{"spec":{"containers":\#(containers)}}}}"#, group: "apps", kind: "Deployment")
        let template = deployment[path: "spec", "template", "spec"]
        #expect(template?["containers"]?.arrayValue?.first?[path: "resources", "requests"] == ["cpu": "250m"])
        #expect(template?["enableServiceLinks"] == nil)
    }

    @Test func probesEnvAndVolumesAreDefaulted() throws {
        let object = try Self.defaulted(
            #"""
            {"spec":{"containers":[{"name":"flask-app","image":"flask:latest",
              "livenessProbe":{"httpGet":{"path":"/healthz","port":5000},"initialDelaySeconds":10,"periodSeconds":5},
              "readinessProbe":{"tcpSocket":{"port":5000}},
              "env":[{"name":"NODE","valueFrom":{"fieldRef":{"fieldPath":"spec.nodeName"}}}]}],
             "volumes":[{"name":"config","configMap":{"name":"cfg"}},{"name":"secret","secret":{"secretName":"s"}},
               {"name":"scratch"},{"name":"host","hostPath":{"path":"/var/log"}}]}}
            """#, group: "", kind: "Pod")
        let container = object[path: "spec", "containers"]?.arrayValue?.first ?? .null
        #expect(
            container["livenessProbe"]
                == [
                    "httpGet": ["path": "/healthz", "port": 5000, "scheme": "HTTP"], "initialDelaySeconds": 10, "periodSeconds": 5,
                    "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3,
                ])
        #expect(
            container["readinessProbe"]
                == ["tcpSocket": ["port": 5000], "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3])
        #expect(container["env"]?.arrayValue?.first?[path: "valueFrom", "fieldRef"] == ["apiVersion": "v1", "fieldPath": "spec.nodeName"])
        let volumes = object[path: "spec", "volumes"]?.arrayValue ?? []
        #expect(volumes.map { $0.fields("configMap") != nil ? $0["configMap"]?["defaultMode"] : $0["secret"]?["defaultMode"] }.prefix(2) == [420, 420])
        #expect(volumes[2] == ["name": "scratch", "emptyDir": [:]])
        #expect(volumes[3] == ["name": "host", "hostPath": ["path": "/var/log", "type": ""]])
    }

    @Test func seedStatefulSetGetsKubernetesDefaults() throws {
        let object = try Self.defaulted(
            #"{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"mysql"},"spec":{"serviceName":"mysql","replicas":3,"selector":{"matchLabels":{"app":"mysql"}},"template":{"metadata":{"labels":{"app":"mysql"}},"spec":{"containers":[{"name":"mysql","image":"mysql:5.7"}]}},"volumeClaimTemplates":[{"metadata":{"name":"mysql-data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}}"#,
            group: "apps", kind: "StatefulSet")
        let spec = object["spec"] ?? .null
        #expect(spec["podManagementPolicy"] == "OrderedReady")
        #expect(spec["updateStrategy"] == ["type": "RollingUpdate", "rollingUpdate": ["partition": 0]])
        #expect(spec["persistentVolumeClaimRetentionPolicy"] == ["whenDeleted": "Retain", "whenScaled": "Retain"])
        #expect(spec["revisionHistoryLimit"] == 10)
        #expect(spec["replicas"] == 3)
        #expect(
            spec["volumeClaimTemplates"]
                == [
                    [
                        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": "mysql-data"],
                        "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]], "volumeMode": "Filesystem"],
                        "status": ["phase": "Pending"],
                    ]
                ])
    }

    @Test func statefulSetOnDeleteStrategyGetsNoPartition() throws {
        let object = try Self.defaulted(#"{"spec":{"updateStrategy":{"type":"OnDelete"}}}"#, group: "apps", kind: "StatefulSet")
        #expect(object[path: "spec", "updateStrategy"] == ["type": "OnDelete"])
    }

    @Test func daemonSetAndReplicaSetDefaults() throws {
        let daemonSet = try Self.defaulted(#"{"spec":{"template":{"spec":{"containers":[]}}}}"#, group: "apps", kind: "DaemonSet")
        #expect(daemonSet[path: "spec", "updateStrategy"] == ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": 0]])
        #expect(daemonSet[path: "spec", "revisionHistoryLimit"] == 10)
        let replicaSet = try Self.defaulted(#"{"spec":{}}"#, group: "apps", kind: "ReplicaSet")
        #expect(replicaSet[path: "spec", "replicas"] == 1)
        let recreate = try Self.defaulted(#"{"spec":{"strategy":{"type":"Recreate"}}}"#, group: "apps", kind: "Deployment")
        #expect(recreate[path: "spec", "strategy"] == ["type": "Recreate"])
    }

    @Test func jobDefaultsKeepTheTemplateRestartPolicy() throws {
        let object = try Self.defaulted(
            #"{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"pi"},"spec":{"template":{"metadata":{"labels":{"app":"pi"}},"spec":{"restartPolicy":"Never","containers":[{"name":"pi","image":"perl:5.34.0","command":["perl","-Mbignum=bpi","-wle","print bpi(2000)"]}]}}}}"#,
            group: "batch", kind: "Job")
        let spec = object["spec"] ?? .null
        #expect(spec["completions"] == 1)
        #expect(spec["parallelism"] == 1)
        #expect(spec["backoffLimit"] == 6)
        #expect(spec["completionMode"] == "NonIndexed")
        #expect(spec["suspend"] == false)
        #expect(spec["podReplacementPolicy"] == "TerminatingOrFailed")
        #expect(spec[path: "template", "spec", "restartPolicy"] == "Never")
        #expect(object[path: "metadata", "labels"] == ["app": "pi"])
    }

    @Test func jobWithParallelismOnlyLeavesCompletionsUnset() throws {
        let object = try Self.defaulted(
            #"{"spec":{"parallelism":3,"podFailurePolicy":{"rules":[{"action":"Ignore","onPodConditions":[{"type":"DisruptionTarget"}]}]},"template":{"spec":{"containers":[]}}}}"#,
            group: "batch", kind: "Job")
        #expect(object[path: "spec", "completions"] == nil)
        #expect(object[path: "spec", "parallelism"] == 3)
        #expect(object[path: "spec", "podReplacementPolicy"] == "Failed")
        #expect(
            object[path: "spec", "podFailurePolicy", "rules"]?.arrayValue?.first?["onPodConditions"]
                == [["type": "DisruptionTarget", "status": "True"]])
    }

    @Test func cronJobDefaultsOnlyTheJobTemplatePod() throws {
        let object = try Self.defaulted(
            #"{"spec":{"schedule":"*/5 * * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"hello","image":"busybox:1.28"}]}}}}}}"#,
            group: "batch", kind: "CronJob")
        let spec = object["spec"] ?? .null
        #expect(spec["concurrencyPolicy"] == "Allow")
        #expect(spec["suspend"] == false)
        #expect(spec["successfulJobsHistoryLimit"] == 3)
        #expect(spec["failedJobsHistoryLimit"] == 1)
        #expect(spec[path: "jobTemplate", "spec", "backoffLimit"] == nil)
        #expect(spec[path: "jobTemplate", "spec", "template", "spec", "dnsPolicy"] == "ClusterFirst")
        #expect(spec[path: "jobTemplate", "spec", "template", "spec", "containers"]?.arrayValue?.first?["imagePullPolicy"] == "IfNotPresent")
    }

    @Test func generatedJobSelectorUsesTheUID() throws {
        var job = try Self.defaulted(
            #"{"metadata":{"name":"pi"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"pi","image":"perl"}]}}}}"#,
            group: "batch", kind: "Job")
        Defaulting.generateJobSelector(for: &job, uid: "7f2c")
        #expect(job[path: "spec", "selector"] == ["matchLabels": ["batch.kubernetes.io/controller-uid": "7f2c"]])
        let labels: JSONValue = [
            "controller-uid": "7f2c", "batch.kubernetes.io/controller-uid": "7f2c", "job-name": "pi", "batch.kubernetes.io/job-name": "pi",
        ]
        #expect(job[path: "spec", "template", "metadata", "labels"] == labels)
        #expect(job[path: "metadata", "labels"] == labels)
        let causes = Validation.validateCreate(job, group: "batch", kind: "Job", namespaced: false)
        #expect(causes.isEmpty, "\(causes.map(\.line))")
    }
}
