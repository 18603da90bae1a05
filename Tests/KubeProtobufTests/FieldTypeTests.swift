import APIMachinery
import KubeProtobuf
import Testing

/// Each field type against the JSON Kubernetes' Go types marshal it to.
struct FieldTypeTests {
    private func json(_ text: String) throws -> JSONValue {
        try JSONValue.parse(text)
    }

    @Test func microTimeAndPointerZeros() throws {
        // coordination.k8s.io Lease: holderIdentity, leaseDurationSeconds and leaseTransitions are Go pointers, so
        // zero values that were sent stay; an empty renewTime is Go's zero time and is left out.
        let body = ProtoWriter.envelope(apiVersion: "coordination.k8s.io/v1", kind: "Lease") {
            $0.message(1) { $0.string(1, "node-1") }
            $0.message(2) { spec in
                spec.string(1, "")
                spec.int(2, 0)
                spec.message(3) {
                    $0.int(1, 1_704_164_645)
                    $0.int(2, 123_456_789)
                }
                spec.message(4) { _ in }
                spec.int(5, 0)
            }
        }
        let expected = try json(
            """
            {"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"node-1"},
             "spec":{"holderIdentity":"","leaseDurationSeconds":0,"acquireTime":"2024-01-02T03:04:05.123456Z",
                     "leaseTransitions":0}}
            """)
        #expect(try KubeProtobuf.decodeObject(body) == expected)
    }

    @Test func podFieldKinds() throws {
        let body = ProtoWriter.envelope(apiVersion: "v1", kind: "Pod") {
            $0.message(1) { meta in
                meta.string(1, "web")
                meta.string(3, "default")
                meta.int(7, 0)
                meta.message(8) { $0.int(1, 1_704_164_645) }
                meta.mapEntry(11, "app", "web")
                meta.mapEntry(12, "note", "")
                meta.string(14, "example.com/guard")
            }
            $0.message(2) { spec in
                spec.message(1) { volume in
                    volume.string(1, "creds")
                    volume.message(2) { source in
                        source.message(6) { secret in
                            secret.string(1, "db")
                            secret.int(3, 0o400)
                        }
                    }
                }
                spec.message(2) { container in
                    container.string(1, "app")
                    container.string(2, "nginx:1.27")
                    container.string(4, "--port=80")
                    container.string(4, "")
                    container.message(6) { port in
                        port.int(2, -5)
                        port.int(3, 80)
                        port.string(4, "TCP")
                    }
                    container.message(8) { resources in
                        resources.message(1) {
                            $0.string(1, "cpu")
                            $0.message(2) { $0.string(1, "500m") }
                        }
                        resources.message(1) {
                            $0.string(1, "memory")
                            $0.message(2) { $0.string(1, "1Gi") }
                        }
                        resources.message(2) {
                            $0.string(1, "cpu")
                            $0.message(2) { _ in }
                        }
                    }
                    container.bool(16, false)
                    container.bool(18, true)
                }
                spec.string(3, "")
                spec.int(4, 0)
                spec.bool(11, false)
                spec.int(999, 42)
                spec.string(1000, "ignored")
                spec.message(14) { security in
                    security.int(2, -1)
                    security.bytes(4, [0x01, 0x02, 0x03])
                    security.int(4, 4)
                }
            }
        }
        let expected = try json(
            """
            {"apiVersion":"v1","kind":"Pod",
             "metadata":{"name":"web","namespace":"default","creationTimestamp":"2024-01-02T03:04:05Z",
                         "labels":{"app":"web"},"annotations":{"note":""},"finalizers":["example.com/guard"]},
             "spec":{"volumes":[{"name":"creds","secret":{"secretName":"db","defaultMode":256}}],
                     "containers":[{"name":"app","image":"nginx:1.27","args":["--port=80",""],
                                    "ports":[{"hostPort":-5,"containerPort":80,"protocol":"TCP"}],
                                    "resources":{"limits":{"cpu":"500m","memory":"1Gi"},"requests":{"cpu":"0"}},
                                    "tty":true}],
                     "terminationGracePeriodSeconds":0,
                     "securityContext":{"runAsUser":-1,"supplementalGroups":[1,2,3,4]}}}
            """)
        #expect(try KubeProtobuf.decodeObject(body) == expected)
    }

    @Test func intOrStringPorts() throws {
        let body = ProtoWriter.envelope(apiVersion: "v1", kind: "Service") {
            $0.message(1) { $0.string(1, "web") }
            $0.message(2) { spec in
                spec.message(1) { port in
                    port.string(1, "http")
                    port.int(3, 80)
                    port.message(4) {
                        $0.int(1, 1)
                        $0.string(3, "web")
                    }
                }
                spec.message(1) { port in
                    port.string(1, "metrics")
                    port.int(3, 9090)
                    port.message(4) {
                        $0.int(1, 0)
                        $0.int(2, 9091)
                    }
                }
                spec.message(1) { port in
                    port.int(3, 443)
                    port.message(4) { _ in }
                }
                spec.mapEntry(2, "app", "web")
                spec.string(4, "ClusterIP")
            }
        }
        let expected = try json(
            """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},
             "spec":{"ports":[{"name":"http","port":80,"targetPort":"web"},
                              {"name":"metrics","port":9090,"targetPort":9091},
                              {"port":443}],
                     "selector":{"app":"web"},"type":"ClusterIP"}}
            """)
        #expect(try KubeProtobuf.decodeObject(body) == expected)
    }

