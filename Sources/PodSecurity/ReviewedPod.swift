import APIMachinery
import KubeObjects

/// A pod, or a workload's pod template (the same `metadata` and `spec`), as the checks read it.
struct ReviewedPod {
    let metadata: ObjectMeta
    let spec: Pod.Spec
    /// Init containers, then containers, then ephemeral containers: the order Kubernetes visits them in
    /// (`visitContainers`), which is the order their names appear in details.
    let containers: [ReviewedContainer]
    let securityContext: SecurityContext?

    init(_ pod: JSONValue) {
        let view = Pod(pod)
        metadata = view.metadata
        spec = view.spec
        let ephemeralContainers = (spec.json["ephemeralContainers"]?.arrayValue ?? []).map(Container.init)
        containers = (spec.initContainers + spec.containers + ephemeralContainers).map(ReviewedContainer.init)
        securityContext = SecurityContext(spec.json["securityContext"])
    }

    /// `spec.os.name` is `windows`: Linux-only fields cannot be set on such a pod, so from v1.25 the checks that
    /// require them leave it alone.
    var isWindows: Bool { spec.json[path: "os", "name"]?.stringValue == "windows" }

    var volumes: [ReviewedVolume] { spec.volumes.map(ReviewedVolume.init) }
}

struct ReviewedContainer {
    let name: String
    let securityContext: SecurityContext?
    /// The non-zero `ports[].hostPort` values.
    let hostPorts: [Int64]

    init(_ container: Container) {
        name = container.name
        securityContext = SecurityContext(container.json["securityContext"])
        hostPorts = container.ports.compactMap { port in port.json["hostPort"]?.integerValue.flatMap { $0 == 0 ? nil : $0 } }
    }
}

/// One of `spec.volumes`: its name and the source fields it sets (`hostPath`, `configMap`, …).
struct ReviewedVolume {
    let name: String
    let sources: Set<String>

    init(_ json: JSONValue) {
        name = json["name"]?.stringValue ?? ""
        sources = Set((json.objectValue ?? [:]).filter { $0.key != "name" && !$0.value.isNull }.keys)
    }
}
