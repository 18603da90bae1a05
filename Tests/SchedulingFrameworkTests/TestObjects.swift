import APIMachinery

@testable import SchedulingFramework

/// A repeatable random number generator (SplitMix64) for tie-breaking in tests.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func labelMap(_ labels: [String: String]) -> JSONValue {
    .object(labels.mapValues { .string($0) })
}

/// Builds node objects the way the kubelet reports them.
struct TestNode {
    var json: JSONValue

    init(_ name: String, cpu: String = "4", memory: String = "8Gi", pods: Int64 = 110) {
        json = [
            "metadata": ["name": .string(name), "labels": ["kubernetes.io/hostname": .string(name)]],
            "spec": [:],
            "status": ["allocatable": ["cpu": .string(cpu), "memory": .string(memory), "pods": .integer(pods)]],
        ]
    }

    func labels(_ labels: [String: String]) -> TestNode {
        var copy = self
        for (key, value) in labels { copy.json[path: "metadata", "labels", key] = .string(value) }
        return copy
    }

    func zone(_ zone: String) -> TestNode {
        labels(["topology.kubernetes.io/zone": zone])
    }

    func taint(_ key: String, _ value: String = "", effect: String) -> TestNode {
        var copy = self
        var taints = copy.json[path: "spec", "taints"]?.arrayValue ?? []
        taints.append(["key": .string(key), "value": .string(value), "effect": .string(effect)])
        copy.json[path: "spec", "taints"] = .array(taints)
        return copy
    }

    func unschedulable() -> TestNode {
        var copy = self
        copy.json[path: "spec", "unschedulable"] = true
        return copy
    }

    func allocatable(_ name: String, _ amount: JSONValue) -> TestNode {
        var copy = self
        copy.json[path: "status", "allocatable", name] = amount
        return copy
    }
}

/// Builds pod objects with one container unless told otherwise.
struct TestPod {
    var json: JSONValue

    init(_ name: String, namespace: String = "default") {
        json = [
            "metadata": ["name": .string(name), "namespace": .string(namespace), "uid": .string("uid-" + name)],
            "spec": ["containers": [["name": "app", "image": "busybox"]]],
        ]
    }

    var info: PodInfo { PodInfo(pod: json) }

    func requests(cpu: String? = nil, memory: String? = nil, _ other: [String: String] = [:]) -> TestPod {
        var requests: [String: JSONValue] = other.mapValues { .string($0) }
        if let cpu { requests["cpu"] = .string(cpu) }
        if let memory { requests["memory"] = .string(memory) }
        return container { $0[path: "resources", "requests"] = .object(requests) }
    }

    /// Edits the pod's one container.
    func container(_ edit: (inout JSONValue) -> Void) -> TestPod {
        var copy = self
        var container = copy.json[path: "spec", "containers"]?.arrayValue?.first ?? [:]
        edit(&container)
        copy.json[path: "spec", "containers"] = [container]
        return copy
    }

    func node(_ name: String) -> TestPod {
        spec("nodeName", .string(name))
    }

    func priority(_ priority: Int64) -> TestPod {
        spec("priority", .integer(priority))
    }

    func labels(_ labels: [String: String]) -> TestPod {
        var copy = self
        copy.json[path: "metadata", "labels"] = labelMap(labels)
        return copy
    }

    func spec(_ field: String, _ value: JSONValue) -> TestPod {
        var copy = self
        copy.json[path: "spec", field] = value
        return copy
    }

    func status(_ field: String, _ value: JSONValue) -> TestPod {
        var copy = self
        copy.json[path: "status", field] = value
        return copy
    }

    func toleration(key: String, operator op: String = "Equal", value: String = "", effect: String = "") -> TestPod {
        var copy = self
        var tolerations = copy.json[path: "spec", "tolerations"]?.arrayValue ?? []
        tolerations.append(["key": .string(key), "operator": .string(op), "value": .string(value), "effect": .string(effect)])
        copy.json[path: "spec", "tolerations"] = .array(tolerations)
        return copy
    }

    func hostPort(_ port: Int64, protocol proto: String = "TCP", hostIP: String = "") -> TestPod {
        container { container in
            var ports = container["ports"]?.arrayValue ?? []
            ports.append(["containerPort": .integer(port), "hostPort": .integer(port), "protocol": .string(proto), "hostIP": .string(hostIP)])
            container["ports"] = .array(ports)
        }
    }

    /// Sets `spec.affinity.<kind>.<field>`, e.g. `affinity("podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", [...])`.
    func affinity(_ kind: String, _ field: String, _ value: JSONValue) -> TestPod {
        var copy = self
        copy.json[path: "spec", "affinity", kind, field] = value
        return copy
    }

    func spread(
        maxSkew: Int64 = 1, topologyKey: String, whenUnsatisfiable: String = "DoNotSchedule",
        matchLabels: [String: String], extra: [String: JSONValue] = [:]
    ) -> TestPod {
        var copy = self
        var constraints = copy.json[path: "spec", "topologySpreadConstraints"]?.arrayValue ?? []
        var constraint: [String: JSONValue] = [
            "maxSkew": .integer(maxSkew), "topologyKey": .string(topologyKey),
            "whenUnsatisfiable": .string(whenUnsatisfiable), "labelSelector": ["matchLabels": labelMap(matchLabels)],
        ]
        for (key, value) in extra { constraint[key] = value }
        constraints.append(.object(constraint))
        copy.json[path: "spec", "topologySpreadConstraints"] = .array(constraints)
        return copy
    }
}

/// A pod affinity term selecting `matchLabels` by `topologyKey`.
func podAffinityTerm(_ matchLabels: [String: String], topologyKey: String, extra: [String: JSONValue] = [:]) -> JSONValue {
    var term: [String: JSONValue] = ["labelSelector": ["matchLabels": labelMap(matchLabels)], "topologyKey": .string(topologyKey)]
    for (key, value) in extra { term[key] = value }
    return .object(term)
}

func snapshot(nodes: [TestNode], pods: [TestPod] = []) -> ClusterSnapshot {
    var snapshot = ClusterSnapshot()
    for node in nodes { snapshot.upsertNode(node.json) }
    for pod in pods { snapshot.addPod(pod.info) }
    return snapshot
}

/// Schedules with a fixed seed; returns the chosen node or the failure message.
func scheduleOutcome(_ pod: TestPod, in snapshot: ClusterSnapshot, seed: UInt64 = 1) -> Result<ScheduleResult, FitError> {
    var scheduler = GenericScheduler(random: SeededGenerator(seed: seed))
    return scheduler.schedule(pod.info, in: snapshot)
}

func host(_ outcome: Result<ScheduleResult, FitError>) -> String? {
    if case .success(let result) = outcome { return result.suggestedHost }
    return nil
}

func failure(_ outcome: Result<ScheduleResult, FitError>) -> FitError? {
    if case .failure(let error) = outcome { return error }
    return nil
}

/// Runs the filters of a fresh cycle on one node.
func filterStatus(_ pod: TestPod, node name: String, in snapshot: ClusterSnapshot) -> FilterStatus? {
    let state = CycleState(pod: pod.info, snapshot: snapshot)
    guard let node = snapshot.node(named: name) else { return nil }
    return state.filter(node)
}
