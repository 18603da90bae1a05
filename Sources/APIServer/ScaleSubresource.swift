import APIMachinery
import APIRegistry

/// The `autoscaling/v1` `Scale` view of workloads with replicas.
enum ScaleSubresource {
    static func scale(of object: JSONValue, definition: ResourceDefinition) -> JSONValue {
        var metadata: [String: JSONValue] = [:]
        for field in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
            if let value = object[path: "metadata", field] { metadata[field] = value }
        }
        var status: [String: JSONValue] = ["replicas": .integer(object[path: "status", "replicas"]?.integerValue ?? 0)]
        if let selector = object[path: "spec", "selector"] {
            status["selector"] = .string(selectorString(selector))
        }
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": .object(metadata),
            "spec": ["replicas": .integer(object[path: "spec", "replicas"]?.integerValue ?? 0)],
            "status": .object(status),
        ]
    }

    /// A label selector object in the query-string form (`app=web,tier in (a,b)`).
    static func selectorString(_ selector: JSONValue) -> String {
        if let flat = selector.objectValue, selector["matchLabels"] == nil, selector["matchExpressions"] == nil {
            return flat.keys.sorted().compactMap { key in flat[key]?.stringValue.map { "\(key)=\($0)" } }.joined(separator: ",")
        }
        var parts: [String] = []
        let labels = selector["matchLabels"]?.objectValue ?? [:]
        for key in labels.keys.sorted() {
            if let value = labels[key]?.stringValue { parts.append("\(key)=\(value)") }
        }
        for expression in selector["matchExpressions"]?.arrayValue ?? [] {
            let key = expression["key"]?.stringValue ?? ""
            let values = (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue).sorted().joined(separator: ",")
            switch expression["operator"]?.stringValue {
            case "In": parts.append("\(key) in (\(values))")
            case "NotIn": parts.append("\(key) notin (\(values))")
            case "Exists": parts.append(key)
            case "DoesNotExist": parts.append("!\(key)")
            default: break
            }
        }
        return parts.joined(separator: ",")
    }
}
