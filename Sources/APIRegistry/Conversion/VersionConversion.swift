import APIMachinery

/// Converts objects between the API versions that share one storage location, as Kubernetes' conversion functions do.
///
/// Objects are stored in their storage version (autoscaling/v2 for HorizontalPodAutoscalers, core v1 for Events) and
/// converted on the way in and out, so a v1 client and a v2 client see the same object.
public enum VersionConversion {
    /// The group whose key space a resource is stored in.
    public static func storageGroup(group: String, resource: String) -> String {
        if group == "events.k8s.io" && resource == "events" { return "" }
        return group
    }

    /// Converts a request-version object to its storage version.
    public static func toStorage(_ object: JSONValue, group: String, version: String, resource: String) -> JSONValue {
        switch (group, version, resource) {
        case ("autoscaling", "v1", "horizontalpodautoscalers"): return HorizontalPodAutoscalerConversion.v1ToV2(object)
        case ("events.k8s.io", "v1", "events"): return EventConversion.eventsToCore(object)
        default: return object
        }
    }

    /// Converts a stored object to the version the client asked for.
    public static func fromStorage(_ object: JSONValue, group: String, version: String, resource: String) -> JSONValue {
        switch (group, version, resource) {
        case ("autoscaling", "v1", "horizontalpodautoscalers"):
            return object["apiVersion"]?.stringValue == "autoscaling/v1" ? object : HorizontalPodAutoscalerConversion.v2ToV1(object)
        case ("autoscaling", "v2", "horizontalpodautoscalers"):
            return object["apiVersion"]?.stringValue == "autoscaling/v1" ? HorizontalPodAutoscalerConversion.v1ToV2(object) : object
        case ("events.k8s.io", "v1", "events"):
            return object["apiVersion"]?.stringValue == "v1" ? EventConversion.coreToEvents(object) : object
        case ("", "v1", "events"):
            return object["apiVersion"]?.stringValue == "events.k8s.io/v1" ? EventConversion.eventsToCore(object) : object
        default:
            return object
        }
    }
}

/// autoscaling/v1 ↔ v2: v1's CPU utilization target is v2's single Resource metric.
enum HorizontalPodAutoscalerConversion {
    static func v1ToV2(_ object: JSONValue) -> JSONValue {
        var converted = object
        converted["apiVersion"] = "autoscaling/v2"
        if let target = object[path: "spec", "targetCPUUtilizationPercentage"] {
            converted[path: "spec", "targetCPUUtilizationPercentage"] = nil
            converted[path: "spec", "metrics"] = [cpuMetric(target)]
        }
        if let current = object[path: "status", "currentCPUUtilizationPercentage"] {
            converted[path: "status", "currentCPUUtilizationPercentage"] = nil
            converted[path: "status", "currentMetrics"] = [
                ["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": current]]]
            ]
        }
        return converted
    }

    static func v2ToV1(_ object: JSONValue) -> JSONValue {
        var converted = object
        converted["apiVersion"] = "autoscaling/v1"
        let metrics = object[path: "spec", "metrics"]?.arrayValue ?? []
        converted[path: "spec", "metrics"] = nil
        converted[path: "spec", "behavior"] = nil
        if let cpu = metrics.first(where: { $0["type"] == "Resource" && $0[path: "resource", "name"] == "cpu" }),
            let utilization = cpu[path: "resource", "target", "averageUtilization"]
        {
            converted[path: "spec", "targetCPUUtilizationPercentage"] = utilization
        }
        let current = object[path: "status", "currentMetrics"]?.arrayValue ?? []
        converted[path: "status", "currentMetrics"] = nil
        converted[path: "status", "conditions"] = nil
        if let cpu = current.first(where: { $0["type"] == "Resource" && $0[path: "resource", "name"] == "cpu" }),
            let utilization = cpu[path: "resource", "current", "averageUtilization"]
        {
            converted[path: "status", "currentCPUUtilizationPercentage"] = utilization
        }
        return converted
    }

    private static func cpuMetric(_ utilization: JSONValue) -> JSONValue {
        ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": utilization]]]
    }
}

/// events.k8s.io/v1 ↔ core v1 Event: the same object with renamed fields.
enum EventConversion {
    /// events.k8s.io field → core field.
    static let renamed: [(events: String, core: String)] = [
        ("note", "message"), ("regarding", "involvedObject"), ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"), ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"), ("deprecatedCount", "count"),
    ]

    static func eventsToCore(_ object: JSONValue) -> JSONValue {
        var converted = object
        converted["apiVersion"] = "v1"
        for (eventsName, coreName) in renamed {
            converted[eventsName] = nil
            converted[coreName] = object[eventsName]
        }
        return converted
    }

    static func coreToEvents(_ object: JSONValue) -> JSONValue {
        var converted = object
        converted["apiVersion"] = "events.k8s.io/v1"
        for (eventsName, coreName) in renamed {
            converted[coreName] = nil
            converted[eventsName] = object[coreName]
        }
        // Events recorded the legacy way carry first and last timestamps but no eventTime, which events.k8s.io/v1
        // requires; Kubernetes serves null there and typed clients (the official Python client) refuse the object, so
        // such an event shows the time it was last seen.
        if object["eventTime"] == nil || object["eventTime"] == .null,
            let seen = [object["lastTimestamp"], object["firstTimestamp"], object[path: "metadata", "creationTimestamp"]]
                .lazy.compactMap({ $0?.stringValue.flatMap(KubeTime.parse) }).first
        {
            converted["eventTime"] = .string(KubeTime.formatMicro(seen))
        }
        return converted
    }
}
