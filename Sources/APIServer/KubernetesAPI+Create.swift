import APIMachinery
import APIRegistry
import Foundation
import KubeObjects
import Storage

extension KubernetesAPI {
    func create(_ context: ResourceRequest) async throws(APIError) -> APIResponse {
        try context.validateDryRun()
        let namespace = try context.requireNamespace()
        var object = try BodyDecoder.decode(context.request)
        let warnings = try checkDecoding(&object, context: context)
        if !context.definition.isStored {
            return try await reviewRequest(object, context: context)
        }
        return try await createObject(object, context: context, namespace: namespace, warnings: warnings, alreadyApplied: false)
    }

    /// The create pipeline after decoding: name, namespace admission, defaulting, server fields, managedFields,
    /// admission, validation, store. `alreadyApplied` says server-side apply has already recorded the managedFields.
    func createObject(
        _ decoded: JSONValue, context: ResourceRequest, namespace: String?, warnings: Warnings, alreadyApplied: Bool
    ) async throws(APIError) -> APIResponse {
        var object = decoded
        // Kubernetes admits an object before generating its name, so admission errors name the prefix.
        let admissionName = decoded.metadata.name.isEmpty ? decoded[path: "metadata", "generateName"]?.stringValue ?? "" : decoded.metadata.name
        try bindMetadata(&object, context: context, namespace: namespace)
        if let namespace { try await requireActiveNamespace(namespace, creating: context.definition) }

        let definition = context.definition
        Defaulting.apply(to: &object, group: definition.group, kind: definition.kind)
        ObjectLifecycle.prepareForCreate(&object, definition: definition, now: Date())
        if definition.group == "batch" && definition.kind == "Job", let uid = object[path: "metadata", "uid"]?.stringValue {
            Defaulting.generateJobSelector(for: &object, uid: uid)
        }
        if definition.group.isEmpty && definition.resource == "services" {
            try await services.assignAddresses(to: &object) { () throws(APIError) in try await allServices() }
        }
        // Fields that admission sets belong to no manager, as in Kubernetes where the field manager runs first.
        if !alreadyApplied {
            object = recordManagedFields(old: nil, new: object, context: context, subresource: nil)
        }
        try await admit(&object, old: nil, definition: definition, admissionName: admissionName)
        try await restrictNode(context, .create, name: admissionName, subresource: nil, object: object, old: nil)
        try confirmNoEscalation(object, old: nil, context: context)
        let causes = Validation.validateCreate(object, group: definition.group, kind: definition.kind, namespaced: definition.namespaced)
        if !causes.isEmpty {
            throw APIError.invalid(kind: definition.kind, group: definition.group, name: object.metadata.name, causes: causes)
        }
        APISchema.builtIn.fillRequiredScalars(&object)
        try await chargeQuotas(object, old: nil, definition: definition, admissionName: admissionName, dryRun: context.isDryRun)
        if context.isDryRun {
            return .json(code: 201, body: object, headers: warnings.header)
        }
        let created = try await objects.create(definition, object: object)
        return .json(code: 201, body: created, headers: warnings.header)
    }

