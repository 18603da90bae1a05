import APIMachinery
import Testing

@testable import APIRegistry

@Suite struct SchemaTests {
    let schema = APISchema.builtIn

    private func deployment(_ edit: (inout JSONValue) -> Void = { _ in }) -> JSONValue {
        var object: JSONValue = [
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": ["name": "web", "namespace": "default", "labels": ["app": "web"]],
            "spec": [
                "replicas": 2,
                "selector": ["matchLabels": ["app": "web"]],
                "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%", "maxUnavailable": 0]],
                "template": [
                    "metadata": ["labels": ["app": "web"]],
                    "spec": [
                        "containers": [
                            [
                                "name": "nginx", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent",
                                "ports": [["containerPort": 80, "protocol": "TCP"]],
                                "env": [["name": "A", "value": "1"]],
                                "resources": ["limits": ["cpu": "500m", "memory": "128Mi"], "requests": ["cpu": 1]],
                            ]
                        ],
                        "terminationGracePeriodSeconds": 30,
                    ],
                ],
            ],
            "status": ["replicas": 2, "conditions": [["type": "Available", "status": "True", "lastUpdateTime": "2024-05-01T10:00:00Z"]]],
        ]
        edit(&object)
        return object
    }

    private func unknown(_ object: JSONValue, _ group: String = "apps", _ version: String = "v1", _ kind: String = "Deployment") -> [String] {
        schema.unknownFields(in: object, group: group, version: version, kind: kind)
    }

    private func typeErrors(_ object: JSONValue, _ group: String = "apps", _ version: String = "v1", _ kind: String = "Deployment") -> [String] {
        schema.typeErrors(in: object, group: group, version: version, kind: kind)
    }

    @Test func aValidDeploymentHasNoProblems() {
        #expect(unknown(deployment()) == [])
        #expect(typeErrors(deployment()) == [])
    }

    @Test func unknownFieldsAreReportedWithKubernetesPaths() {
        let object = deployment { object in
            object[path: "spec", "foo"] = "bar"
            object[path: "metadata", "labelz"] = ["a": "b"]
            var containers = object[path: "spec", "template", "spec", "containers"]?.arrayValue ?? []
            containers[0]["imagePullPolic"] = "Always"
            object[path: "spec", "template", "spec", "containers"] = .array(containers)
        }
        #expect(
            unknown(object) == [
                "unknown field \"metadata.labelz\"",
                "unknown field \"spec.foo\"",
                "unknown field \"spec.template.spec.containers[0].imagePullPolic\"",
            ])
    }

    @Test func topLevelTypeMetaIsKnownAndUnknownTopLevelFieldsAreNot() {
        #expect(unknown(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c"], "data": ["k": "v"]], "", "v1", "ConfigMap") == [])
        #expect(unknown(["apiVersion": "v1", "kind": "ConfigMap", "dat": ["k": "v"]], "", "v1", "ConfigMap") == ["unknown field \"dat\""])
    }

    @Test func freeFormFieldsAcceptAnything() {
        let revision: JSONValue = [
            "apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": ["name": "r"], "revision": 1,
            "data": ["spec": ["anything": ["goes": true]]],
        ]
        #expect(unknown(revision, "apps", "v1", "ControllerRevision") == [])
        #expect(typeErrors(revision, "apps", "v1", "ControllerRevision") == [])
        let managed = deployment { $0[path: "metadata", "managedFields"] = [["manager": "kubectl", "fieldsV1": ["f:spec": ["f:replicas": [:]]]]] }
        #expect(unknown(managed) == [])
    }

    @Test func unknownKindsAreNotChecked() {
        #expect(unknown(["spec": ["x": 1]], "example.com", "v1", "Widget") == [])
        #expect(typeErrors(["spec": "x"], "example.com", "v1", "Widget") == [])
    }

    @Test func typeMismatchesAreWordedLikeGoEncodingJSON() {
        #expect(
            typeErrors(deployment { $0[path: "spec", "replicas"] = "3" })
                == ["json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"])
        #expect(
            typeErrors(deployment { $0[path: "spec", "replicas"] = 1.5 })
                == ["json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32"])
        #expect(
            typeErrors(deployment { $0[path: "metadata", "labels"] = "app=web" })
                == ["json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string"])
        #expect(
            typeErrors(deployment { $0[path: "spec", "template"] = "x" })
                == ["json: cannot unmarshal string into Go struct field DeploymentSpec.spec.template of type v1.PodTemplateSpec"])
        #expect(
            typeErrors(deployment { $0[path: "spec", "template", "spec", "containers"] = ["name": "x"] })
                == ["json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container"])
        #expect(
            typeErrors(deployment { $0["kind"] = 7 })
                == ["json: cannot unmarshal number into Go struct field Deployment.kind of type string"])
    }

    @Test func fieldsInsideListsNameTheListWithoutIndex() {
        let object = deployment { object in
            var containers = object[path: "spec", "template", "spec", "containers"]?.arrayValue ?? []
            containers[0]["image"] = 5
            object[path: "spec", "template", "spec", "containers"] = .array(containers)
        }
        #expect(typeErrors(object) == ["json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.image of type string"])
    }

    @Test func kubernetesDecodersReportTheirOwnErrors() {
        let badQuantity = deployment { object in
            var containers = object[path: "spec", "template", "spec", "containers"]?.arrayValue ?? []
            containers[0][path: "resources", "limits", "cpu"] = "lots"
            object[path: "spec", "template", "spec", "containers"] = .array(containers)
        }
        #expect(typeErrors(badQuantity) == [QuantitySyntax.formatError])
        let badIntOrString = deployment { $0[path: "spec", "strategy", "rollingUpdate", "maxSurge"] = true }
        #expect(typeErrors(badIntOrString) == ["json: cannot unmarshal bool into Go value of type int32"])
        let secret: JSONValue = ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s"], "data": ["k": "not base64!"]]
        #expect(typeErrors(secret, "", "v1", "Secret") == ["illegal base64 data at input byte 3"])
        let goodSecret: JSONValue = ["apiVersion": "v1", "kind": "Secret", "data": ["k": "aGVsbG8="], "stringData": ["p": "plain"]]
        #expect(typeErrors(goodSecret, "", "v1", "Secret") == [])
    }

    @Test func nullIsAcceptedForAnyField() {
        #expect(typeErrors(deployment { $0[path: "spec", "replicas"] = .null; $0[path: "metadata", "creationTimestamp"] = .null }) == [])
    }

    @Test func quantitySyntaxFollowsParseQuantity() {
        for valid in ["1", "500m", "1.5Gi", "128Mi", "1e3", "-2", "+.5", "0.1", "2E", "m"] {
            #expect(QuantitySyntax.problem(in: valid) == nil, "\(valid)")
        }
        #expect(QuantitySyntax.problem(in: "") == QuantitySyntax.formatError)
        #expect(QuantitySyntax.problem(in: "1.2.3") == QuantitySyntax.formatError)
        #expect(QuantitySyntax.problem(in: "12Ki3x") == QuantitySyntax.formatError)
        #expect(QuantitySyntax.problem(in: "1kk") == QuantitySyntax.suffixError)
        #expect(QuantitySyntax.problem(in: "1e") == QuantitySyntax.suffixError)
    }

    @Test func timesMustBeRFC3339() {
        #expect(RFC3339Syntax.problem(in: "2024-05-01T10:00:00Z") == nil)
        #expect(RFC3339Syntax.problem(in: "2024-05-01T10:00:00.123456+02:00") == nil)
        #expect(
            RFC3339Syntax.problem(in: "yesterday")
                == "parsing time \"yesterday\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"yesterday\" as \"2006\"")
        #expect(RFC3339Syntax.problem(in: "2024-13-01T10:00:00Z") == "parsing time \"2024-13-01T10:00:00Z\": month out of range")
    }

    @Test func patchMetadataComesFromTheSpec() throws {
        let podSpec = try #require(schema.definition(named: "io.k8s.api.core.v1.PodSpec"))
        let containers = try #require(podSpec.properties["containers"])
        #expect(containers.patchMergeKey == "name")
        #expect(containers.patchStrategy == "merge")
        #expect(containers.mergesListItems)
        #expect(containers.type == .array(.reference("io.k8s.api.core.v1.Container")))
        let container = try #require(schema.definition(named: "io.k8s.api.core.v1.Container"))
        #expect(container.properties["env"]?.patchMergeKey == "name")
        #expect(container.properties["ports"]?.patchMergeKey == "containerPort")
        #expect(container.properties["ports"]?.listType == "map")
        #expect(container.properties["ports"]?.listMapKeys == ["containerPort", "protocol"])
        #expect(container.properties["volumeMounts"]?.patchMergeKey == "mountPath")
        let serviceSpec = try #require(schema.definition(named: "io.k8s.api.core.v1.ServiceSpec"))
        #expect(serviceSpec.properties["ports"]?.patchMergeKey == "port")
        #expect(serviceSpec.properties["selector"]?.mapType == "atomic")
        let deploymentSpec = try #require(schema.definition(named: "io.k8s.api.apps.v1.DeploymentSpec"))
        #expect(deploymentSpec.properties["strategy"]?.patchStrategy == "retainKeys")
        #expect(deploymentSpec.required == ["selector", "template"])
        #expect(deploymentSpec.goTypeName == "v1.DeploymentSpec")
    }

    @Test func definitionsByKind() throws {
        let deployment = try #require(schema.definition(group: "apps", version: "v1", kind: "Deployment"))
        #expect(deployment.name == "io.k8s.api.apps.v1.Deployment")
        #expect(deployment.properties["metadata"]?.type == .reference("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"))
        #expect(schema.definition(group: "", version: "v1", kind: "Pod")?.properties["spec"]?.type == .reference("io.k8s.api.core.v1.PodSpec"))
        #expect(schema.definition(group: "autoscaling", version: "v2", kind: "HorizontalPodAutoscaler") != nil)
        #expect(schema.definition(group: "autoscaling", version: "v1", kind: "Scale") != nil)
        #expect(schema.definition(named: "io.k8s.api.core.v1.ResourceRequirements")?.properties["limits"]?.type == .map(.quantity))
    }

    @Test func everyCatalogKindHasASchema() {
        for resource in ResourceCatalog.builtIn.resources where resource.group != "metrics.k8s.io" {
            #expect(schema.definition(group: resource.group, version: resource.version, kind: resource.kind) != nil, "\(resource.kind)")
        }
    }
}
