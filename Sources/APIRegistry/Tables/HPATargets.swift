import APIMachinery

/// The TARGETS cell of `kubectl get hpa` (`formatHPAMetrics`): `cpu: 45%/80%`, `memory: 100Mi/200Mi`,
/// `<unknown>/10 (avg)`, at most two metrics then `+ N more...`.
enum HPATargets {
    static func format(_ autoscaler: PrintedObject) -> String {
        let (specs, statuses) = metrics(autoscaler)
        guard !specs.isEmpty else { return "<none>" }
        var list: [String] = []
        for (index, spec) in specs.enumerated() {
            let status = index < statuses.count ? statuses[index] : nil
            list.append(describe(spec, status))
        }
        guard list.count > 2 else { return list.joined(separator: ", ") }
        return list.prefix(2).joined(separator: ", ") + " + \(list.count - 2) more..."
    }

    /// The v2 `spec.metrics` and `status.currentMetrics`; an autoscaling/v1 object's CPU target is read as the one
    /// Resource metric it converts to (80% when unset, the storage default).
    private static func metrics(_ autoscaler: PrintedObject) -> (specs: [JSONValue], statuses: [JSONValue]) {
        if autoscaler.value("spec", "metrics") == nil,
            autoscaler.optionalString("apiVersion") == "autoscaling/v1" || autoscaler.value("spec", "targetCPUUtilizationPercentage") != nil
        {
            let target = autoscaler.integer("spec", "targetCPUUtilizationPercentage", default: 80)
            let spec: JSONValue = [
                "type": "Resource",
                "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": .integer(target)]],
            ]
            var statuses: [JSONValue] = []
            if let current = autoscaler.value("status", "currentCPUUtilizationPercentage")?.integerValue {
                statuses = [["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": .integer(current)]]]]
            }
            return ([spec], statuses)
        }
        return (autoscaler.array("spec", "metrics"), autoscaler.array("status", "currentMetrics"))
    }

    private static func describe(_ spec: JSONValue, _ status: JSONValue?) -> String {
        func quantity(_ value: JSONValue?) -> String { TableFormat.scalar(value) ?? "<nil>" }
        switch spec["type"]?.stringValue {
        case "External", "Object":
            let key = spec["type"]?.stringValue == "External" ? "external" : "object"
            let target = spec[path: key, "target"]
            let current = status?[key]
            if let average = target?["averageValue"] {
                let now = current?[path: "current", "averageValue"].map { quantity($0) } ?? "<unknown>"
                return "\(now)/\(quantity(average)) (avg)"
            }
            let now = current.map { quantity($0[path: "current", "value"]) } ?? "<unknown>"
            return "\(now)/\(quantity(target?["value"]))"
        case "Pods":
            let now = status?["pods"].map { quantity($0[path: "current", "averageValue"]) } ?? "<unknown>"
            return "\(now)/\(quantity(spec[path: "pods", "target", "averageValue"]))"
        case "Resource", "ContainerResource":
            let key = spec["type"]?.stringValue == "Resource" ? "resource" : "containerResource"
            let name = spec[path: key, "name"]?.stringValue ?? ""
            let target = spec[path: key, "target"]
            let current = status?[key]
            if let average = target?["averageValue"] {
                let now = current.map { quantity($0[path: "current", "averageValue"]) } ?? "<unknown>"
                return "\(name): \(now)/\(quantity(average))"
            }
            let now = current?[path: "current", "averageUtilization"]?.integerValue.map { "\($0)%" } ?? "<unknown>"
            let wanted = target?["averageUtilization"]?.integerValue.map { "\($0)%" } ?? "<auto>"
            return "\(name): \(now)/\(wanted)"
        default:
            return "<unknown type>"
        }
    }
}
