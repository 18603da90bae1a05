import APIMachinery
import Foundation
import KubeObjects

/// A container that cannot be configured from what it references, e.g. a missing ConfigMap key: the kubelet's
/// `CreateContainerConfigError`, whose message the user sees in the container's waiting state.
struct ContainerConfigError: Error, Equatable {
    let message: String
}

/// A container's environment as the kubelet builds it: `envFrom` sources first (ConfigMaps and Secrets, with their
/// `prefix`), then `env` in order — plain values with `$(VAR)` references to what came before, and `valueFrom`
/// ConfigMap and Secret keys, pod fields and resource values — later names replacing earlier ones.
struct ContainerEnvironment {
    let pod: JSONValue
    let podIPs: [String]
    let hostIPs: [String]
    /// What a container without a limit may use (`limits.cpu` of such a container reads the node's allocatable cpu).
    let nodeAllocatable: [String: Quantity]
    /// The pod's namespace's ConfigMaps and Secrets by name; nil when there is no such object.
    let configMap: (String) -> JSONValue?
    let secret: (String) -> JSONValue?
    /// The Services' variables (`ServiceEnvironment`): `$(VAR)` references may read them, and the container's own
    /// variables of the same name win.
    var serviceVariables: [(name: String, value: String)] = []

    private var namespace: String { pod.metadata.namespace ?? "default" }

