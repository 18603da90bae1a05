import APIMachinery
import APIRegistry
import Foundation
import KubeObjects
import Storage

extension KubernetesAPI {
    func get(_ context: ResourceRequest, name: String) async throws(APIError) -> APIResponse {
        let namespace = try context.requireNamespace()
        let object = try await objects.get(context.definition, namespace: namespace, name: name)
        if context.request.wantsTable {
            let revision = object[path: "metadata", "resourceVersion"]?.stringValue ?? ""
            return .ok(table(context, objects: [object], revision: revision, continueToken: nil))
        }
        return .ok(object)
    }

    func getSubresource(_ context: ResourceRequest, name: String, subresource: String) async throws(APIError) -> APIResponse {
        let namespace = try context.requireNamespace()
        let object = try await objects.get(context.definition, namespace: namespace, name: name)
        switch subresource {
        case "status":
            return .ok(object)
        case "scale":
            return .ok(ScaleSubresource.scale(of: object, definition: context.definition))
        case "log" where context.definition.resource == "pods":
            return try await containerLogs(pod: object, query: context.request.query)
        case "exec" where context.definition.resource == "pods", "attach" where context.definition.resource == "pods":
            try await refuseUnupgradedStream(context, name: name, kind: subresource == "exec" ? .exec : .attach)
        default:
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }

    func list(_ context: ResourceRequest) async throws(APIError) -> APIResponse {
        let selection = try Selection(context)
        let page = try await listPage(context, selection: selection)
        if context.request.wantsTable {
            return .ok(table(context, objects: page.items, revision: String(page.revision), continueToken: page.continueToken))
        }
        var metadata: [String: JSONValue] = ["resourceVersion": .string(String(page.revision))]
        if let token = page.continueToken { metadata["continue"] = .string(token) }
        if let remaining = page.remaining { metadata["remainingItemCount"] = .integer(Int64(remaining)) }
        return .ok([
            "kind": .string(context.definition.listKind),
            "apiVersion": .string(context.definition.apiVersion),
            "metadata": .object(metadata),
            "items": .array(page.items),
        ])
    }

    struct ListPage {
        var items: [JSONValue]
        var revision: Int64
        var continueToken: String?
        var remaining: Int?
    }

    /// Reads up to `limit` matching objects at one revision, continuing from a `continue` token.
    func listPage(_ context: ResourceRequest, selection: Selection) async throws(APIError) -> ListPage {
        let definition = context.definition
        let prefix = ObjectStore.keyPrefix(definition, namespace: context.namespace)
        let query = context.request.query
        let limit = query["limit"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
        var startAfter: String?
        var revision: Int64?
        if let token = query["continue"], !token.isEmpty {
            let position = try ContinueToken.decode(token)
            startAfter = prefix + position.start
            revision = position.revision
        } else {
            revision = try await readRevision(query: query, definition: definition)
        }
        var items: [JSONValue] = []
        var hasMore = false
        var lastKey: String?
        repeat {
            let batch = limit.map { max($0 - items.count, 1) }.map { selection.isEmpty ? $0 : max($0, 100) }
            let page: StoreList
            do {
                page = try await objects.backend.list(prefix: prefix, startAfter: startAfter, limit: batch, atRevision: revision)
            } catch {
                if case .compacted = error, query["continue"] != nil { throw ContinueToken.expired }
                throw ObjectStore.apiError(error, resource: definition, name: "")
            }
            revision = page.revision
            hasMore = page.hasMore
            for item in page.items {
                lastKey = item.key
                let object = try ObjectStore.decode(item, as: definition)
                if selection.matches(object) {
                    items.append(object)
                    if let limit, items.count == limit {
                        hasMore = hasMore || item.key != page.items.last?.key
                        break
                    }
                }
            }
            startAfter = page.items.last?.key
            if let limit, items.count >= limit { break }
        } while hasMore
        let finalRevision = revision ?? 0
        var token: String?
        if hasMore, limit != nil, let lastKey {
            token = ContinueToken.encode(revision: finalRevision, start: String(lastKey.dropFirst(prefix.count)))
        }
        var remaining: Int?
        if token != nil && selection.isEmpty && query["continue"] == nil {
            let total = try await objects.mapped({ () throws(StoreError) in try await objects.backend.count(prefix: prefix) }, resource: definition, name: "")
            remaining = max(total - items.count, 0)
        }
        return ListPage(items: items, revision: finalRevision, continueToken: token, remaining: remaining)
    }

    /// The revision a list reads at: the newest for `""`/`"0"`/NotOlderThan, the given one for `Exact`.
    private func readRevision(query: [String: String], definition: ResourceDefinition) async throws(APIError) -> Int64? {
        guard let text = query["resourceVersion"], !text.isEmpty, text != "0" else { return nil }
        guard let requested = Int64(text), requested > 0 else {
            throw APIError.badRequest("resourceVersion: Invalid value: \"\(text)\": must be a non-negative integer")
        }
        if query["resourceVersionMatch"] == "Exact" { return requested }
        return nil
    }

    func table(_ context: ResourceRequest, objects: [JSONValue], revision: String, continueToken: String?) -> JSONValue {
        let policy = context.request.query["includeObject"].flatMap(IncludeObjectPolicy.init(rawValue:)) ?? .metadata
        return TableConverter.table(
            group: context.definition.group, resource: context.definition.resource, objects: objects,
            listResourceVersion: revision, continueToken: continueToken, includeObject: policy, now: Date())
    }
}

/// The label and field selectors of a list or watch.
struct Selection: Sendable {
    var labels: LabelSelector
    var fields: FieldSelector

    init(_ context: ResourceRequest) throws(APIError) {
        labels = try LabelSelector(parsing: context.request.query["labelSelector"] ?? "")
        fields = try FieldSelector(parsing: context.request.query["fieldSelector"] ?? "")
        try fields.validate(group: context.definition.group, resource: context.definition.resource)
    }

    var isEmpty: Bool { labels.isEmpty && fields.requirements.isEmpty }

    func matches(_ object: JSONValue) -> Bool {
        if !labels.isEmpty {
            let labelMap = object.metadata.labels
            if !labels.matches(labelMap) { return false }
        }
        return fields.requirements.isEmpty || fields.matches(object)
    }
}

/// Kubernetes' opaque list continuation: base64 of `{"v":"meta.k8s.io/v1","rv":N,"start":"key"}`.
enum ContinueToken {
    static func encode(revision: Int64, start: String) -> String {
        let body: JSONValue = ["v": "meta.k8s.io/v1", "rv": .integer(revision), "start": .string(start + "\u{0}")]
        return Data(body.serialized()).base64EncodedString()
    }

    static func decode(_ token: String) throws(APIError) -> (revision: Int64, start: String) {
        guard let data = Data(base64Encoded: token), let json = try? JSONValue.parse(Array(data)),
            json["v"]?.stringValue == "meta.k8s.io/v1", let revision = json["rv"]?.integerValue, revision > 0,
            let start = json["start"]?.stringValue
        else {
            throw APIError.badRequest("continue key is not valid: the token is not one this server issued")
        }
        // The token names the first key to read; the store resumes strictly after a key, so step back past the NUL.
        return (revision, start.hasSuffix("\u{0}") ? String(start.dropLast()) : start)
    }

    static let expired = APIError.expired(
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
    )
}