    /// Checks that the body is the kind the URL names and that its fields decode, as Kubernetes' decoder would.
    /// Returns the unknown-field warnings for `fieldValidation=Warn`.
    func checkDecoding(_ object: inout JSONValue, context: ResourceRequest) throws(APIError) -> Warnings {
        let definition = context.definition
        let kind = definition.kind
        guard object.objectValue != nil else {
            throw APIError.badRequest("the body of the request must be a JSON object, not \(object.typeName)")
        }
        // Like Kubernetes' decoder, an object without apiVersion or kind takes them from the URL it was sent to.
        let sentKind = object["kind"]?.stringValue ?? ""
        if sentKind.isEmpty { object["kind"] = .string(kind) }
        let sentVersion = object["apiVersion"]?.stringValue ?? ""
        let expectedVersion = definition.apiVersion
        if sentVersion.isEmpty { object["apiVersion"] = .string(expectedVersion) }
        if !sentKind.isEmpty && sentKind != kind {
            throw APIError.badRequest("the kind in the data (\(sentKind)) does not match the expected kind (\(kind)) for \(context.groupResource)")
        }
        if !sentVersion.isEmpty && sentVersion != expectedVersion {
            throw APIError.badRequest("the API version in the data (\(sentVersion)) does not match the expected API version (\(expectedVersion))")
        }
        let version = GroupVersion(apiVersion: object["apiVersion"]?.stringValue ?? expectedVersion)
        // The server's own components hand over objects they built from typed values (as Go components send typed
        // structs); only bodies that arrived as bytes need their field types checked.
        if context.request.decodedBody != nil { return Warnings() }
        let typeErrors = schema.typeErrors(in: object, group: version.group, version: version.version, kind: kind)
        if let first = typeErrors.first {
            throw APIError.badRequest("\(kind) in version \"\(version.version)\" cannot be handled as a \(kind): \(first)")
        }
        let unknown = schema.unknownFields(in: object, group: version.group, version: version.version, kind: kind)
        guard !unknown.isEmpty else { return Warnings() }
        switch context.fieldValidation {
        case "Strict":
            let list = unknown.joined(separator: ", ")
            throw APIError.badRequest("\(kind) in version \"\(version.version)\" cannot be handled as a \(kind): strict decoding error: \(list)")
        case "Ignore":
            return Warnings()
        default:
            return Warnings(messages: unknown)
        }
    }

    /// Sets namespace and name from the request, generating a name from `generateName`.
    private func bindMetadata(_ object: inout JSONValue, context: ResourceRequest, namespace: String?) throws(APIError) {
        if let sent = object.metadata.namespace, !sent.isEmpty, let namespace, sent != namespace {
            throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        if let namespace {
            object[path: "metadata", "namespace"] = .string(namespace)
        } else {
            object[path: "metadata", "namespace"] = nil
        }
        if object.metadata.name.isEmpty, let prefix = object[path: "metadata", "generateName"]?.stringValue, !prefix.isEmpty {
            object[path: "metadata", "name"] = .string(ObjectLifecycle.generateName(prefix: prefix))
        }
        if object.metadata.name.isEmpty {
            throw APIError.invalid(
                kind: context.definition.kind, group: context.definition.group, name: "",
                causes: [.required("metadata.name", "name or generateName is required")])
        }
    }

    /// Kubernetes' NamespaceLifecycle admission: no writes into a missing or terminating namespace.
    func requireActiveNamespace(_ namespace: String, creating definition: ResourceDefinition) async throws(APIError) {
        guard let namespaces = catalog.resource(group: "", version: "v1", resource: "namespaces") else { return }
        guard let found = try await objects.find(namespaces, namespace: nil, name: namespace) else {
            throw APIError.notFound(namespaces.groupResource, name: namespace)
        }
        if found.object.metadata.isDeleting {
            throw APIError.forbidden(
                definition.groupResource, name: "",
                message: "unable to create new content in namespace \(namespace) because it is being terminated")
        }
    }

    func allServices() async throws(APIError) -> [JSONValue] {
        guard let services = catalog.resource(group: "", version: "v1", resource: "services") else { return [] }
        return try await listAll(services, namespace: nil)
    }

    /// Every object of a resource, read in pages at one revision.
    func listAll(_ definition: ResourceDefinition, namespace: String?) async throws(APIError) -> [JSONValue] {
        let prefix = ObjectStore.keyPrefix(definition, namespace: namespace)
        var result: [JSONValue] = []
        var startAfter: String?
        var revision: Int64?
        repeat {
            let page = try await objects.mapped(
                { () throws(StoreError) in try await objects.backend.list(prefix: prefix, startAfter: startAfter, limit: 1000, atRevision: revision) },
                resource: definition, name: "")
            for item in page.items { result.append(try ObjectStore.decode(item, as: definition)) }
            revision = page.revision
            startAfter = page.hasMore ? page.items.last?.key : nil
        } while startAfter != nil
        return result
    }
}

/// `Warning` headers for the client (kubectl prints them as `Warning: ...`).
struct Warnings: Sendable {
    var messages: [String] = []

    var header: [String: String] {
        guard !messages.isEmpty else { return [:] }
        return ["warning": messages.map { "299 - \"\($0.replacingOccurrences(of: "\"", with: "\\\""))\"" }.joined(separator: ", ")]
    }
}