    @Test func pointerIntOrStringKeepsZero() throws {
        let body = ProtoWriter.envelope(apiVersion: "apps/v1", kind: "Deployment") {
            $0.message(2) { spec in
                spec.int(1, 0)
                spec.message(4) { strategy in
                    strategy.string(1, "RollingUpdate")
                    strategy.message(2) { rolling in
                        rolling.message(1) { $0.int(2, 0) }
                        rolling.message(2) {
                            $0.int(1, 1)
                            $0.string(3, "25%")
                        }
                    }
                }
            }
        }
        let spec = try KubeProtobuf.decodeObject(body)["spec"]
        #expect(spec?["replicas"] == .integer(0))
        #expect(spec?[path: "strategy", "rollingUpdate"] == (try json(#"{"maxUnavailable":0,"maxSurge":"25%"}"#)))
    }

    @Test func rawExtensionEmbedsJSONAndNestedObjects() throws {
        let nested = ProtoWriter.envelope(apiVersion: "v1", kind: "ConfigMap") {
            $0.message(1) { $0.string(1, "inner") }
            $0.mapEntry(2, "k", "v")
        }
        let withJSON = ProtoWriter.envelope(apiVersion: "apps/v1", kind: "ControllerRevision") {
            $0.message(1) { $0.string(1, "web-1") }
            $0.message(2) { $0.string(1, #"{"spec":{"replicas":3}}"#) }
            $0.int(3, 2)
        }
        #expect(
            try KubeProtobuf.decodeObject(withJSON)
                == (try json(
                    #"{"apiVersion":"apps/v1","kind":"ControllerRevision","metadata":{"name":"web-1"},"data":{"spec":{"replicas":3}},"revision":2}"#
                )))

        let withObject = ProtoWriter.envelope(apiVersion: "apps/v1", kind: "ControllerRevision") {
            $0.message(2) { $0.bytes(1, nested) }
        }
        #expect(
            try KubeProtobuf.decodeObject(withObject)["data"]
                == (try json(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"inner"},"data":{"k":"v"}}"#)))
    }

    @Test func extraValuesAreArraysAndCaseFixedNames() throws {
        let review = ProtoWriter.envelope(apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview") {
            $0.message(2) { spec in
                spec.message(1) {
                    $0.string(2, "get")
                    $0.string(5, "secrets")
                }
                spec.string(3, "jane")
                spec.string(4, "dev")
                spec.string(4, "ops")
                spec.message(5) { entry in
                    entry.string(1, "scopes")
                    entry.message(2) {
                        $0.string(1, "a")
                        $0.string(1, "b")
                    }
                }
                spec.message(5) { $0.string(1, "empty") }
            }
        }
        #expect(
            try KubeProtobuf.decodeObject(review)["spec"]
                == (try json(
                    #"{"resourceAttributes":{"verb":"get","resource":"secrets"},"user":"jane","groups":["dev","ops"],"extra":{"scopes":["a","b"],"empty":[]}}"#
                )))

        // BoundObjectReference's proto field is `uID`; Kubernetes' JSON name is `uid`.
        let token = ProtoWriter.envelope(apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest") {
            $0.message(2) { spec in
                spec.string(1, "https://kubernetes.default.svc")
                spec.message(3) {
                    $0.string(1, "Pod")
                    $0.string(2, "v1")
                    $0.string(3, "web")
                    $0.string(4, "0b5e2a56-1c1f-4f7e-9a63-1f1d3c2b6a10")
                }
                spec.int(4, 3600)
            }
        }
        #expect(
            try KubeProtobuf.decodeObject(token)["spec"]
                == (try json(
                    #"{"audiences":["https://kubernetes.default.svc"],"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"web","uid":"0b5e2a56-1c1f-4f7e-9a63-1f1d3c2b6a10"},"expirationSeconds":3600}"#
                )))
    }

    @Test func kindsResolveAcrossGroups() throws {
        let role = ProtoWriter.envelope(apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role") {
            $0.message(1) { $0.string(1, "reader") }
            $0.message(2) { rule in
                rule.string(1, "get")
                rule.string(1, "list")
                rule.string(2, "")
                rule.string(3, "pods")
            }
        }
        #expect(
            try KubeProtobuf.decodeObject(role)
                == (try json(
                    #"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"reader"},"rules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"]}]}"#
                )))

        // DeleteOptions is accepted in every group version (meta/v1); its gracePeriodSeconds is a pointer.
        let options = ProtoWriter.envelope(apiVersion: "v1", kind: "DeleteOptions") {
            $0.int(1, 0)
            $0.string(4, "Foreground")
        }
        #expect(
            try KubeProtobuf.decodeObject(options)
                == (try json(
                    #"{"apiVersion":"v1","kind":"DeleteOptions","gracePeriodSeconds":0,"propagationPolicy":"Foreground"}"#
                )))
    }

    @Test func jsonContentTypeInsideTheEnvelope() throws {
        let body = ProtoWriter.envelope(apiVersion: "v1", kind: "ConfigMap", contentType: "application/json") {
            $0.bytes = Array(#"{"metadata":{"name":"j"},"data":{"x":"1"}}"#.utf8)
        }
        #expect(
            try KubeProtobuf.decodeObject(body)
                == (try json(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j"},"data":{"x":"1"}}"#)))
    }
}
