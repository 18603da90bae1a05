import APIMachinery
import Testing

@testable import APIRegistry

/// Services, config objects, storage, networking and the smaller groups, with Kubernetes 1.32's messages.
@Suite struct ValidationServiceTests {
    static func lines(_ json: String, group: String = "", kind: String, namespaced: Bool = true) throws -> [String] {
        try ValidationTests.lines(json, group: group, kind: kind, namespaced: namespaced)
    }

    static func service(_ spec: String) -> String {
        #"{"metadata":{"name":"web","namespace":"default"},"spec":\#(spec)}"#
    }

    @Test func servicePortsAreRequiredAndChecked() throws {
        #expect(try Self.lines(Self.service(#"{"selector":{"app":"web"}}"#), kind: "Service") == ["spec.ports: Required value"])
        let lines = try Self.lines(
            Self.service(#"{"ports":[{"port":80},{"name":"http","port":0,"targetPort":"Web_Port"},{"name":"http","port":80,"protocol":"TCP"}]}"#),
            kind: "Service")
        #expect(
            lines == [
                "spec.ports[0].name: Required value",
                "spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                #"spec.ports[1].targetPort: Invalid value: "Web_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"#,
                #"spec.ports[2].name: Duplicate value: "http""#,
                #"spec.ports[2]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}"#,
            ])
    }

