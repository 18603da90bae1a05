import APIMachinery
import Foundation

/// An object's decoded `metadata.managedFields`: the fields each manager owns, keyed by manager identity.
struct ManagedFields: Sendable {
    /// Who owns a field set. Appliers are one identity whatever API version they applied with; updaters are one per
    /// API version, as in Kubernetes' `BuildManagerIdentifier`.
    struct Identity: Hashable, Sendable {
        var manager: String
        var operation: String
        var apiVersion: String
        var subresource: String

        init(manager: String, operation: String, apiVersion: String, subresource: String) {
            self.manager = manager
            self.operation = operation
            self.apiVersion = operation == ManagedFields.apply ? "" : apiVersion
            self.subresource = subresource
        }

        /// Kubernetes' manager identifier, the JSON of the entry without fields and time; conflicts are grouped and
        /// sorted by it.
        var identifier: String {
            var parts: [String] = []
            func add(_ name: String, _ value: String) {
                if !value.isEmpty { parts.append("\"\(name)\":\(JSONValue.string(value).serializedString())") }
            }
            add("manager", manager)
            add("operation", operation)
            add("apiVersion", apiVersion)
            add("subresource", subresource)
            return "{" + parts.joined(separator: ",") + "}"
        }

        /// How conflict messages name the manager: `"kubectl"`, `"kube-controller-manager" using apps/v1`.
        var printed: String {
            var text = JSONValue.string(manager).serializedString()
            if !subresource.isEmpty { text += " with subresource \(JSONValue.string(subresource).serializedString())" }
            if operation == ManagedFields.update { text += " using \(apiVersion)" }
            return text
        }
    }

    struct Entry: Sendable {
        var apiVersion: String
        var time: String?
        var fields: FieldSet
    }

    struct DecodingError: Error, Sendable {
        var message: String
    }

    static let apply = "Apply"
    static let update = "Update"

    var entries: [Identity: Entry] = [:]

    init() {}

    /// Decodes `metadata.managedFields` with Kubernetes' checks; absent or null is no managers.
    init(decoding value: JSONValue?) throws(DecodingError) {
        guard let value, !value.isNull else { return }
        guard case .array(let items) = value else { throw DecodingError(message: "managedFields must be a list") }
        for (index, item) in items.enumerated() {
            guard case .object(let fields) = item else { throw DecodingError(message: "managed fields entry \(index) is not an object") }
            let operation = fields["operation"]?.stringValue ?? ""
            guard operation == Self.apply || operation == Self.update else {
                throw DecodingError(message: "operation must be `Apply` or `Update`")
            }
            let apiVersion = fields["apiVersion"]?.stringValue ?? ""
            guard !apiVersion.isEmpty else { throw DecodingError(message: "apiVersion must not be empty") }
            switch fields["fieldsType"]?.stringValue ?? "" {
            case "FieldsV1": break
            case "": throw DecodingError(message: "missing fieldsType in managed fields entry \(index)")
            case let other: throw DecodingError(message: "invalid fieldsType \"\(other)\" in managed fields entry \(index)")
            }
            let set: FieldSet
            do {
                set = try fields["fieldsV1"].map { value throws(FieldSet.DecodingError) in try FieldSet(fieldsV1: value) } ?? FieldSet()
            } catch {
                throw DecodingError(message: "error decoding set: \(error.message)")
            }
            let identity = Identity(
                manager: fields["manager"]?.stringValue ?? "", operation: operation, apiVersion: apiVersion,
                subresource: fields["subresource"]?.stringValue ?? "")
            entries[identity] = Entry(apiVersion: apiVersion, time: fields["time"]?.stringValue, fields: set)
        }
    }

    /// Whether a request's `managedFields` asks to clear them: an empty list, or a list of one empty entry.
    static func isReset(_ value: JSONValue?) -> Bool {
        guard case .array(let items)? = value else { return false }
        return items.isEmpty || (items.count == 1 && items[0] == .emptyObject)
    }

    /// The wire form, sorted as Kubernetes sorts it (operation, time, manager, API version, subresource); nil when
    /// no manager is left, so the field disappears.
    var encoded: JSONValue? {
        guard !entries.isEmpty else { return nil }
        let sorted = entries.sorted { left, right in
            let (p, q) = (left.key, right.key)
            if p.operation != q.operation { return p.operation < q.operation }
            let (pSeconds, qSeconds) = (Self.seconds(left.value.time), Self.seconds(right.value.time))
            if pSeconds != qSeconds { return pSeconds < qSeconds }
            if p.manager != q.manager { return p.manager < q.manager }
            if left.value.apiVersion != right.value.apiVersion { return left.value.apiVersion < right.value.apiVersion }
            return p.subresource < q.subresource
        }
        return .array(
            sorted.map { identity, entry in
                var object: [String: JSONValue] = [
                    "operation": .string(identity.operation), "apiVersion": .string(entry.apiVersion),
                    "fieldsType": "FieldsV1", "fieldsV1": entry.fields.fieldsV1,
                ]
                if !identity.manager.isEmpty { object["manager"] = .string(identity.manager) }
                if let time = entry.time { object["time"] = .string(time) }
                if !identity.subresource.isEmpty { object["subresource"] = .string(identity.subresource) }
                return .object(object)
            })
    }

    private static func seconds(_ time: String?) -> Int64 {
        guard let time, let date = KubeTime.parse(time) else { return 0 }
        return Int64(date.timeIntervalSince1970.rounded(.down))
    }

    /// Takes `fields` away from one manager.
    mutating func remove(_ fields: FieldSet, from identity: Identity) {
        guard var entry = entries[identity] else { return }
        entry.fields = entry.fields.subtracting(fields)
        entries[identity] = entry
    }

    /// Every manager's fields together.
    var allFields: FieldSet {
        entries.values.reduce(FieldSet()) { $0.union($1.fields) }
    }

    /// Merges the oldest update entries into per-version `ancient-changes` entries so at most `limit` updaters remain
    /// (Kubernetes' `capManagersManager`, limit 10).
    mutating func capUpdaters(at limit: Int = 10) {
        let updaters = entries.keys.filter { $0.operation == Self.update }.sorted { left, right in
            let (leftSeconds, rightSeconds) = (Self.seconds(entries[left]?.time), Self.seconds(entries[right]?.time))
            if leftSeconds != rightSeconds { return leftSeconds < rightSeconds }
            return left.identifier < right.identifier
        }
        var remaining = updaters.count
        var firstByVersion: [String: Identity] = [:]
        for identity in updaters where remaining > limit {
            guard let entry = entries[identity] else { continue }
            let bucket = Identity(manager: "ancient-changes", operation: Self.update, apiVersion: entry.apiVersion, subresource: "")
            guard let first = firstByVersion[entry.apiVersion] else {
                firstByVersion[entry.apiVersion] = identity
                continue
            }
            if entries[bucket] == nil, let firstEntry = entries.removeValue(forKey: first) {
                entries[bucket] = firstEntry
            }
            let merged = entry.fields.union(entries[bucket]?.fields ?? FieldSet())
            entries[identity] = nil
            entries[bucket] = Entry(apiVersion: entry.apiVersion, time: entry.time, fields: merged)
            remaining -= 1
        }
    }
}
