import APIMachinery
import Testing

@testable import APIRegistry

/// Immutable fields on update, with Kubernetes 1.32's messages.
@Suite struct ValidationUpdateTests {
    /// Defaults both versions (as stored and as sent), then validates the update.
    static func lines(
        _ new: String, old: String, group: String = "", kind: String, namespaced: Bool = true, edit: (inout JSONValue) -> Void = { _ in }
    ) throws -> [String] {
        var oldObject = try JSONValue.parse(old)
        Defaulting.apply(to: &oldObject, group: group, kind: kind)
        var newObject = try JSONValue.parse(new)
        edit(&newObject)
        Defaulting.apply(to: &newObject, group: group, kind: kind)
        return Validation.validateUpdate(newObject, old: oldObject, group: group, kind: kind, namespaced: namespaced).map(\.line)
    }

    static func deployment(app: String, image: String = "nginx:1.25") -> String {
        #"{"metadata":{"name":"web","namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"\#(app)"}},"template":{"metadata":{"labels":{"app":"\#(app)"}},"spec":{"containers":[{"name":"web","image":"\#(image)"}]}}}}"#
    }

    @Test func workloadSelectorsAreImmutable() throws {
        #expect(try Self.lines(Self.deployment(app: "web", image: "nginx:1.26"), old: Self.deployment(app: "web"), group: "apps", kind: "Deployment") == [])
        #expect(
            try Self.lines(Self.deployment(app: "api"), old: Self.deployment(app: "web"), group: "apps", kind: "Deployment")
                == [
                    #"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"api"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"#
                ])
    }

    @Test func metadataIdentityIsImmutable() throws {
        let old = #"{"metadata":{"name":"c","namespace":"default","uid":"1","creationTimestamp":"2024-05-01T10:00:00Z"}}"#
        let new = #"{"metadata":{"name":"c","namespace":"default","uid":"2","creationTimestamp":"2024-05-02T10:00:00Z"}}"#
        #expect(
            try Self.lines(new, old: old, kind: "ConfigMap") == [
                #"metadata.uid: Invalid value: "2": field is immutable"#,
                "metadata.creationTimestamp: Invalid value: 2024-05-02 10:00:00 +0000 UTC: field is immutable",
            ])
    }

    @Test func immutableConfigMapsAndSecrets() throws {
        let old = #"{"metadata":{"name":"c","namespace":"default"},"immutable":true,"data":{"a":"1"}}"#
        #expect(
            try Self.lines(#"{"metadata":{"name":"c","namespace":"default"},"immutable":true,"data":{"a":"2"}}"#, old: old, kind: "ConfigMap")
                == ["data: Forbidden: field is immutable when `immutable` is set"])
        #expect(
            try Self.lines(#"{"metadata":{"name":"c","namespace":"default"},"data":{"a":"1"}}"#, old: old, kind: "ConfigMap")
                == ["immutable: Forbidden: field is immutable when `immutable` is set"])
        let secret = #"{"metadata":{"name":"s","namespace":"default"},"data":{"tls.crt":"YQ==","tls.key":"Yg=="}}"#
        #expect(
            try Self.lines(secret, old: secret, kind: "Secret") { $0["type"] = "kubernetes.io/tls" }
                == [#"type: Invalid value: "kubernetes.io/tls": field is immutable"#])
    }

    @Test func serviceClusterIPCannotChange() throws {
        let old = #"{"metadata":{"name":"web","namespace":"default"},"spec":{"clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10"],"ports":[{"port":80}]}}"#
        let moved = #"{"metadata":{"name":"web","namespace":"default"},"spec":{"clusterIP":"10.96.0.99","clusterIPs":["10.96.0.10"],"ports":[{"port":80}]}}"#
        #expect(
            try Self.lines(moved, old: old, kind: "Service") == [#"spec.clusterIPs[0]: Invalid value: []string{"10.96.0.99"}: may not change once set"#])
        let omitted = #"{"metadata":{"name":"web","namespace":"default"},"spec":{"ports":[{"port":8080}]}}"#
        #expect(try Self.lines(omitted, old: old, kind: "Service") == [])
    }

    @Test func claimSpecIsImmutable() throws {
        let old = #"{"metadata":{"name":"c","namespace":"default"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}"#
        let new = #"{"metadata":{"name":"c","namespace":"default"},"spec":{"accessModes":["ReadWriteMany"],"resources":{"requests":{"storage":"1Gi"}}}}"#
        #expect(
            try Self.lines(new, old: old, kind: "PersistentVolumeClaim")
                == ["spec: Forbidden: spec is immutable after creation except resources.requests for bound claims"])
        let bound = #"{"metadata":{"name":"c","namespace":"default"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}},"status":{"phase":"Bound"}}"#
        let grown = #"{"metadata":{"name":"c","namespace":"default"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"2Gi"}}}}"#
        #expect(try Self.lines(grown, old: bound, kind: "PersistentVolumeClaim") == [])
    }

    @Test func podSpecOnlyAllowsImageChanges() throws {
        let old = #"{"metadata":{"name":"p","namespace":"default"},"spec":{"containers":[{"name":"c","image":"nginx:1.25"}]}}"#
        #expect(try Self.lines(#"{"metadata":{"name":"p","namespace":"default"},"spec":{"containers":[{"name":"c","image":"nginx:1.26"}]}}"#, old: old, kind: "Pod") == [])
        let lines = try Self.lines(
            #"{"metadata":{"name":"p","namespace":"default"},"spec":{"containers":[{"name":"c","image":"nginx:1.25","args":["-v"]}]}}"#, old: old, kind: "Pod")
        #expect(
            lines == [
                "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
            ])
        #expect(
            try Self.lines(#"{"metadata":{"name":"p","namespace":"default"},"spec":{"containers":[]}}"#, old: old, kind: "Pod").last
                == "spec.containers: Forbidden: pod updates may not add or remove containers")
    }

    @Test func jobsStatefulSetsAndClassesKeepTheirShape() throws {
        let job = #"{"metadata":{"name":"pi","namespace":"default"},"spec":{"selector":{"matchLabels":{"job":"pi"}},"manualSelector":true,"template":{"metadata":{"labels":{"job":"pi"}},"spec":{"restartPolicy":"Never","containers":[{"name":"pi","image":"perl"}]}}}}"#
        let changedImage = try Self.lines(job, old: job, group: "batch", kind: "Job") { $0[path: "spec", "template", "spec", "containers"] = [["name": "pi", "image": "perl:5"]] }
        #expect(changedImage.count == 1)
        #expect(changedImage.first?.hasPrefix("spec.template: Invalid value: ") == true)
        #expect(changedImage.first?.hasSuffix(": field is immutable") == true)
        let statefulSet = #"{"metadata":{"name":"db","namespace":"default"},"spec":{"serviceName":"db","selector":{"matchLabels":{"app":"db"}},"template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"db","image":"mysql"}]}}}}"#
        #expect(
            try Self.lines(statefulSet, old: statefulSet, group: "apps", kind: "StatefulSet") { $0[path: "spec", "serviceName"] = "other" }
                == [
                    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
                ])
        #expect(try Self.lines(statefulSet, old: statefulSet, group: "apps", kind: "StatefulSet") { $0[path: "spec", "replicas"] = 5 } == [])
        let storageClass = #"{"metadata":{"name":"fast"},"provisioner":"rancher.io/local-path","parameters":{"type":"ssd"}}"#
        #expect(
            try Self.lines(storageClass, old: storageClass, group: "storage.k8s.io", kind: "StorageClass", namespaced: false) { $0["parameters"] = ["type": "hdd"] }
                == ["parameters: Forbidden: updates to parameters are forbidden."])
        let binding = #"{"metadata":{"name":"b","namespace":"default"},"roleRef":{"kind":"ClusterRole","name":"view"},"subjects":[]}"#
        #expect(
            try Self.lines(binding, old: binding, group: "rbac.authorization.k8s.io", kind: "RoleBinding") { $0[path: "roleRef", "name"] = "edit" }
                == [#"roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef"#])
    }
}
