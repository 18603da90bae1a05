import Testing

@testable import APIMachinery

/// Expectations follow `k8s.io/apimachinery/pkg/fields` and the registries' field label conversions.
struct FieldSelectorTests {
    private func parseError(_ text: String) -> String? {
        do {
            _ = try FieldSelector(parsing: text)
            return nil
        } catch {
            #expect(error.code == 400)
            return error.message
        }
    }

    @Test func parsesTermsSortedAsKubernetesDoes() throws {
        let selector = try FieldSelector(parsing: "status.phase!=Running,metadata.name==web,spec.nodeName=")
        #expect(selector.requirements == [
            FieldRequirement(field: "metadata.name", operator: .equals, value: "web"),
            FieldRequirement(field: "spec.nodeName", operator: .equals, value: ""),
            FieldRequirement(field: "status.phase", operator: .notEquals, value: "Running"),
        ])
        #expect(selector.description == "metadata.name=web,spec.nodeName=,status.phase!=Running")
        #expect(try FieldSelector(parsing: "").isEmpty)
    }

    @Test func escapedValues() throws {
        let selector = try FieldSelector(parsing: #"metadata.name=a\,b\=c\\d"#)
        #expect(selector.requirements == [FieldRequirement(field: "metadata.name", operator: .equals, value: #"a,b=c\d"#)])
        #expect(selector.description == #"metadata.name=a\,b\=c\\d"#)
    }

    @Test func syntaxErrors() {
        #expect(parseError("metadata.name") == "invalid selector: 'metadata.name'; can't understand 'metadata.name'")
        #expect(parseError("metadata.name=a=b") == "invalid field selector: unescaped character in value: 61")
        #expect(parseError(#"metadata.name=a\x"#) == #"invalid field selector: invalid escape sequence: \x"#)
        #expect(parseError(#"metadata.name=a\"#) == #"invalid field selector: invalid escape sequence: \"#)
    }

    @Test func unsupportedFieldIsRejected() throws {
        let selector = try FieldSelector(parsing: "spec.foo=bar")
        #expect(throws: APIError.self) { try selector.validate(group: "", resource: "pods") }
        do {
            try selector.validate(group: "", resource: "pods")
        } catch {
            #expect(error.message == "field label not supported: spec.foo")
            #expect(error.code == 400)
        }
        // Nodes are cluster-scoped and do not accept metadata.namespace.
        #expect(throws: APIError.self) {
            try FieldSelector(parsing: "metadata.namespace=x").validate(group: "", resource: "nodes")
        }
        try FieldSelector(parsing: "metadata.name=x,metadata.namespace=y").validate(group: "apps", resource: "deployments")
        try FieldSelector(parsing: "spec.nodeName=n,status.phase=Running").validate(group: "", resource: "pods")
        try FieldSelector(parsing: "involvedObject.kind=Pod,source=kubelet").validate(group: "", resource: "events")
        try FieldSelector(parsing: "type=kubernetes.io/tls").validate(group: "", resource: "secrets")
        try FieldSelector(parsing: "status.successful=1").validate(group: "batch", resource: "jobs")
    }

    @Test func supportedFieldLists() {
        #expect(FieldSelector.supportedFields(group: "", resource: "configmaps") == ["metadata.name", "metadata.namespace"])
        #expect(FieldSelector.supportedFields(group: "", resource: "namespaces") == ["metadata.name", "status.phase"])
        #expect(FieldSelector.supportedFields(group: "", resource: "pods").contains("status.nominatedNodeName"))
        #expect(FieldSelector.supportedFields(group: "apps", resource: "replicasets").contains("status.replicas"))
    }

    @Test func matchesPodFields() throws {
        let pod: JSONValue = [
            "metadata": ["name": "web-1", "namespace": "default"],
            "spec": ["nodeName": "node-1", "restartPolicy": "Always"],
            "status": ["phase": "Running", "podIPs": [["ip": "10.0.0.5"]]],
        ]
        #expect(try FieldSelector(parsing: "metadata.name=web-1,metadata.namespace=default").matches(pod))
        #expect(try FieldSelector(parsing: "spec.nodeName=node-1,status.phase!=Pending").matches(pod))
        #expect(!(try FieldSelector(parsing: "spec.nodeName=").matches(pod)))
        #expect(try FieldSelector(parsing: "status.podIP=10.0.0.5").matches(pod))
        // Booleans compare as true/false, and an unset one as false.
        #expect(try FieldSelector(parsing: "spec.hostNetwork=false").matches(pod))
        #expect(try FieldSelector(parsing: "spec.host=node-1").matches(pod))

        let unscheduled: JSONValue = ["metadata": ["name": "p"], "status": ["phase": "Pending"]]
        #expect(try FieldSelector(parsing: "spec.nodeName=").matches(unscheduled))
        #expect(try FieldSelector(parsing: "spec.nodeName!=node-1").matches(unscheduled))
    }

    @Test func matchesTypedFields() throws {
        let node: JSONValue = ["metadata": ["name": "n"], "spec": ["unschedulable": true]]
        #expect(try FieldSelector(parsing: "spec.unschedulable=true").matches(node))
        #expect(try FieldSelector(parsing: "spec.unschedulable=false").matches(["metadata": ["name": "m"]]))

        let job: JSONValue = ["metadata": ["name": "j"], "status": ["succeeded": 1]]
        #expect(try FieldSelector(parsing: "status.successful=1").matches(job))
        #expect(try FieldSelector(parsing: "status.successful=0").matches(["metadata": ["name": "k"]]))

        let replicaSet: JSONValue = ["metadata": ["name": "rs"], "status": ["replicas": 3]]
        #expect(try FieldSelector(parsing: "status.replicas=3").matches(replicaSet))

        let event: JSONValue = [
            "metadata": ["name": "e"], "involvedObject": ["kind": "Pod", "name": "web-1"], "reason": "Started",
            "reportingComponent": "kubelet", "type": "Normal",
        ]
        #expect(try FieldSelector(parsing: "involvedObject.kind=Pod,involvedObject.name=web-1,type=Normal").matches(event))
        // An event without source.component is selected by its reporting component.
        #expect(try FieldSelector(parsing: "source=kubelet").matches(event))
        #expect(try FieldSelector(parsing: "reportingComponent=kubelet").matches(event))
    }
}
