import APIMachinery
import KubeProtobuf
import Testing

/// The bodies kubectl v1.32 sent (specs/kubectl-1.32-wire-traces.txt). Each expectation is the object as Kubernetes
/// shows it in JSON (`kubectl create ... --dry-run=client -o json`), except that a zero `creationTimestamp`, which Go
/// prints as `null`, is left out.
struct WireTraceTests {
    /// `kubectl create deployment web2 --image=nginx`. The trace stops after 200 bytes; the last 14 (the rest of
    /// the all-zero DeploymentStatus, fields 2-5 and 7, then the envelope's empty contentEncoding and contentType)
    /// are restored as Go's marshalling writes them, which the lengths in the trace (raw = 0xaf bytes) confirm.
    static let deployment = [UInt8](
        hex:
            "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412af010a210a047765623212001a0022002a003200380042005a0b0a03617070120477656232127c0801120d0a0b0a036170701204776562321a610a1d0a0012001a0022002a003200380042005a0b0a03617070120477656232124012220a056e67696e7812056e67696e782a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800"
            + "10001800200028003800" + "1a002200")

    private func decode(_ hex: String) throws -> JSONValue {
        try KubeProtobuf.decodeObject([UInt8](hex: hex))
    }

    private func json(_ text: String) throws -> JSONValue {
        try JSONValue.parse(text)
    }

    @Test func secretDataIsBase64() throws {
        // kubectl create secret generic s1 --from-literal=pw=s3cr3t --from-literal=user=admin
        let object = try decode(
            "6b3873000a0c0a027631120653656372657412330a120a02733112001a0022002a00320038004200120c0a0270771206733363723374120d0a0475736572120561646d696e1a001a002200"
        )
        #expect(
            object
                == (try json(
                    #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1"},"data":{"pw":"czNjcjN0","user":"YWRtaW4="}}"#
                )))
    }

    @Test func configMapData() throws {
        // kubectl create configmap c2 --from-literal=a=b
        let object = try decode(
            "6b3873000a0f0a0276311209436f6e6669674d6170121c0a120a02633212001a0022002a0032003800420012060a01611201621a002200"
        )
        #expect(
            object == (try json(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c2"},"data":{"a":"b"}}"#)))
    }

    @Test func namespaceKeepsEmptySpecAndStatus() throws {
        // kubectl create namespace team-a
        let object = try decode(
            "6b3873000a0f0a02763112094e616d657370616365121e0a160a067465616d2d6112001a0022002a0032003800420012001a020a001a002200"
        )
        #expect(
            object
                == (try json(
                    #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"},"spec":{},"status":{}}"#)))
    }

    @Test func serviceAccount() throws {
        // kubectl create serviceaccount sa1
        let object = try decode(
            "6b3873000a140a027631120e536572766963654163636f756e7412150a130a0373613112001a0022002a003200380042001a002200"
        )
        #expect(object == (try json(#"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa1"}}"#)))
    }

    @Test func deploymentWithTemplate() throws {
        // kubectl create deployment web2 --image=nginx
        let object = try KubeProtobuf.decodeObject(Self.deployment)
        let expected = try json(
            """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web2","labels":{"app":"web2"}},
             "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web2"}},
                     "template":{"metadata":{"labels":{"app":"web2"}},
                                 "spec":{"containers":[{"name":"nginx","image":"nginx","resources":{}}]}},
                     "strategy":{}},
             "status":{}}
            """)
        #expect(object == expected)
        #expect(object[path: "spec", "template", "spec", "containers"]?.arrayValue?.count == 1)
    }

    @Test func tokenRequest() throws {
        // kubectl create token default
        let object = try decode(
            "6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e52657175657374121a0a100a0012001a0022002a0032003800420012001a040a0012001a002200"
        )
        #expect(
            object
                == (try json(
                    #"{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","metadata":{},"spec":{},"status":{}}"#
                )))
    }

    @Test func selfSubjectAccessReview() throws {
        // kubectl auth can-i list pods
        let object = try decode(
            "6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a656374416363657373526576696577123d0a100a0012001a0022002a00320038004200121f0a1d0a0764656661756c7412046c6973741a0022002a04706f647332003a001a08080012001a0020001a002200"
        )
        let expected = try json(
            """
            {"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","metadata":{},
             "spec":{"resourceAttributes":{"namespace":"default","verb":"list","resource":"pods"}},"status":{}}
            """)
        #expect(object == expected)
    }

    @Test func selfSubjectReview() throws {
        // kubectl auth whoami
        let object = try decode(
            "6b3873000a2d0a1861757468656e7469636174696f6e2e6b38732e696f2f7631121153656c665375626a656374526576696577121a0a100a0012001a0022002a0032003800420012060a040a0012001a002200"
        )
        #expect(
            object
                == (try json(
                    #"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview","metadata":{},"status":{"userInfo":{}}}"#
                )))
    }
}
