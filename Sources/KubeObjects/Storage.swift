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
    /// The class the claim asks for: the beta annotation, which still wins, else `spec.storageClassName`; nil when it
    /// names none (DefaultStorageClass admission fills it in), "" when it asks for volumes without a class.
    public var className: String? {
        metadata.annotations[StorageClass.betaClassAnnotation] ?? json[path: "spec", "storageClassName"]?.stringValue
    }
    /// `Filesystem` unless the claim asks for a raw `Block` device.
    public var volumeMode: String { json[path: "spec", "volumeMode"]?.stringValue ?? "Filesystem" }
    /// The node the scheduler chose for the first pod using a WaitForFirstConsumer claim.
    public var selectedNode: String? { metadata.annotations[Self.selectedNodeAnnotation] }
    /// `spec.selector`: labels the volume must carry; nil when the claim sets none.
    public var selector: JSONValue? {
        // Not `flatMap { $0.isNull ? nil : $0 }`: `nil` there is JSONValue's own nil literal, `.null`, kept.
        guard let selector = json[path: "spec", "selector"], !selector.isNull else { return nil }
        return selector
    }

    public static let selectedNodeAnnotation = "volume.kubernetes.io/selected-node"
    /// Which provisioner is to create the claim's volume, set by the PV controller when no existing volume fits.
    public static let provisionerAnnotation = "volume.kubernetes.io/storage-provisioner"
    public static let betaProvisionerAnnotation = "volume.beta.kubernetes.io/storage-provisioner"
    public static let protectionFinalizer = "kubernetes.io/pvc-protection"
}

/// A storage.k8s.io/v1 StorageClass.
public struct StorageClass: ObjectView {
    public let json: JSONValue
    public init(_ json: JSONValue) { self.json = json }

    public static let defaultClassAnnotation = "storageclass.kubernetes.io/is-default-class"
    public static let betaDefaultClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class"
    public static let betaClassAnnotation = "volume.beta.kubernetes.io/storage-class"
    /// The provisioner of classes whose volumes are made by hand (local PVs), never provisioned.
    public static let noProvisioner = "kubernetes.io/no-provisioner"

    public var provisioner: String { json["provisioner"]?.stringValue ?? "" }
    /// `Delete` (the default) or `Retain`.
    public var reclaimPolicy: String { json["reclaimPolicy"]?.stringValue ?? "Delete" }
    /// Whether claims wait for their first pod to be scheduled before they bind (`WaitForFirstConsumer`).
    public var waitsForFirstConsumer: Bool { json["volumeBindingMode"]?.stringValue == "WaitForFirstConsumer" }
    public var isDefault: Bool {
        metadata.annotations[Self.defaultClassAnnotation] == "true" || metadata.annotations[Self.betaDefaultClassAnnotation] == "true"
    }
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
    /// The uid of the claim the volume is bound to; nil when it is pre-bound by name only.
    public var claimUID: String? { json[path: "spec", "claimRef", "uid"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
    /// The class of the volume; "" for a volume without one.
    public var className: String {
        metadata.annotations[StorageClass.betaClassAnnotation] ?? json[path: "spec", "storageClassName"]?.stringValue ?? ""
    }
    public var accessModes: [String] { (json[path: "spec", "accessModes"]?.arrayValue ?? []).compactMap(\.stringValue) }
    public var volumeMode: String { json[path: "spec", "volumeMode"]?.stringValue ?? "Filesystem" }
    /// `Retain`, `Delete` or `Recycle`.
    public var reclaimPolicy: String { json[path: "spec", "persistentVolumeReclaimPolicy"]?.stringValue ?? "Retain" }
    /// The node selector terms (ORed) of `spec.nodeAffinity.required`: the nodes that can reach the volume.
    public var requiredNodeTerms: [JSONValue]? {
        json[path: "spec", "nodeAffinity", "required", "nodeSelectorTerms"]?.arrayValue
    }
    /// The provisioner that made the volume, when one did.
    public var provisionedBy: String? { metadata.annotations[Self.provisionedByAnnotation] }

    public static let provisionedByAnnotation = "pv.kubernetes.io/provisioned-by"
    public static let boundByControllerAnnotation = "pv.kubernetes.io/bound-by-controller"
    public static let protectionFinalizer = "kubernetes.io/pv-protection"
}
