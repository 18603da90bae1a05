import APIMachinery

/// The Kubernetes verbs over any transport, on lossless JSON objects.
///
/// Every component other than the store talks to the cluster through this, as Kubernetes' own components do.
public struct KubeClient: Sendable {
    public let transport: any KubeTransport
    /// Recorded as the field manager of writes (`managedFields`).
    public let fieldManager: String

    public init(transport: any KubeTransport, fieldManager: String) {
        self.transport = transport
        self.fieldManager = fieldManager
    }

    public enum PatchType: String, Sendable {
        case merge = "application/merge-patch+json"
        case strategicMerge = "application/strategic-merge-patch+json"
        case json = "application/json-patch+json"
        case apply = "application/apply-patch+yaml"
    }

    public func get(_ resource: ResourceType, namespace: String? = nil, name: String, subresource: String? = nil) async throws(APIError) -> JSONValue {
        try await transport.perform(KubeRequest(method: "GET", path: resource.path(namespace: namespace, name: name, subresource: subresource)))
    }

    /// One page of a list; the answer's `metadata.continue` names the next.
    public func list(_ resource: ResourceType, namespace: String? = nil, options: ListOptions = ListOptions()) async throws(APIError) -> JSONValue {
        try await transport.perform(KubeRequest(method: "GET", path: resource.path(namespace: namespace), query: options.query))
    }

    /// Every item of a list, following `continue` tokens; returns the items and the list's resourceVersion.
    public func listAll(_ resource: ResourceType, namespace: String? = nil, options: ListOptions = ListOptions()) async throws(APIError) -> (
        items: [JSONValue], resourceVersion: String
    ) {
        var options = options
        options.limit = options.limit ?? 5000
        var items: [JSONValue] = []
        while true {
            let page = try await list(resource, namespace: namespace, options: options)
            items.append(contentsOf: page["items"]?.arrayValue ?? [])
            let revision = page[path: "metadata", "resourceVersion"]?.stringValue ?? ""
            guard let next = page[path: "metadata", "continue"]?.stringValue, !next.isEmpty else {
                return (items, revision)
            }
            options.continueToken = next
        }
    }

    public func create(_ resource: ResourceType, namespace: String? = nil, _ object: JSONValue) async throws(APIError) -> JSONValue {
        try await transport.perform(
            KubeRequest(method: "POST", path: resource.path(namespace: namespace), query: managerQuery, body: object))
    }

    /// Replaces an object; the object's `metadata.resourceVersion` is the precondition (409 Conflict when stale).
    public func update(_ resource: ResourceType, _ object: JSONValue, subresource: String? = nil) async throws(APIError) -> JSONValue {
        let name = object[path: "metadata", "name"]?.stringValue ?? ""
        let namespace = object[path: "metadata", "namespace"]?.stringValue
        return try await transport.perform(
            KubeRequest(
                method: "PUT", path: resource.path(namespace: namespace, name: name, subresource: subresource), query: managerQuery,
                body: object))
    }

    public func patch(
        _ resource: ResourceType, namespace: String? = nil, name: String, type: PatchType, _ patch: JSONValue, subresource: String? = nil,
        force: Bool = false
    ) async throws(APIError) -> JSONValue {
        var query = managerQuery
        if force { query["force"] = "true" }
        return try await transport.perform(
            KubeRequest(
                method: "PATCH", path: resource.path(namespace: namespace, name: name, subresource: subresource), query: query, body: patch,
                contentType: type.rawValue))
    }

    /// Deletes an object; `options` is a `DeleteOptions` body (grace period, preconditions, propagation).
    @discardableResult
    public func delete(_ resource: ResourceType, namespace: String? = nil, name: String, options: JSONValue? = nil) async throws(APIError)
        -> JSONValue
    {
        try await transport.perform(KubeRequest(method: "DELETE", path: resource.path(namespace: namespace, name: name), body: options))
    }

    /// POSTs to a subresource such as `pods/binding` or `pods/eviction`.
    @discardableResult
    public func createSubresource(_ resource: ResourceType, namespace: String?, name: String, subresource: String, _ body: JSONValue)
        async throws(APIError) -> JSONValue
    {
        try await transport.perform(
            KubeRequest(method: "POST", path: resource.path(namespace: namespace, name: name, subresource: subresource), body: body))
    }

    /// Opens a watch from `options.resourceVersion`.
    public func watch(_ resource: ResourceType, namespace: String? = nil, options: ListOptions) async throws(APIError) -> AsyncThrowingStream<
        JSONValue, any Error
    > {
        var query = options.query
        query["watch"] = "true"
        return try await transport.watch(KubeRequest(method: "GET", path: resource.path(namespace: namespace), query: query))
    }

    private var managerQuery: [String: String] { ["fieldManager": fieldManager] }
}
