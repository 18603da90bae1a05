import APIMachinery
import Testing

@testable import LimitRanges

/// LimitRanger's defaults, annotation and refusals, with Kubernetes' wording.
struct LimitRangerTests {
    static func limitRange(_ items: JSONValue...) -> JSONValue {
        ["metadata": ["name": "limits", "namespace": "shop"], "spec": ["limits": .array(items)]]
    }

    static func container(_ name: String, requests: JSONValue? = nil, limits: JSONValue? = nil) -> JSONValue {
        var container: JSONValue = ["name": .string(name), "image": "nginx"]
        if let requests { container[path: "resources", "requests"] = requests }
        if let limits { container[path: "resources", "limits"] = limits }
        return container
    }

    static func pod(_ containers: [JSONValue], initContainers: [JSONValue] = [], overhead: JSONValue? = nil) -> JSONValue {
        var pod: JSONValue = ["metadata": ["name": "web", "namespace": "shop"], "spec": ["containers": .array(containers)]]
        if !initContainers.isEmpty { pod[path: "spec", "initContainers"] = .array(initContainers) }
        if let overhead { pod[path: "spec", "overhead"] = overhead }
        return pod
    }

    static func claim(_ storage: String?) -> JSONValue {
        var claim: JSONValue = ["metadata": ["name": "data", "namespace": "shop"], "spec": ["accessModes": ["ReadWriteOnce"]]]
        if let storage { claim[path: "spec", "resources", "requests", "storage"] = .string(storage) }
        return claim
    }

    static let containerDefaults = limitRange([
        "type": "Container", "default": ["cpu": "500m", "memory": "256Mi"], "defaultRequest": ["cpu": "100m", "memory": "128Mi"],
    ])