    @Test func nodePortsAndTypes() throws {
        #expect(
            try Self.lines(Self.service(#"{"type":"NodePort","ports":[{"port":80,"nodePort":80}]}"#), kind: "Service")
                == ["spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"])
        #expect(
            try Self.lines(Self.service(#"{"ports":[{"port":80,"nodePort":30080}]}"#), kind: "Service")
                == ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"])
        #expect(
            try Self.lines(Self.service(#"{"type":"Internal","ports":[{"port":80}]}"#), kind: "Service")
                == [#"spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort""#])
        #expect(
            try Self.lines(Self.service(#"{"type":"ExternalName"}"#), kind: "Service") == ["spec.externalName: Required value"])
        #expect(try Self.lines(Self.service(#"{"type":"ExternalName","externalName":"db.example.com."}"#), kind: "Service") == [])
    }

    @Test func configKeysAndSizes() throws {
        #expect(
            try Self.lines(#"{"metadata":{"name":"c","namespace":"default"},"data":{"foo bar":"x","ok.key":"y"}}"#, kind: "ConfigMap")
                == [
                    #"data[foo bar]: Invalid value: "foo bar": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"#
                ])
        #expect(
            try Self.lines(#"{"metadata":{"name":"c","namespace":"default"},"data":{"..":"x","a":"1"},"binaryData":{"a":"MQ=="}}"#, kind: "ConfigMap")
                == [
                    #"data[..]: Invalid value: "..": must not be '..'"#, #"data[a]: Invalid value: "a": duplicate of key present in binaryData"#,
                    #"binaryData[a]: Invalid value: "a": duplicate of key present in data"#,
                ])
        let big = String(repeating: "QUFB", count: 349_526)
        #expect(
            try Self.lines(#"{"metadata":{"name":"s","namespace":"default"},"data":{"blob":"\#(big)"}}"#, kind: "Secret")
                == ["data: Too long: may not be more than 1048576 bytes"])
    }

    @Test func secretTypesRequireTheirKeys() throws {
        #expect(
            try Self.lines(#"{"metadata":{"name":"s","namespace":"default"},"type":"kubernetes.io/tls","data":{"tls.crt":"Y2VydA=="}}"#, kind: "Secret")
                == ["data[tls.key]: Required value"])
        #expect(
            try Self.lines(#"{"metadata":{"name":"s","namespace":"default"},"type":"kubernetes.io/service-account-token"}"#, kind: "Secret")
                == ["metadata.annotations[kubernetes.io/service-account.name]: Required value"])
    }

    @Test func ingressRules() throws {
        let lines = try Self.lines(
            #"{"metadata":{"name":"i","namespace":"default"},"spec":{"rules":[{"host":"10.0.0.1","http":{"paths":[{"path":"/","backend":{"service":{"name":"web","port":{"number":80}}}},{"path":"api","pathType":"Prefix","backend":{"service":{"name":"web"}}}]}},{"host":"*.example.com","http":{"paths":[{"path":"/","pathType":"Exact","backend":{"service":{"name":"web","port":{"name":"http"}}}}]}}]}}"#,
            group: "networking.k8s.io", kind: "Ingress")
        #expect(
            lines == [
                #"spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address"#,
                "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified",
                #"spec.rules[0].http.paths[1].path: Invalid value: "api": must be an absolute path"#,
                "spec.rules[0].http.paths[1].backend: Required value: port name or number is required",
            ])
        #expect(
            try Self.lines(#"{"metadata":{"name":"i","namespace":"default"},"spec":{}}"#, group: "networking.k8s.io", kind: "Ingress")
                == ["spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"])
    }

    @Test func networkPolicyRules() throws {
        let lines = try Self.lines(
            #"{"metadata":{"name":"n","namespace":"default"},"spec":{"podSelector":{},"ingress":[{"from":[{}, {"ipBlock":{"cidr":"10.0.0.0/33"},"podSelector":{}}],"ports":[{"protocol":"ICMP","port":"dns"}]}],"policyTypes":["Ingress","Sideways"]}}"#,
            group: "networking.k8s.io", kind: "NetworkPolicy")
        #expect(
            lines == [
                #"spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP""#,
                "spec.ingress[0].from[0]: Required value: must specify a peer",
                #"spec.ingress[0].from[1].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"#,
                "spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer",
                #"spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress""#,
            ])
    }

    @Test func storageObjects() throws {
        #expect(
            try Self.lines(#"{"metadata":{"name":"c","namespace":"default"},"spec":{"resources":{"requests":{"storage":"0"}}}}"#, kind: "PersistentVolumeClaim")
                == ["spec.accessModes: Required value: at least 1 access mode is required", #"spec.resources[storage]: Invalid value: "0": must be greater than zero"#])
        #expect(
            try Self.lines(#"{"metadata":{"name":"c","namespace":"default"},"spec":{"accessModes":["ReadWriteSometimes"]}}"#, kind: "PersistentVolumeClaim")
                == [
                    #"spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod""#,
                    "spec.resources[storage]: Required value",
                ])
        #expect(
            try Self.lines(#"{"metadata":{"name":"pv"},"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"]}}"#, kind: "PersistentVolume", namespaced: false)
                == ["spec: Required value: must specify a volume type"])
        #expect(
            try Self.lines(#"{"metadata":{"name":"local"},"volumeBindingMode":"Later"}"#, group: "storage.k8s.io", kind: "StorageClass", namespaced: false)
                == ["provisioner: Required value", #"volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer""#])
    }

    @Test func autoscalerRules() throws {
        let lines = try Self.lines(
            #"{"apiVersion":"autoscaling/v2","metadata":{"name":"h","namespace":"default"},"spec":{"scaleTargetRef":{"kind":"Deployment"},"minReplicas":5,"maxReplicas":2,"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":0}}}]}}"#,
            group: "autoscaling", kind: "HorizontalPodAutoscaler")
        #expect(
            lines == [
                "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`",
                "spec.scaleTargetRef.name: Required value",
                "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0",
            ])
    }

    @Test func rbacAndScheduling() throws {
        #expect(
            try Self.lines(
                #"{"metadata":{"name":"b"},"roleRef":{"kind":"Role","name":"view"},"subjects":[{"kind":"ServiceAccount","name":"default"},{"kind":"Robot","name":"r2"}]}"#,
                group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding", namespaced: false)
                == [
                    #"roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole""#, "subjects[0].namespace: Required value",
                    #"subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group""#,
                ])
        #expect(
            try Self.lines(#"{"metadata":{"name":"r","namespace":"default"},"rules":[{"resources":["pods"]}]}"#, group: "rbac.authorization.k8s.io", kind: "Role")
                == ["rules[0].verbs: Required value: verbs must contain at least one value", "rules[0].apiGroups: Required value: resource rules must supply at least one api group"])
        #expect(
            try Self.lines(#"{"metadata":{"name":"huge"},"value":2000000000}"#, group: "scheduling.k8s.io", kind: "PriorityClass", namespaced: false)
                == ["value: Forbidden: maximum allowed value of a user defined priority is 1000000000"])
        #expect(
            try Self.lines(#"{"metadata":{"name":"l","namespace":"default"},"spec":{"leaseDurationSeconds":0}}"#, group: "coordination.k8s.io", kind: "Lease")
                == ["spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"])
    }

    @Test func systemPriorityClassesAreReserved() throws {
        let reserved = "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: "
        for system in SystemPriorityClass.all {
            var object = system.object
            Defaulting.apply(to: &object, group: "scheduling.k8s.io", kind: "PriorityClass")
            #expect(Validation.validateCreate(object, group: "scheduling.k8s.io", kind: "PriorityClass", namespaced: false).isEmpty)
        }
        #expect(
            try Self.lines(#"{"metadata":{"name":"system-node-critical"},"value":5}"#, group: "scheduling.k8s.io", kind: "PriorityClass", namespaced: false)
                == [reserved + "value of system-node-critical PriorityClass must be 2000001000"])
        #expect(
            try Self.lines(
                #"{"metadata":{"name":"system-cluster-critical"},"value":2000000000,"globalDefault":true}"#, group: "scheduling.k8s.io",
                kind: "PriorityClass", namespaced: false)
                == [reserved + "globalDefault of system-cluster-critical PriorityClass must be false"])
        #expect(
            try Self.lines(#"{"metadata":{"name":"system-mine"},"value":1}"#, group: "scheduling.k8s.io", kind: "PriorityClass", namespaced: false)
                == [reserved + "system-mine is not a known system priority class"])
    }
}
