import APIMachinery
import APIRegistry
import KubeObjects
import Storage

/// Kubernetes objects over the revisioned key-value store: key layout, encoding, and `resourceVersion`.
///
/// As in Kubernetes' etcd3 storage, stored bytes never carry a resourceVersion; it is set from the revision on read.
struct ObjectStore: Sendable {
    let backend: any RevisionedStore
    let decoded = DecodedObjectCache()

    /// `/registry/<group>/<resource>/<namespace>/<name>`; versions of one group share a key space, as in Kubernetes.
    static func keyPrefix(_ resource: ResourceDefinition, namespace: String?) -> String {
        let storageGroup = VersionConversion.storageGroup(group: resource.group, resource: resource.resource)
        let group = storageGroup.isEmpty ? "core" : storageGroup
        if let namespace, resource.namespaced {
            return "/registry/\(group)/\(resource.resource)/\(namespace)/"
        }
        return "/registry/\(group)/\(resource.resource)/"
    }

    static func key(_ resource: ResourceDefinition, namespace: String?, name: String) -> String {
        keyPrefix(resource, namespace: resource.namespaced ? namespace : nil) + name
    }

    /// The stored object in the version `definition` serves, with its resourceVersion.
    static func decode(_ stored: StoredValue, as definition: ResourceDefinition) throws(APIError) -> JSONValue {
        let object: JSONValue
        do {
            object = try JSONValue.parse(stored.value)
        } catch {
            throw APIError.internalError("stored object \(stored.key) is not valid JSON: \(error.message)")
        }
        return served(object, revision: stored.modRevision, as: definition)
    }

    /// As `decode`, reusing the parsed object when this revision was just written or read.
    func decode(_ stored: StoredValue, as definition: ResourceDefinition) throws(APIError) -> JSONValue {
        if let object = decoded.object(key: stored.key, revision: stored.modRevision) {
            return Self.served(object, revision: stored.modRevision, as: definition)
        }
        let object: JSONValue
        do {
            object = try JSONValue.parse(stored.value)
        } catch {
            throw APIError.internalError("stored object \(stored.key) is not valid JSON: \(error.message)")
        }
        decoded.remember(key: stored.key, revision: stored.modRevision, object: object)
        return Self.served(object, revision: stored.modRevision, as: definition)
    }

    private static func served(_ stored: JSONValue, revision: Int64, as definition: ResourceDefinition) -> JSONValue {
        var object = stored
        object[path: "metadata", "resourceVersion"] = .string(String(revision))
        return VersionConversion.fromStorage(object, group: definition.group, version: definition.version, resource: definition.resource)
    }

    /// The storage form of an object (storage version, no resourceVersion).
    static func storageForm(_ object: JSONValue, as definition: ResourceDefinition) -> JSONValue {
        var stored = VersionConversion.toStorage(object, group: definition.group, version: definition.version, resource: definition.resource)
        stored[path: "metadata", "resourceVersion"] = nil
        return stored
    }

    static func encode(_ object: JSONValue, as definition: ResourceDefinition) -> [UInt8] {
        storageForm(object, as: definition).serialized()
    }

    func get(_ resource: ResourceDefinition, namespace: String?, name: String) async throws(APIError) -> JSONValue {
        guard let found = try await find(resource, namespace: namespace, name: name) else {
            throw APIError.notFound(resource.groupResource, name: name)
        }
        return found.object
    }

    /// The object and the revision it was last written at, or nil.
    func find(_ resource: ResourceDefinition, namespace: String?, name: String) async throws(APIError) -> (object: JSONValue, revision: Int64)? {
        let key = Self.key(resource, namespace: namespace, name: name)
        guard let stored = try await mapped({ () throws(StoreError) in try await backend.get(key) }, resource: resource, name: name) else {
            return nil
        }
        return (try decode(stored, as: resource), stored.modRevision)
    }

    func create(_ resource: ResourceDefinition, object: JSONValue) async throws(APIError) -> JSONValue {
        let name = object.metadata.name
        let namespace = object.metadata.namespace
        let key = Self.key(resource, namespace: namespace, name: name)
        let storage = Self.storageForm(object, as: resource)
        let bytes = storage.serialized()
        let revision = try await mapped({ () throws(StoreError) in try await backend.create(key, value: bytes) }, resource: resource, name: name)
        decoded.remember(key: key, revision: revision, object: storage)
        var created = object
        created[path: "metadata", "resourceVersion"] = .string(String(revision))
        return created
    }

    /// Writes `object` only if the stored revision is still `expectedRevision`.
    func update(_ resource: ResourceDefinition, object: JSONValue, expectedRevision: Int64) async throws(APIError) -> JSONValue {
        let name = object.metadata.name
        let namespace = object.metadata.namespace
        let key = Self.key(resource, namespace: namespace, name: name)
        let storage = Self.storageForm(object, as: resource)
        let bytes = storage.serialized()
        let revision = try await mapped(
            { () throws(StoreError) in try await backend.update(key, value: bytes, expectedRevision: expectedRevision) }, resource: resource, name: name)
        decoded.remember(key: key, revision: revision, object: storage)
        var updated = object
        updated[path: "metadata", "resourceVersion"] = .string(String(revision))
        return updated
    }

    func delete(_ resource: ResourceDefinition, namespace: String?, name: String, expectedRevision: Int64?) async throws(APIError) -> JSONValue {
        let key = Self.key(resource, namespace: namespace, name: name)
        let (_, previous) = try await mapped(
            { () throws(StoreError) in try await backend.delete(key, expectedRevision: expectedRevision) }, resource: resource, name: name)
        return try decode(previous, as: resource)
    }

    /// Runs a store call, turning its errors into the API errors Kubernetes returns for them.
    func mapped<T>(_ call: () async throws(StoreError) -> T, resource: ResourceDefinition, name: String) async throws(APIError) -> T {
        do {
            return try await call()
        } catch {
            throw Self.apiError(error, resource: resource, name: name)
        }
    }

    static func apiError(_ error: StoreError, resource: ResourceDefinition, name: String) -> APIError {
        switch error {
        case .keyExists: return .alreadyExists(resource.groupResource, name: name)
        case .keyNotFound: return .notFound(resource.groupResource, name: name)
        case .revisionMismatch: return .modified(resource.groupResource, name: name)
        case .compacted(let requested, let compacted):
            return .expired("too old resource version: \(requested) (\(compacted))")
        case .futureRevision(let requested, let current):
            return APIError(
                code: 504, reason: "Timeout",
                message: "Too large resource version: \(requested), current: \(current)", retryAfterSeconds: 1)
        case .watcherTooSlow: return .gone("watch closed: the watcher fell too far behind; re-list")
        case .backend(let message): return .internalError(message)
        }
    }
}
