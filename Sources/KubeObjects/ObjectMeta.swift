import APIMachinery

/// An object's `metadata`, read through names rather than string paths: a misspelt field is a compile error, not a
/// silent nil. A view over the lossless JSON (fields it does not name are kept untouched); writes still go
/// through the JSON.
public struct ObjectMeta: Sendable {
    /// The `metadata` object itself.
    public let json: JSONValue

    public init(_ metadata: JSONValue) { json = metadata }

    public var name: String { json["name"]?.stringValue ?? "" }
    public var generateName: String? { json["generateName"]?.stringValue }
    /// Nil (or empty) for cluster-scoped objects.
    public var namespace: String? { json["namespace"]?.stringValue }
    public var uid: String { json["uid"]?.stringValue ?? "" }
    public var resourceVersion: String { json["resourceVersion"]?.stringValue ?? "" }
    public var generation: Int64 { json["generation"]?.integerValue ?? 0 }
    public var creationTimestamp: String? { json["creationTimestamp"]?.stringValue }
    public var deletionTimestamp: String? { json["deletionTimestamp"]?.stringValue }
    public var deletionGracePeriodSeconds: Int64? { json["deletionGracePeriodSeconds"]?.integerValue }
    /// Whether the object is being deleted (it has a `deletionTimestamp`; finalizers or a grace period hold it).
    public var isDeleting: Bool { json["deletionTimestamp"] != nil && json["deletionTimestamp"] != .null }
    public var labels: [String: String] { Self.strings(json["labels"]) }
    public var annotations: [String: String] { Self.strings(json["annotations"]) }
    public var finalizers: [String] { (json["finalizers"]?.arrayValue ?? []).compactMap(\.stringValue) }
    public var ownerReferences: [OwnerReference] { (json["ownerReferences"]?.arrayValue ?? []).compactMap(OwnerReference.init) }
    /// The owner reference marked `controller: true`: the one object that manages this one.
    public var controllerRef: OwnerReference? { ownerReferences.first { $0.controller } }

    /// The controller reference when it names an owner of `kind` (and of `apiVersion`, when given).
    public func controller(kind: String, apiVersion: String? = nil) -> OwnerReference? {
        guard let reference = controllerRef, reference.kind == kind, apiVersion == nil || reference.apiVersion == apiVersion else { return nil }
        return reference
    }

    private static func strings(_ value: JSONValue?) -> [String: String] {
        (value?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }
}

/// One entry of `metadata.ownerReferences`.
public struct OwnerReference: Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool
    public var blockOwnerDeletion: Bool

    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool = false, blockOwnerDeletion: Bool = false) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }

    /// Nil for an entry without a kind, name or uid (the API refuses those; a raw object may hold anything).
    public init?(_ json: JSONValue) {
        guard let kind = json["kind"]?.stringValue, let name = json["name"]?.stringValue, let uid = json["uid"]?.stringValue else { return nil }
        self.init(
            apiVersion: json["apiVersion"]?.stringValue ?? "", kind: kind, name: name, uid: uid, controller: json["controller"]?.boolValue ?? false,
            blockOwnerDeletion: json["blockOwnerDeletion"]?.boolValue ?? false)
    }

    public var json: JSONValue {
        var json: JSONValue = ["apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(name), "uid": .string(uid)]
        if controller { json["controller"] = true }
        if blockOwnerDeletion { json["blockOwnerDeletion"] = true }
        return json
    }
}

extension JSONValue {
    /// The object's `metadata` as a view.
    public var metadata: ObjectMeta { ObjectMeta(self["metadata"] ?? .emptyObject) }
}