    @Test func containersGetTheDefaultsTheyLackAndThePodSaysSo() throws {
        var pod = Self.pod(
            [Self.container("web"), Self.container("log", requests: ["cpu": "50m"], limits: ["memory": "64Mi"])],
            initContainers: [Self.container("setup", requests: ["cpu": "1", "memory": "1Gi"], limits: ["cpu": "1", "memory": "1Gi"])])
        try LimitRanger.admitPod(&pod, limitRanges: [Self.containerDefaults])
        #expect(
            pod.metadata.annotations[LimitRanger.annotation]
                == "LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web; "
                + "memory request for container log; cpu limit for container log")
        #expect(pod[path: "spec", "containers"]?.arrayValue?[0]["resources"] == ["requests": ["cpu": "100m", "memory": "128Mi"], "limits": ["cpu": "500m", "memory": "256Mi"]])
        #expect(pod[path: "spec", "containers"]?.arrayValue?[1]["resources"] == ["requests": ["cpu": "50m", "memory": "128Mi"], "limits": ["cpu": "500m", "memory": "64Mi"]])
        #expect(pod[path: "spec", "initContainers"]?.arrayValue?[0]["resources"]?["requests"] == ["cpu": "1", "memory": "1Gi"], "set already")
    }

    @Test func initContainersAreNamedAsSuch() throws {
        var pod = Self.pod([Self.container("web", requests: ["cpu": "1", "memory": "1Gi"], limits: ["cpu": "1", "memory": "1Gi"])], initContainers: [Self.container("setup")])
        try LimitRanger.admitPod(&pod, limitRanges: [Self.containerDefaults])
        #expect(pod.metadata.annotations[LimitRanger.annotation] == "LimitRanger plugin set: cpu, memory request for init container setup; cpu, memory limit for init container setup")
    }

    @Test func aPodThatSetsEverythingIsLeftAsItIs() throws {
        let complete = Self.pod([Self.container("web", requests: ["cpu": "1", "memory": "1Gi"], limits: ["cpu": "1", "memory": "1Gi"])])
        var pod = complete
        try LimitRanger.admitPod(&pod, limitRanges: [Self.containerDefaults])
        #expect(pod == complete)
    }

    @Test(arguments: [
        // Container max: the limit, then the request, must not exceed it; a limit is required.
        (limitRange(["type": "Container", "max": ["cpu": "1"]]), container("web", requests: ["cpu": "1"], limits: ["cpu": "2"]), "maximum cpu usage per Container is 1, but limit is 2"),
        (limitRange(["type": "Container", "max": ["cpu": "1"]]), container("web", requests: ["cpu": "1"]), "maximum cpu usage per Container is 1.  No limit is specified"),
        (limitRange(["type": "Container", "max": ["memory": "1Gi"]]), container("web", requests: ["memory": "2Gi"], limits: ["memory": "512Mi"]), "maximum memory usage per Container is 1Gi, but request is 2Gi"),
        // Container min: the request, then the limit, must reach it; a request is required.
        (limitRange(["type": "Container", "min": ["memory": "64Mi"]]), container("web", requests: ["memory": "32Mi"]), "minimum memory usage per Container is 64Mi, but request is 32Mi"),
        (limitRange(["type": "Container", "min": ["cpu": "100m"]]), container("web", limits: ["memory": "1Gi"]), "minimum cpu usage per Container is 100m.  No request is specified"),
        (limitRange(["type": "Container", "min": ["cpu": "100m"]]), container("web", requests: ["cpu": "200m"], limits: ["cpu": "50m"]), "minimum cpu usage per Container is 100m, but limit is 50m"),
        // The limit may be at most this many times the request.
        (limitRange(["type": "Container", "maxLimitRequestRatio": ["cpu": "2"]]), container("web", requests: ["cpu": "250m"], limits: ["cpu": "1"]), "cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000"),
        (limitRange(["type": "Container", "maxLimitRequestRatio": ["memory": "1500m"]]), container("web", requests: ["memory": "3Gi"], limits: ["memory": "5Gi"]), "memory max limit to request ratio per Container is 1500m, but provided ratio is 1.666667"),
        (limitRange(["type": "Container", "maxLimitRequestRatio": ["cpu": "2"]]), container("web", limits: ["cpu": "1"]), "cpu max limit to request ratio per Container is 2, but no request is specified or request is 0"),
        (limitRange(["type": "Container", "maxLimitRequestRatio": ["cpu": "2"]]), container("web", requests: ["cpu": "1"]), "cpu max limit to request ratio per Container is 2, but no limit is specified or limit is 0"),
    ])
    func containerConstraints(limitRange: JSONValue, container: JSONValue, message: String) {
        #expect(throws: LimitRangeViolation([message])) { try LimitRanger.validatePod(Self.pod([container]), limitRanges: [limitRange]) }
    }

    @Test(arguments: [
        (container("web", requests: ["cpu": "1"], limits: ["cpu": "1"]), true),
        (container("web", requests: ["cpu": "500m"], limits: ["cpu": "1"]), true),
        (container("web", requests: ["cpu": "499m"], limits: ["cpu": "1"]), false),
    ])
    func aRatioAtTheMaximumPasses(container: JSONValue, passes: Bool) {
        let ratio = Self.limitRange(["type": "Container", "maxLimitRequestRatio": ["cpu": "2"]])
        let passed = (try? LimitRanger.validatePod(Self.pod([container]), limitRanges: [ratio])) != nil
        #expect(passed == passes)
    }

    @Test func everyBrokenConstraintIsReportedTogether() {
        let limitRange = Self.limitRange(["type": "Container", "min": ["cpu": "100m"], "max": ["cpu": "1", "memory": "1Gi"]])
        let pod = Self.pod([Self.container("web", requests: ["cpu": "50m"], limits: ["cpu": "2"])], initContainers: [Self.container("setup", requests: ["cpu": "50m"], limits: ["cpu": "2"])])
        let expected = LimitRangeViolation([
            "minimum cpu usage per Container is 100m, but request is 50m", "maximum cpu usage per Container is 1, but limit is 2",
            "maximum memory usage per Container is 1Gi.  No limit is specified",
            "minimum cpu usage per Container is 100m, but request is 50m", "maximum cpu usage per Container is 1, but limit is 2",
            "maximum memory usage per Container is 1Gi.  No limit is specified",
        ])
        #expect(throws: expected) { try LimitRanger.validatePod(pod, limitRanges: [limitRange]) }
        #expect(
            expected.message
                == "[minimum cpu usage per Container is 100m, but request is 50m, maximum cpu usage per Container is 1, but limit is 2, "
                + "maximum memory usage per Container is 1Gi.  No limit is specified]")
    }

    /// A Pod item limits the pod's total: its containers' sum, or an init container when that is larger; the
    /// overhead does not count.
    @Test func podConstraintsApplyToThePodsTotal() {
        let limitRange = Self.limitRange(["type": "Pod", "max": ["cpu": "2"], "min": ["memory": "1Gi"]])
        let fits = Self.pod(
            [Self.container("a", requests: ["cpu": "1", "memory": "512Mi"], limits: ["cpu": "1"]), Self.container("b", requests: ["cpu": "1", "memory": "512Mi"], limits: ["cpu": "1"])],
            overhead: ["cpu": "1"])
        #expect(throws: Never.self) { try LimitRanger.validatePod(fits, limitRanges: [limitRange]) }
        let initTooLarge = Self.pod(
            [Self.container("a", requests: ["cpu": "1", "memory": "1Gi"], limits: ["cpu": "1"])],
            initContainers: [Self.container("setup", requests: ["cpu": "1", "memory": "512Mi"], limits: ["cpu": "3"])])
        #expect(throws: LimitRangeViolation(["maximum cpu usage per Pod is 2, but limit is 3"])) {
            try LimitRanger.validatePod(initTooLarge, limitRanges: [limitRange])
        }
    }

    @Test(arguments: [
        ("500Mi", "minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi"),
        ("20Gi", "maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi"),
        (nil, "[minimum storage usage per PersistentVolumeClaim is 1Gi.  No request is specified, maximum storage usage per PersistentVolumeClaim is 10Gi.  No request is specified]"),
    ] as [(String?, String)])
    func claimConstraints(storage: String?, message: String) {
        let limitRange = Self.limitRange(["type": "PersistentVolumeClaim", "min": ["storage": "1Gi"], "max": ["storage": "10Gi"]])
        do throws(LimitRangeViolation) {
            try LimitRanger.validateClaim(Self.claim(storage), old: nil, limitRanges: [limitRange])
            Issue.record("admitted; expected \(message)")
        } catch {
            #expect(error.message == message)
        }
    }

    @Test func claimsWithinBoundsOrBeingDeletedPass() {
        let limitRange = Self.limitRange(["type": "PersistentVolumeClaim", "min": ["storage": "1Gi"], "max": ["storage": "10Gi"]])
        #expect(throws: Never.self) { try LimitRanger.validateClaim(Self.claim("5Gi"), old: nil, limitRanges: [limitRange]) }
        var deleting = Self.claim("20Gi")
        deleting[path: "metadata", "deletionTimestamp"] = "2026-01-01T00:00:00Z"
        #expect(throws: Never.self) { try LimitRanger.validateClaim(Self.claim("20Gi"), old: deleting, limitRanges: [limitRange]) }
    }

    /// Each LimitRange defaults what the ones before it left unset; the first one broken is reported alone.
    @Test func severalLimitRanges() {
        let first = Self.limitRange(["type": "Container", "defaultRequest": ["cpu": "100m"], "max": ["memory": "1Gi"], "default": ["memory": "512Mi"]])
        let second = Self.limitRange(["type": "Container", "defaultRequest": ["cpu": "300m", "memory": "64Mi"], "max": ["cpu": "50m"]])
        var pod = Self.pod([Self.container("web")])
        LimitRanger.applyDefaults(to: &pod, limitRanges: [first, second])
        #expect(pod[path: "spec", "containers"]?.arrayValue?[0]["resources"] == ["requests": ["cpu": "100m", "memory": "64Mi"], "limits": ["memory": "512Mi"]])
        #expect(pod.metadata.annotations[LimitRanger.annotation] == "LimitRanger plugin set: memory request for container web")
        #expect(throws: LimitRangeViolation(["maximum cpu usage per Container is 50m.  No limit is specified"])) {
            try LimitRanger.validatePod(pod, limitRanges: [first, second])
        }
    }
}
