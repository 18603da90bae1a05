import APIMachinery

/// Pods for the tests, as JSON the API server would hold.
enum Fixtures {
    /// A pod named `name` with `spec` (containers included) and, when given, annotations.
    static func pod(_ name: String = "p", spec: JSONValue, annotations: JSONValue? = nil, namespace: String = "ns") -> JSONValue {
        var pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": .string(namespace)], "spec": spec]
        if let annotations { pod[path: "metadata", "annotations"] = annotations }
        return pod
    }

    /// A pod whose only container, `c`, has `securityContext`.
    static func pod(container securityContext: JSONValue) -> JSONValue {
        pod(spec: ["containers": [["name": "c", "image": "nginx", "securityContext": securityContext]]])
    }

    /// A container that passes every restricted check.
    static func restrictedContainer(_ name: String, image: String = "nginx") -> JSONValue {
        [
            "name": .string(name), "image": .string(image),
            "securityContext": [
                "allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]], "runAsNonRoot": true, "seccompProfile": ["type": "RuntimeDefault"],
            ],
        ]
    }

    /// A pod that passes every restricted check.
    static func restrictedPod(_ name: String = "p") -> JSONValue {
        pod(name, spec: ["containers": [restrictedContainer("c")]])
    }

    /// A plain `nginx` pod, as `kubectl run web --image=nginx` makes it: baseline, not restricted.
    static func plainPod(_ name: String = "web", container: String = "web") -> JSONValue {
        pod(name, spec: ["containers": [["name": .string(container), "image": "nginx"]]])
    }

    /// A Namespace with `labels`.
    static func namespace(_ name: String = "ns", labels: [String: String] = [:]) -> JSONValue {
        ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name), "labels": .object(labels.mapValues { .string($0) })]]
    }
}
