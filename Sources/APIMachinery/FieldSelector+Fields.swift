/// Which fields each resource can be selected by, and the value Kubernetes compares for each
/// (the field-label conversion functions and `ToSelectableFields` of the built-in registries).
extension FieldSelector {
    /// The field labels Kubernetes accepts in `fieldSelector` for a resource; every resource without its own list
    /// accepts `metadata.name` and `metadata.namespace`.
    public static func supportedFields(group: String, resource: String) -> Set<String> {
        let metadata: Set<String> = ["metadata.name", "metadata.namespace"]
        switch (group, resource) {
        case ("", "pods"):
            return metadata.union([
                "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
                "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName", "spec.host",
            ])
        case ("", "nodes"):
            return ["metadata.name", "spec.unschedulable"]
        case ("", "namespaces"):
            return ["metadata.name", "status.phase"]
        case ("", "events"):
            return metadata.union([
                "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
                "reportingComponent", "source", "type",
            ])
        case ("", "secrets"):
            return metadata.union(["type"])
        case ("", "services"):
            return metadata.union(["spec.clusterIP", "spec.type"])
        case ("", "replicationcontrollers"), ("apps", "replicasets"):
            return metadata.union(["status.replicas"])
        case ("batch", "jobs"):
            return metadata.union(["status.successful"])
        case ("certificates.k8s.io", "certificatesigningrequests"):
            return metadata.union(["spec.signerName"])
        case ("resource.k8s.io", "resourceslices"):
            return metadata.union(["spec.nodeName", "spec.driver"])
        default:
            return metadata
        }
    }

    /// Rejects a field the resource cannot be selected by, with Kubernetes' 400 `field label not supported: <field>`.
    public func validate(group: String, resource: String) throws(APIError) {
        let supported = FieldSelector.supportedFields(group: group, resource: resource)
        for requirement in requirements where !supported.contains(requirement.field) {
            throw APIError.badRequest("field label not supported: \(requirement.field)")
        }
    }

    /// The string a field compares as: missing fields are `""`, booleans `true`/`false`, numbers in decimal.
    public static func fieldValue(_ field: String, of object: JSONValue) -> String {
        switch field {
        case "spec.host":
            // Old clients' name for a pod's node.
            return fieldValue("spec.nodeName", of: object)
        case "status.podIP", "status.podIPs":
            // Kubernetes selects on the first entry of status.podIPs, which mirrors status.podIP.
            if let first = object[path: "status", "podIPs"]?.arrayValue?.first?["ip"]?.stringValue { return first }
            return object[path: "status", "podIP"]?.stringValue ?? ""
        case "spec.hostNetwork", "spec.unschedulable":
            return render(value(at: field, in: object)) ?? "false"
        case "status.replicas":
            return render(value(at: field, in: object)) ?? "0"
        case "status.successful":
            return render(object[path: "status", "succeeded"]) ?? "0"
        case "source":
            // Events report their source component, or the newer reportingComponent when that is unset.
            let component = object[path: "source", "component"]?.stringValue ?? ""
            return component.isEmpty ? object["reportingComponent"]?.stringValue ?? "" : component
        default:
            return render(value(at: field, in: object)) ?? ""
        }
    }

    private static func value(at field: String, in object: JSONValue) -> JSONValue? {
        object.value(at: field.split(separator: ".", omittingEmptySubsequences: false).map(String.init)[...])
    }

    private static func render(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let number): return String(number)
        case .double(let number):
            if let whole = value?.integerValue { return String(whole) }
            return String(number)
        default: return nil
        }
    }
}
