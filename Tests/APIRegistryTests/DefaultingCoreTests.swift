import APIMachinery
import Testing

@testable import APIRegistry

/// Defaults of services, config, storage and the smaller API groups, as Kubernetes 1.32 applies them.
@Suite struct DefaultingCoreTests {
    static func defaulted(_ json: String, group: String = "", kind: String) throws -> JSONValue {
        var object = try JSONValue.parse(json)
        Defaulting.apply(to: &object, group: group, kind: kind)
        return object
    }

    @Test func containerLimitRangeDefaultsComeFromMaxThenDefaultThenMin() throws {
        let object = try Self.defaulted(
            #"{"spec":{"limits":[{"type":"Container","max":{"cpu":"1"},"min":{"memory":"64Mi"}},{"type":"Container","min":{"cpu":"100m"}},{"type":"PersistentVolumeClaim","max":{"storage":"2Gi"}}]}}"#,
            kind: "LimitRange")
        let expected = try JSONValue.parse(
            #"""
            {"spec":{"limits":[
              {"type":"Container","max":{"cpu":"1"},"min":{"memory":"64Mi"},"default":{"cpu":"1"},"defaultRequest":{"cpu":"1","memory":"64Mi"}},
              {"type":"Container","min":{"cpu":"100m"},"defaultRequest":{"cpu":"100m"}},
              {"type":"PersistentVolumeClaim","max":{"storage":"2Gi"}}]}}
            """#)
        #expect(object == expected)
    }

    @Test func seedClusterIPServiceGetsKubernetesDefaults() throws {
        let object = try Self.defaulted(
            #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"user-service"},"spec":{"type":"ClusterIP","ports":[{"port":8080,"targetPort":8080}],"selector":{"app":"user-service"}}}"#,
            kind: "Service")
        let expected = try JSONValue.parse(
            #"""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"user-service"},"spec":{
              "type":"ClusterIP","ports":[{"port":8080,"targetPort":8080,"protocol":"TCP"}],"selector":{"app":"user-service"},
              "sessionAffinity":"None","internalTrafficPolicy":"Cluster","ipFamilyPolicy":"SingleStack","ipFamilies":["IPv4"]}}
            """#)
        #expect(object == expected)
    }

    @Test func seedLoadBalancerServiceGetsExternalDefaults() throws {
        let object = try Self.defaulted(
            #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"nginx-service"},"spec":{"type":"LoadBalancer","selector":{"app":"nginx"},"ports":[{"port":80,"targetPort":80}]}}"#,
            kind: "Service")
        let spec = object["spec"] ?? .null
        #expect(spec["externalTrafficPolicy"] == "Cluster")
        #expect(spec["internalTrafficPolicy"] == "Cluster")
        #expect(spec["allocateLoadBalancerNodePorts"] == true)
        #expect(spec["sessionAffinity"] == "None")
    }

    @Test func serviceTargetPortDefaultsToPortAndHeadlessFamilies() throws {
        let headless = try Self.defaulted(
            #"{"spec":{"clusterIP":"None","selector":{"app":"messaging"},"ports":[{"port":9092,"protocol":"TCP"}]}}"#, kind: "Service")
        #expect(headless[path: "spec", "ports"] == [["port": 9092, "protocol": "TCP", "targetPort": 9092]])
        #expect(headless[path: "spec", "clusterIPs"] == ["None"])
        #expect(headless[path: "spec", "ipFamilyPolicy"] == "SingleStack")
        let selectorless = try Self.defaulted(#"{"spec":{"clusterIP":"None","ports":[{"port":80}]}}"#, kind: "Service")
        #expect(selectorless[path: "spec", "ipFamilyPolicy"] == "RequireDualStack")
        let external = try Self.defaulted(#"{"spec":{"type":"ExternalName","externalName":"example.com"}}"#, kind: "Service")
        #expect(external[path: "spec", "ipFamilies"] == nil)
        #expect(external[path: "spec", "internalTrafficPolicy"] == nil)
        let clientIP = try Self.defaulted(#"{"spec":{"sessionAffinity":"ClientIP","ports":[{"port":80}]}}"#, kind: "Service")
        #expect(clientIP[path: "spec", "sessionAffinityConfig"] == ["clientIP": ["timeoutSeconds": 10800]])
    }

    @Test func secretStringDataIsMergedIntoData() throws {
        let object = try Self.defaulted(
            #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db-secret"},"stringData":{"username":"admin","password":"supersecret123"},"data":{"username":"b2xk"}}"#,
            kind: "Secret")
        #expect(object["stringData"] == nil)
        #expect(object["data"] == ["username": "YWRtaW4=", "password": "c3VwZXJzZWNyZXQxMjM="])
        #expect(object["type"] == "Opaque")
        let typed = try Self.defaulted(#"{"type":"kubernetes.io/tls","data":{}}"#, kind: "Secret")
        #expect(typed["type"] == "kubernetes.io/tls")
    }

    @Test func base64MatchesGo() {
        #expect(Base64.encode(Array("".utf8)) == "")
        #expect(Base64.encode(Array("a".utf8)) == "YQ==")
        #expect(Base64.encode(Array("ab".utf8)) == "YWI=")
        #expect(Base64.encode(Array("apikey_value\n".utf8)) == "YXBpa2V5X3ZhbHVlCg==")
        #expect(Base64.decodedLength("YXBpa2V5X3ZhbHVlCg==") == 13)
        #expect(Base64.decodedLength("not base64!") == nil)
    }

    @Test func seedNamespaceGetsLabelFinalizerAndPhase() throws {
        let object = try Self.defaulted(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"prod"}}"#, kind: "Namespace")
        let expected: JSONValue = [
            "apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "prod", "labels": ["kubernetes.io/metadata.name": "prod"]],
            "spec": ["finalizers": ["kubernetes"]], "status": ["phase": "Active"],
        ]
        #expect(object == expected)
    }

    @Test func configMapGetsEmptyData() throws {
        #expect(try Self.defaulted(#"{"metadata":{"name":"c"}}"#, kind: "ConfigMap")["data"] == [:])
    }

    @Test func seedVolumesGetReclaimPolicyAndMode() throws {
        let volume = try Self.defaulted(
            #"{"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pv-volume"},"spec":{"capacity":{"storage":"10Gi"},"accessModes":["ReadWriteOnce"],"hostPath":{"path":"/mnt/data"}}}"#,
            kind: "PersistentVolume")
        #expect(volume[path: "spec", "persistentVolumeReclaimPolicy"] == "Retain")
        #expect(volume[path: "spec", "volumeMode"] == "Filesystem")
        #expect(volume[path: "spec", "hostPath"] == ["path": "/mnt/data", "type": ""])
        #expect(volume[path: "status", "phase"] == "Pending")
        let claim = try Self.defaulted(
            #"{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"pvc-claim"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"10Gi"}}}}"#,
            kind: "PersistentVolumeClaim")
        #expect(claim[path: "spec", "volumeMode"] == "Filesystem")
        #expect(claim[path: "status", "phase"] == "Pending")
    }

    @Test func autoscalerDefaultsDependOnTheVersion() throws {
        let v1 = try Self.defaulted(
            #"{"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"maxReplicas":10}}"#,
            group: "autoscaling", kind: "HorizontalPodAutoscaler")
        #expect(v1[path: "spec", "minReplicas"] == 1)
        #expect(v1[path: "spec", "metrics"] == nil)
        let v2 = try Self.defaulted(
            #"{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"maxReplicas":10,"behavior":{"scaleDown":{"stabilizationWindowSeconds":60}}}}"#,
            group: "autoscaling", kind: "HorizontalPodAutoscaler")
        #expect(v2[path: "spec", "minReplicas"] == 1)
        #expect(v2[path: "spec", "metrics"] == [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 80]]]])
        #expect(
            v2[path: "spec", "behavior"]
                == [
                    "scaleDown": ["stabilizationWindowSeconds": 60, "selectPolicy": "Max", "policies": [["type": "Percent", "value": 100, "periodSeconds": 15]]],
                    "scaleUp": [
                        "stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                        "policies": [["type": "Pods", "value": 4, "periodSeconds": 15], ["type": "Percent", "value": 100, "periodSeconds": 15]],
                    ],
                ])
        let seed = try Self.defaulted(
            #"{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"flask-app-hpa"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"flask-app"},"minReplicas":2,"maxReplicas":10,"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}}]}}"#,
            group: "autoscaling", kind: "HorizontalPodAutoscaler")
        #expect(seed[path: "spec", "behavior"] == nil)
        #expect(seed[path: "spec", "metrics"]?.arrayValue?.count == 1)
    }

    @Test func networkPolicyTypesFollowTheRules() throws {
        let both = try Self.defaulted(
            #"{"spec":{"podSelector":{},"egress":[{"ports":[{"port":53}]}]}}"#, group: "networking.k8s.io", kind: "NetworkPolicy")
        #expect(both[path: "spec", "policyTypes"] == ["Ingress", "Egress"])
        #expect(both[path: "spec", "egress"]?.arrayValue?.first?["ports"] == [["port": 53, "protocol": "TCP"]])
        let ingressOnly = try Self.defaulted(#"{"spec":{"podSelector":{}}}"#, group: "networking.k8s.io", kind: "NetworkPolicy")
        #expect(ingressOnly[path: "spec", "policyTypes"] == ["Ingress"])
        let seed = try Self.defaulted(
            #"{"spec":{"podSelector":{"matchLabels":{"role":"app"}},"egress":[{"to":[{"podSelector":{"matchLabels":{"role":"db"}}}]}],"policyTypes":["Egress"]}}"#,
            group: "networking.k8s.io", kind: "NetworkPolicy")
        #expect(seed[path: "spec", "policyTypes"] == ["Egress"])
    }

    @Test func smallGroupDefaults() throws {
        let binding = try Self.defaulted(
            #"{"roleRef":{"kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"jane"},{"kind":"ServiceAccount","name":"default","namespace":"default"}]}"#,
            group: "rbac.authorization.k8s.io", kind: "RoleBinding")
        #expect(binding[path: "roleRef", "apiGroup"] == "rbac.authorization.k8s.io")
        #expect(binding["subjects"]?.arrayValue?.map { $0["apiGroup"] } == ["rbac.authorization.k8s.io", ""])
        let storageClass = try Self.defaulted(#"{"provisioner":"rancher.io/local-path"}"#, group: "storage.k8s.io", kind: "StorageClass")
        #expect(storageClass["reclaimPolicy"] == "Delete")
        #expect(storageClass["volumeBindingMode"] == "Immediate")
        let priority = try Self.defaulted(#"{"value":1000}"#, group: "scheduling.k8s.io", kind: "PriorityClass")
        #expect(priority["preemptionPolicy"] == "PreemptLowerPriority")
        let endpoints = try Self.defaulted(#"{"subsets":[{"ports":[{"port":80}]}]}"#, kind: "Endpoints")
        #expect(endpoints["subsets"]?.arrayValue?.first?["ports"] == [["port": 80, "protocol": "TCP"]])
        let slice = try Self.defaulted(#"{"ports":[{"port":80}]}"#, group: "discovery.k8s.io", kind: "EndpointSlice")
        #expect(slice["ports"] == [["port": 80, "name": "", "protocol": "TCP"]])
        let node = try Self.defaulted(#"{"status":{"capacity":{"cpu":"2"}}}"#, kind: "Node")
        #expect(node[path: "status", "allocatable"] == ["cpu": "2"])
    }

    @Test func unknownKindsAreLeftAlone() throws {
        let text = #"{"apiVersion":"example.com/v1","kind":"Widget","spec":{"size":1}}"#
        #expect(try Self.defaulted(text, group: "example.com", kind: "Widget") == JSONValue.parse(text))
    }
}
