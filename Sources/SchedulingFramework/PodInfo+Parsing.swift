import APIMachinery

extension PodInfo {
    /// Parses a pod object. Missing or malformed parts read as absent.
    public init(pod: JSONValue) {
        let metadata = pod["metadata"] ?? .emptyObject
        let spec = pod["spec"] ?? .emptyObject
        let status = pod["status"] ?? .emptyObject
        let namespace = metadata["namespace"]?.stringValue ?? "default"
        let labels = PodInfo.stringMap(metadata["labels"])
        let affinity = spec["affinity"] ?? .null
        let podAffinity = affinity["podAffinity"] ?? .null
        let podAntiAffinity = affinity["podAntiAffinity"] ?? .null
        let nodeAffinity = affinity["nodeAffinity"] ?? .null
        let phase = status["phase"]?.stringValue
        let requests = PodInfo.requests(spec: spec)

        func terms(_ parent: JSONValue, _ field: String) -> [AffinityTerm] {
            (parent[field]?.arrayValue ?? []).map { AffinityTerm(json: $0, namespace: namespace) }
        }
        func weightedTerms(_ parent: JSONValue) -> [WeightedAffinityTerm] {
            (parent["preferredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []).map {
                WeightedAffinityTerm(json: $0, namespace: namespace)
            }
        }

        self.init(
            fields: Fields(
                object: pod,
                namespace: namespace,
                name: metadata["name"]?.stringValue ?? "",
                uid: metadata["uid"]?.stringValue ?? "",
                labels: labels,
                priority: Int(clamping: spec["priority"]?.integerValue ?? 0),
                preemptionPolicy: spec["preemptionPolicy"]?.stringValue == "Never" ? .never : .preemptLowerPriority,
                nodeName: PodInfo.nonEmpty(spec["nodeName"]?.stringValue),
                nominatedNodeName: PodInfo.nonEmpty(status["nominatedNodeName"]?.stringValue),
                schedulerName: PodInfo.nonEmpty(spec["schedulerName"]?.stringValue) ?? "default-scheduler",
                isTerminal: phase == "Succeeded" || phase == "Failed",
                deletionTimestamp: metadata["deletionTimestamp"]?.stringValue,
                isPreemptedByScheduler: (status["conditions"]?.arrayValue ?? []).contains {
                    $0["type"]?.stringValue == "DisruptionTarget" && $0["reason"]?.stringValue == "PreemptionByScheduler"
                },
                startTime: status["startTime"]?.stringValue,
                requests: requests.requests,
                nonZeroRequests: requests.nonZero,
                requiredNodeAffinity: RequiredNodeAffinity(
                    nodeSelector: PodInfo.stringMap(spec["nodeSelector"]),
                    terms: nodeAffinity["requiredDuringSchedulingIgnoredDuringExecution"].map { required in
                        (required["nodeSelectorTerms"]?.arrayValue ?? []).map(NodeSelectorTerm.init(json:))
                    }),
                preferredNodeAffinity: (nodeAffinity["preferredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? [])
                    .compactMap(PreferredSchedulingTerm.init(json:)),
                tolerations: (spec["tolerations"]?.arrayValue ?? []).map(Toleration.init(json:)),
                hostPorts: (spec["containers"]?.arrayValue ?? []).flatMap { container in
                    (container["ports"]?.arrayValue ?? []).compactMap(HostPort.init(json:))
                },
                hasInterPodAffinity: !podAffinity.isNull || !podAntiAffinity.isNull,
                requiredAffinityTerms: terms(podAffinity, "requiredDuringSchedulingIgnoredDuringExecution"),
                requiredAntiAffinityTerms: terms(podAntiAffinity, "requiredDuringSchedulingIgnoredDuringExecution"),
                preferredAffinityTerms: weightedTerms(podAffinity),
                preferredAntiAffinityTerms: weightedTerms(podAntiAffinity),
                topologySpreadConstraints: (spec["topologySpreadConstraints"]?.arrayValue ?? []).compactMap {
                    TopologySpreadConstraint(json: $0, podLabels: labels)
                }))
    }

    static func stringMap(_ json: JSONValue?) -> [String: String] {
        guard let fields = json?.objectValue else { return [:] }
        var result: [String: String] = [:]
        result.reserveCapacity(fields.count)
        for (key, value) in fields {
            if let text = value.stringValue { result[key] = text }
        }
        return result
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