    func variables(for container: JSONValue) throws(ContainerConfigError) -> [(name: String, value: String)] {
        var order: [String] = []
        var values: [String: String] = [:]
        let services = Dictionary(serviceVariables.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        func set(_ name: String, _ value: String) {
            if values.updateValue(value, forKey: name) == nil { order.append(name) }
        }
        for source in container["envFrom"]?.arrayValue ?? [] {
            let prefix = source["prefix"]?.stringValue ?? ""
            for (key, value) in try entries(of: source) where Self.isValidName(prefix + key) {
                set(prefix + key, value)
            }
        }
        for variable in container["env"]?.arrayValue ?? [] {
            guard let name = variable["name"]?.stringValue else { continue }
            if let from = variable["valueFrom"] {
                guard let value = try value(from: from, container: container) else { continue }
                set(name, value)
            } else {
                set(name, VariableExpansion.expand(variable["value"]?.stringValue ?? "") { values[$0] ?? services[$0] })
            }
        }
        let own = order.compactMap { name in values[name].map { (name, $0) } }
        return own + serviceVariables.filter { values[$0.name] == nil }
    }

    /// The container's command and args with `$(VAR)` references to its environment expanded.
    static func expandedCommand(_ container: JSONValue, environment: [(name: String, value: String)]) -> (command: [String], args: [String]) {
        let lookup = Dictionary(environment.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        func expand(_ field: String) -> [String] {
            (container[field]?.arrayValue ?? []).compactMap(\.stringValue).map { VariableExpansion.expand($0) { lookup[$0] } }
        }
        return (expand("command"), expand("args"))
    }

    /// Environment variable names may hold any printable ASCII character but `=` (Kubernetes' relaxed rule);
    /// keys of a ConfigMap or Secret that cannot be names are skipped.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "=") }
    }

    // MARK: Sources

    private func entries(of source: JSONValue) throws(ContainerConfigError) -> [(String, String)] {
        if let reference = source["configMapRef"] {
            guard let object = try lookUp(reference, kind: "configmap", in: configMap) else { return [] }
            return (object["data"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.compactMap { key, value in value.stringValue.map { (key, $0) } }
        }
        if let reference = source["secretRef"] {
            guard let object = try lookUp(reference, kind: "secret", in: secret) else { return [] }
            return (object["data"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.compactMap { key, value in Self.decoded(value).map { (key, $0) } }
        }
        return []
    }

    private func value(from source: JSONValue, container: JSONValue) throws(ContainerConfigError) -> String? {
        if let reference = source["configMapKeyRef"] {
            guard let object = try lookUp(reference, kind: "configmap", in: configMap) else { return nil }
            return try key(reference, of: object, kind: "ConfigMap") { $0.stringValue }
        }
        if let reference = source["secretKeyRef"] {
            guard let object = try lookUp(reference, kind: "secret", in: secret) else { return nil }
            return try key(reference, of: object, kind: "Secret", Self.decoded)
        }
        if let path = source[path: "fieldRef", "fieldPath"]?.stringValue {
            return fieldValue(path)
        }
        if let reference = source["resourceFieldRef"] {
            return resourceValue(reference, container: container)
        }
        return nil
    }

    /// The referenced object, nil when it is missing but `optional`; a missing required one is the API's NotFound.
    private func lookUp(_ reference: JSONValue, kind: String, in objects: (String) -> JSONValue?) throws(ContainerConfigError) -> JSONValue? {
        let name = reference["name"]?.stringValue ?? ""
        if let object = objects(name) { return object }
        if reference["optional"]?.boolValue == true { return nil }
        throw ContainerConfigError(message: "\(kind) \"\(name)\" not found")
    }

    private func key(
        _ reference: JSONValue, of object: JSONValue, kind: String, _ read: (JSONValue) -> String?
    ) throws(ContainerConfigError) -> String? {
        let key = reference["key"]?.stringValue ?? ""
        if let value = object[path: "data", key].flatMap(read) { return value }
        if reference["optional"]?.boolValue == true { return nil }
        let name = reference["name"]?.stringValue ?? ""
        throw ContainerConfigError(message: "couldn't find key \(key) in \(kind) \(namespace)/\(name)")
    }

    private static func decoded(_ value: JSONValue) -> String? {
        value.stringValue.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: Downward API

    /// A pod field for `fieldRef` (the fields Kubernetes allows in env); a missing label or annotation is empty.
    func fieldValue(_ path: String) -> String {
        switch path {
        case "metadata.name", "metadata.namespace", "metadata.uid":
            return pod[path: "metadata", String(path.dropFirst("metadata.".count))]?.stringValue ?? ""
        case "spec.nodeName": return Pod(pod).spec.nodeName ?? ""
        case "spec.serviceAccountName": return Pod(pod).spec.serviceAccountName ?? ""
        case "status.podIP": return podIPs.first ?? ""
        case "status.podIPs": return podIPs.joined(separator: ",")
        case "status.hostIP": return hostIPs.first ?? ""
        case "status.hostIPs": return hostIPs.joined(separator: ",")
        default:
            for map in ["labels", "annotations"] where path.hasPrefix("metadata.\(map)['") && path.hasSuffix("']") {
                let key = String(path.dropFirst("metadata.\(map)['".count).dropLast(2))
                return pod[path: "metadata", map, key]?.stringValue ?? ""
            }
            return ""
        }
    }

    /// `resourceFieldRef`: a container's request or limit divided by `divisor` and rounded up (cpu in cores by
    /// default); a missing limit reads the node's allocatable amount, a missing request 0.
    func resourceValue(_ reference: JSONValue, container: JSONValue) -> String {
        let target = reference["containerName"]?.stringValue.flatMap { name in
            (pod[path: "spec", "containers"]?.arrayValue ?? []).first { $0["name"]?.stringValue == name }
        } ?? container
        let field = reference["resource"]?.stringValue ?? ""
        let parts = field.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0] == "limits" || parts[0] == "requests" else { return "" }
        let resource = parts[1]
        let quantity = target[path: "resources", parts[0], resource].flatMap(Quantity.init(json:))
            ?? (parts[0] == "limits" ? nodeAllocatable[resource] : nil)
        let divisor = reference["divisor"].flatMap(Quantity.init(json:)) ?? Quantity("1")
        guard let quantity, let divisor, !divisor.isZero else { return "0" }
        let (amount, unit) = resource == "cpu" ? (quantity.milliValue, divisor.milliValue) : (quantity.value, divisor.value)
        guard let amount, let unit, unit > 0 else { return "0" }
        return String((amount + unit - 1) / unit)
    }
}
