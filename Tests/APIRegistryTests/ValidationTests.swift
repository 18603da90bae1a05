import APIMachinery
import Testing

@testable import APIRegistry

/// Object metadata, names, labels and pod specs; expected lines are Kubernetes 1.32's own messages.
@Suite struct ValidationTests {
    static let subdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let labelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

    /// Defaults then validates a new object, returning `field: message` lines.
    static func lines(_ json: String, group: String = "", kind: String, namespaced: Bool = true) throws -> [String] {
        var object = try JSONValue.parse(json)
        Defaulting.apply(to: &object, group: group, kind: kind)
        return Validation.validateCreate(object, group: group, kind: kind, namespaced: namespaced).map(\.line)
    }

    static func pod(_ containers: String, extra: String = "") -> String {
        #"{"metadata":{"name":"p","namespace":"default"},"spec":{"containers":\#(containers)\#(extra)}}"#
    }

    @Test func nameMustBeASubdomain() throws {
        let lines = try Self.lines(
            #"{"metadata":{"name":"Web_App","namespace":"default"},"data":{}}"#, kind: "ConfigMap")
        #expect(lines == [#"metadata.name: Invalid value: "Web_App": "# + Self.subdomainMessage])
    }

    @Test func serviceNamesAreDNS1035Labels() throws {
        let lines = try Self.lines(
            #"{"metadata":{"name":"1web","namespace":"default"},"spec":{"ports":[{"port":80}]}}"#, kind: "Service")
        #expect(
            lines == [
                #"metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"#
            ])
    }

    @Test func namespaceNamesAreLabels() throws {
        let lines = try Self.lines(#"{"metadata":{"name":"team.a"}}"#, kind: "Namespace", namespaced: false)
        #expect(lines == [#"metadata.name: Invalid value: "team.a": "# + Self.labelMessage])
        // The defaulted `kubernetes.io/metadata.name` label is then too long as well, as Kubernetes also reports.
        let long = String(repeating: "a", count: 64)
        #expect(
            try Self.lines(#"{"metadata":{"name":"\#(long)"}}"#, kind: "Namespace", namespaced: false)
                == [
                    #"metadata.name: Invalid value: "\#(long)": must be no more than 63 characters"#,
                    #"metadata.labels: Invalid value: "\#(long)": must be no more than 63 characters"#,
                ])
    }

    @Test func nameAndNamespaceRequirements() throws {
        #expect(try Self.lines(#"{"metadata":{"namespace":"default"}}"#, kind: "ConfigMap") == ["metadata.name: Required value: name or generateName is required"])
        #expect(try Self.lines(#"{"metadata":{"name":"c"}}"#, kind: "ConfigMap") == ["metadata.namespace: Required value"])
        #expect(
            try Self.lines(#"{"metadata":{"name":"n","namespace":"default"}}"#, kind: "Namespace", namespaced: false)
                == ["metadata.namespace: Forbidden: not allowed on this type"])
        #expect(try Self.lines(#"{"metadata":{"generateName":"web-","namespace":"default"}}"#, kind: "ConfigMap") == ["metadata.name: Required value: name or generateName is required"])
    }

    @Test func labelsAndAnnotations() throws {
        let long = String(repeating: "v", count: 64)
        let lines = try Self.lines(
            #"{"metadata":{"name":"c","namespace":"default","labels":{"-bad":"ok","app":"\#(long)"},"annotations":{"Example.com/Owner":"x","a/b/c":"y"}}}"#,
            kind: "ConfigMap")
        #expect(
            lines == [
                #"metadata.labels: Invalid value: "-bad": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#,
                #"metadata.labels: Invalid value: "\#(long)": must be no more than 63 characters"#,
                #"metadata.annotations: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"#,
            ])
        let huge = String(repeating: "x", count: 256 * 1024)
        #expect(
            try Self.lines(#"{"metadata":{"name":"c","namespace":"default","annotations":{"big":"\#(huge)"}}}"#, kind: "ConfigMap")
                == ["metadata.annotations: Too long: may not be more than 262144 bytes"])
    }

    @Test func finalizersMustBeQualified() throws {
        #expect(
            try Self.lines(#"{"metadata":{"name":"c","namespace":"default","finalizers":["cleanup","example.com/cleanup"]}}"#, kind: "ConfigMap")
                == [#"metadata.finalizers[0]: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified"#])
    }

    @Test func podNeedsContainers() throws {
        #expect(try Self.lines(#"{"metadata":{"name":"p","namespace":"default"},"spec":{}}"#, kind: "Pod") == ["spec.containers: Required value"])
    }

    @Test func containerNameImageAndDuplicates() throws {
        let lines = try Self.lines(Self.pod(#"[{"name":"Web","image":"nginx"},{"name":"app"},{"name":"app","image":"nginx"}]"#), kind: "Pod")
        #expect(
            lines == [
                #"spec.containers[0].name: Invalid value: "Web": "# + Self.labelMessage,
                "spec.containers[1].image: Required value",
                #"spec.containers[2].name: Duplicate value: "app""#,
            ])
    }

    @Test func containerPorts() throws {
        let lines = try Self.lines(
            Self.pod(#"[{"name":"c","image":"nginx","ports":[{"containerPort":70000},{"containerPort":80,"name":"http"},{"containerPort":81,"name":"http","protocol":"HTTP"},{"name":"Metrics_1","containerPort":9000}]}]"#),
            kind: "Pod")
        #expect(
            lines == [
                "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                #"spec.containers[0].ports[2].name: Duplicate value: "http""#,
                #"spec.containers[0].ports[2].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP""#,
                #"spec.containers[0].ports[3].name: Invalid value: "Metrics_1": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"#,
            ])
    }

    @Test func resourceRequestsMustNotExceedLimits() throws {
        let lines = try Self.lines(
            Self.pod(#"[{"name":"c","image":"nginx","resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"0.6","memory":"64Mi"}}}]"#),
            kind: "Pod")
        #expect(lines == [#"spec.containers[0].resources.requests: Invalid value: "600m": must be less than or equal to cpu limit of 500m"#])
        let bad = try Self.lines(
            Self.pod(#"[{"name":"c","image":"nginx","resources":{"requests":{"cpu":"-1","gpu":"1","example.com/dongle":"0.5"},"limits":{"example.com/dongle":"0.5"}}}]"#),
            kind: "Pod")
        #expect(
            bad == [
                #"spec.containers[0].resources.limits[example.com/dongle]: Invalid value: "500m": must be an integer"#,
                #"spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0"#,
                #"spec.containers[0].resources.requests[example.com/dongle]: Invalid value: "500m": must be an integer"#,
                #"spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers"#,
            ])
    }

    @Test func envAndMounts() throws {
        let lines = try Self.lines(
            Self.pod(
                #"[{"name":"c","image":"nginx","env":[{"name":"1ST"},{"name":"A","value":"x","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}},{"name":"B","valueFrom":{}}],"volumeMounts":[{"name":"data","mountPath":"/data"},{"name":"cache","mountPath":"/data"}]}]"#,
                extra: #","volumes":[{"name":"cache","emptyDir":{}}]"#),
            kind: "Pod")
        #expect(
            lines == [
                #"spec.containers[0].env[0].name: Invalid value: "1ST": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')"#,
                #"spec.containers[0].env[1].valueFrom: Invalid value: "": may not be specified when `value` is not empty"#,
                #"spec.containers[0].env[2].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"#,
                #"spec.containers[0].volumeMounts[0].name: Not found: "data""#,
                #"spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique"#,
            ])
    }

    @Test func probesAndRestartPolicies() throws {
        let lines = try Self.lines(
            Self.pod(
                #"[{"name":"c","image":"nginx","restartPolicy":"Always","livenessProbe":{"successThreshold":2,"httpGet":{"port":0}},"readinessProbe":{"periodSeconds":5}}]"#,
                extra: #","initContainers":[{"name":"init","image":"busybox","restartPolicy":"Never"}],"restartPolicy":"Sometimes""#),
            kind: "Pod")
        #expect(
            lines == [
                "spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive",
                "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
                "spec.containers[0].readinessProbe: Required value: must specify a handler type",
                "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers",
                #"spec.initContainers[0].restartPolicy: Unsupported value: "Never": supported values: "Always""#,
                #"spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never""#,
            ])
    }

    @Test func volumesAndTolerations() throws {
        let lines = try Self.lines(
            Self.pod(
                #"[{"name":"c","image":"nginx"}]"#,
                extra:
                    #","volumes":[{"name":"a","configMap":{"name":"x"},"secret":{"secretName":"y"}},{"name":"b","persistentVolumeClaim":{}},{"name":"c","hostPath":{"path":"/x","type":"Folder"}}],"tolerations":[{"operator":"Equal","value":"x"},{"key":"k","operator":"Exists","value":"v"},{"key":"k","effect":"NoSchedule","tolerationSeconds":5}]"#
            ),
            kind: "Pod")
        #expect(
            lines == [
                "spec.volumes[0].configMap: Forbidden: may not specify more than 1 volume type",
                "spec.volumes[1].persistentVolumeClaim.claimName: Required value",
                #"spec.volumes[2].hostPath.type: Unsupported value: "Folder": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket""#,
                #"spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys""#,
                #"spec.tolerations[1].operator: Invalid value: "Exists": value must be empty when `operator` is 'Exists'"#,
                #"spec.tolerations[2].effect: Invalid value: "NoSchedule": effect must be 'NoExecute' when `tolerationSeconds` is set"#,
            ])
    }

    @Test func invalidObjectProducesKubernetesStatusMessage() throws {
        var object = try JSONValue.parse(#"{"metadata":{"name":"web","namespace":"default"},"spec":{"containers":[{"name":"web"}]}}"#)
        Defaulting.apply(to: &object, group: "", kind: "Pod")
        let causes = Validation.validateCreate(object, group: "", kind: "Pod", namespaced: true)
        let error = APIError.invalid(kind: "Pod", group: "", name: "web", causes: causes)
        #expect(error.message == #"Pod "web" is invalid: spec.containers[0].image: Required value"#)
        #expect(causes == [StatusCause(type: "FieldValueRequired", message: "Required value", field: "spec.containers[0].image")])
    }
}
