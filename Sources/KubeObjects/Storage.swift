import APIMachinery

/// A core/v1 PersistentVolumeClaim.
public struct PersistentVolumeClaim: ObjectView {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }

    /// The PersistentVolume the claim is bound to; nil until it is.
    public var volumeName: String? { json[path: "spec", "volumeName"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
    /// `Pending`, `Bound` or `Lost`.
    public var phase: String { json[path: "status", "phase"]?.stringValue ?? "Pending" }
    public var storageClassName: String? { json[path: "spec", "storageClassName"]?.stringValue }
    public var accessModes: [String] { (json[path: "spec", "accessModes"]?.arrayValue ?? []).compactMap(\.stringValue) }
    /// What the claim asks for (`spec.resources.requests.storage`).
    public var requestedStorage: Quantity? { json[path: "spec", "resources", "requests", "storage"].flatMap(Quantity.init(json:)) }
}

/// A core/v1 PersistentVolume.
public struct PersistentVolume: ObjectView {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }

    /// A `hostPath` volume's path and its `type` (Kubernetes leaves the type empty: no check; Skiff's agent creates
    /// a missing directory, as `DirectoryOrCreate`).
    public var hostPath: (path: String, type: String)? {
        json[path: "spec", "hostPath", "path"]?.stringValue.map { ($0, json[path: "spec", "hostPath", "type"]?.stringValue ?? "DirectoryOrCreate") }
    }
    /// A `local` volume's path.
    public var localPath: String? { json[path: "spec", "local", "path"]?.stringValue }
    public var capacity: Quantity? { json[path: "spec", "capacity", "storage"].flatMap(Quantity.init(json:)) }
    /// `Available`, `Bound`, `Released` or `Failed`.
    public var phase: String { json[path: "status", "phase"]?.stringValue ?? "Pending" }
    public var claimRef: (namespace: String, name: String)? {
        guard let name = json[path: "spec", "claimRef", "name"]?.stringValue else { return nil }
        return (json[path: "spec", "claimRef", "namespace"]?.stringValue ?? "", name)
    }
}
