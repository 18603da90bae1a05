import APIMachinery
import Testing

/// Bodies as kube-apiserver writes them (Go struct field order); each expected string is what a v1.32 server sends.
@Suite("Field order of API bodies")
struct FieldOrderTests {
    @Test func aStatusReadsInTheOrderOfGosStatusStruct() {
        let status: JSONValue = [
            "code": 404, "details": ["kind": "pods", "name": "web"], "kind": "Status", "message": #"pods "web" not found"#,
            "metadata": .emptyObject, "reason": "NotFound", "status": "Failure", "apiVersion": "v1",
        ]
        #expect(
            String(decoding: status.serializedForClients(), as: UTF8.self)
                == #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"web\" not found","reason":"NotFound","details":{"name":"web","kind":"pods"},"code":404}"#
        )
    }

    @Test func aStatusCausesReadReasonMessageField() {
        let status: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "code": 422,
            "details": ["causes": [["field": "spec.replicas", "message": "must be non-negative", "reason": "FieldValueInvalid"]]],
        ]
        #expect(
            String(decoding: status.serializedForClients(), as: UTF8.self)
                == #"{"kind":"Status","apiVersion":"v1","details":{"causes":[{"reason":"FieldValueInvalid","message":"must be non-negative","field":"spec.replicas"}]},"code":422}"#
        )
    }

    @Test func anObjectStartsKindApiVersionMetadataSpecStatusAndItsMetadataKeepsObjectMetasOrder() {
        let pod: JSONValue = [
            "status": ["phase": "Pending"], "spec": ["nodeName": "n"], "kind": "Pod", "apiVersion": "v1",
            "metadata": [
                "uid": "u", "namespace": "default", "name": "web", "creationTimestamp": "2026-01-01T00:00:00Z", "resourceVersion": "7",
                "labels": ["b": "2", "a": "1"],
                "ownerReferences": [["uid": "o", "name": "rs", "kind": "ReplicaSet", "controller": true, "apiVersion": "apps/v1"]],
            ],
        ]
        #expect(
            String(decoding: pod.serializedForClients(), as: UTF8.self)
                == #"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","namespace":"default","uid":"u","resourceVersion":"7","creationTimestamp":"2026-01-01T00:00:00Z","labels":{"a":"1","b":"2"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"o","controller":true}]},"spec":{"nodeName":"n"},"status":{"phase":"Pending"}}"#
        )
    }

    @Test func aListAndAWatchEventOrderTheirItemsAsObjects() {
        let configMap: JSONValue = ["data": ["k": "v"], "metadata": ["name": "c"], "kind": "ConfigMap", "apiVersion": "v1"]
        let list: JSONValue = ["items": [configMap], "metadata": ["resourceVersion": "9"], "apiVersion": "v1", "kind": "ConfigMapList"]
        #expect(
            String(decoding: list.serializedForClients(), as: UTF8.self)
                == #"{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"9"},"items":[{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c"},"data":{"k":"v"}}]}"#
        )
        let event: JSONValue = ["object": configMap, "type": "ADDED"]
        #expect(
            String(decoding: event.serializedForClients(), as: UTF8.self)
                == #"{"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c"},"data":{"k":"v"}}}"#
        )
    }
}
