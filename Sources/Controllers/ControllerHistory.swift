import APIMachinery
import ControllerRuntime
import KubeClient
import KubeObjects

/// The ControllerRevisions of a DaemonSet or StatefulSet, as Kubernetes' pkg/controller/history and the two
/// controllers keep them: one revision per distinct pod template, named `<owner>-<hash>`, holding the patch that puts
/// the template back (what `kubectl rollout undo` applies), numbered in the order the templates were last used, and
/// trimmed to `spec.revisionHistoryLimit`.
struct ControllerHistory: Sendable {
    /// The label naming a revision's template hash, on the revision and (for DaemonSets) on its pods.
    static let hashLabel = "controller-revision-hash"
    static let defaultLimit = 10
    /// Kubernetes shortens the owner's name to this many characters so `<owner>-<hash>` stays a valid name.
    static let maxNamePrefix = 223

    /// How the owner's current template is recorded.
    enum Step: Equatable {
        /// The newest revision already holds the template.
        case keep(JSONValue)
        /// An older revision holds it (a rollback): it becomes the newest again under the next number.
        case renumber(JSONValue, to: Int64)
        /// No revision holds it yet.
        case create(JSONValue)
    }

    private let client: KubeClient
    private let revisions: Informer
    private let ownerResource: ResourceType

    init(client: KubeClient, revisions: Informer, owner: ResourceType) {
        self.client = client
        self.revisions = revisions
        self.ownerResource = owner
    }

    /// The revision's `data`: a strategic merge patch replacing the owner's whole pod template, as `getPatch`.
    static func data(template: JSONValue) -> JSONValue {
        var replacing = template
        replacing["$patch"] = "replace"
        return ["spec": ["template": replacing]]
    }

    static func name(owner: String, hash: String) -> String {
        "\(owner.prefix(maxNamePrefix))-\(hash)"
    }

    static func number(_ revision: JSONValue) -> Int64 {
        revision["revision"]?.integerValue ?? 0
    }

    /// Oldest first: by number, then by name so the order is stable.
    static func sorted(_ revisions: [JSONValue]) -> [JSONValue] {
        revisions.sorted { a, b in
            guard number(a) == number(b) else { return number(a) < number(b) }
            return (a.metadata.name) < (b.metadata.name)
        }
    }

    /// A new revision of `owner`'s template: the template's labels plus the hash label, the owner's annotations (so
    /// `kubernetes.io/change-cause` shows in `rollout history`), and the owner as its controller.
    static func revision(of owner: JSONValue, resource: ResourceType, hash: String, number: Int64) -> JSONValue {
        let template = owner[path: "spec", "template"] ?? .emptyObject
        var labels = template[path: "metadata", "labels"]?.objectValue ?? [:]
        labels[hashLabel] = .string(hash)
        var metadata: JSONValue = [
            "name": .string(name(owner: owner.metadata.name, hash: hash)),
            "namespace": owner[path: "metadata", "namespace"] ?? "default", "labels": .object(labels),
            "ownerReferences": [ControllerRef.reference(to: owner, resource: resource)],
        ]
        metadata["annotations"] = owner[path: "metadata", "annotations"]
        return [
            "apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": metadata, "data": data(template: template),
            "revision": .integer(number),
        ]
    }

    /// What records `owner`'s template among its `existing` revisions (`getStatefulSetRevisions`,
    /// `constructHistory`): the newest equal revision is kept, or renumbered past the others when it is not the newest.
    static func step(owner: JSONValue, resource: ResourceType, hash: String, existing: [JSONValue]) -> Step {
        let ordered = sorted(existing)
        let next = (ordered.last.map(number) ?? 0) + 1
        let wanted = data(template: owner[path: "spec", "template"] ?? .emptyObject)
        guard let equal = ordered.last(where: { $0["data"] == wanted }) else {
            return .create(revision(of: owner, resource: resource, hash: hash, number: next))
        }
        let newerExists = ordered.contains { number($0) > number(equal) }
        return newerExists ? .renumber(equal, to: next) : .keep(equal)
    }

    /// The revisions to delete so at most `limit` remain besides the live ones (those named in `live`: the current and
    /// update revisions and those pods still run), oldest first, as `truncateHistory`.
    static func expired(_ revisions: [JSONValue], live: Set<String>, limit: Int) -> [JSONValue] {
        let history = sorted(revisions).filter { !live.contains($0.metadata.name) }
        return Array(history.prefix(max(0, history.count - limit)))
    }

    static func limit(of owner: JSONValue) -> Int {
        Int(owner[path: "spec", "revisionHistoryLimit"]?.integerValue ?? Int64(defaultLimit))
    }

    /// The revisions `owner` controls, from the cache.
    func owned(by owner: JSONValue) -> [JSONValue] {
        guard let uid = owner[path: "metadata", "uid"]?.stringValue else { return [] }
        return revisions.list { $0.metadata.controllerRef?.uid == uid }
    }

    /// Records `owner`'s current template, whose pods carry `hash`, and returns its revision.
    func record(_ owner: JSONValue, hash: String) async throws(APIError) -> JSONValue {
        switch Self.step(owner: owner, resource: ownerResource, hash: hash, existing: owned(by: owner)) {
        case .keep(let revision):
            return revision
        case .renumber(let revision, let number):
            var renumbered = revision
            renumbered["revision"] = .integer(number)
            return try await client.update(.controllerRevisions, renumbered)
        case .create(let revision):
            let namespace = revision.metadata.namespace
            do throws(APIError) {
                return try await client.create(.controllerRevisions, namespace: namespace, revision)
            } catch where error.isAlreadyExists {
                // Created by an earlier pass the cache has not caught up with; one of someone else's is an error.
                let name = revision.metadata.name
                let existing = try await client.get(.controllerRevisions, namespace: namespace, name: name)
                guard existing.metadata.controllerRef?.uid == owner.metadata.uid else { throw error }
                return existing
            }
        }
    }

    /// Deletes `owner`'s revisions beyond its `revisionHistoryLimit` that nothing in `live` still uses.
    func truncate(_ owner: JSONValue, live: Set<String>) async throws(APIError) {
        for revision in Self.expired(owned(by: owner), live: live, limit: Self.limit(of: owner)) {
            let options: JSONValue = ["preconditions": ["uid": revision[path: "metadata", "uid"] ?? .null]]
            do throws(APIError) {
                try await client.delete(
                    .controllerRevisions, namespace: revision.metadata.namespace,
                    name: revision.metadata.name, options: options)
            } catch where error.isNotFound || error.isConflict {
                continue
            }
        }
    }
}
