import APIMachinery
import KubeObjects

/// The garbage collector's decisions, as pure functions over objects (Kubernetes' `attemptToDeleteItem`,
/// `classifyReferences` and `processDeletingDependentsItem`).
enum GarbageCollection {
    static let orphanFinalizer = "orphan"
    static let foregroundFinalizer = "foregroundDeletion"

    /// What is known of one owner a dependent references.
    enum OwnerState: Equatable {
        /// Exists with the referenced uid (or cannot be resolved, which Kubernetes never treats as absent).
        case solid
        /// Gone, or replaced by an object with another uid.
        case dangling
        /// Being deleted in the foreground: it waits for its dependents to go first.
        case waitingForDependentsDeletion
    }

    enum DependentAction: Equatable {
        case keep
        /// Drop the references to these owners; the object stays because another owner still holds it.
        case removeOwnerReferences(Set<String>)
        /// Delete the object with this propagation policy.
        case delete(propagationPolicy: String)
    }

    /// The state of an owner from what was found under its name (`nil`: not found).
    static func ownerState(uid: String, found: JSONValue?) -> OwnerState {
        guard let found, found.metadata.uid == uid else { return .dangling }
        return isDeletingDependents(found) ? .waitingForDependentsDeletion : .solid
    }

    /// As Kubernetes: a dependent with a solid owner only loses its references to the others; one whose owners are
    /// all gone or going is deleted — in the foreground when an owner waits on it and it has dependents of its own,
    /// so that the wait covers them too.
    static func dependentAction(owners: [String: OwnerState], finalizers: [String], hasDependents: Bool) -> DependentAction {
        guard !owners.isEmpty else { return .keep }
        let released = Set(owners.filter { $0.value != .solid }.keys)
        if owners.values.contains(.solid) {
            return released.isEmpty ? .keep : .removeOwnerReferences(released)
        }
        if owners.values.contains(.waitingForDependentsDeletion) && hasDependents {
            return .delete(propagationPolicy: "Foreground")
        }
        if finalizers.contains(orphanFinalizer) { return .delete(propagationPolicy: "Orphan") }
        if finalizers.contains(foregroundFinalizer) { return .delete(propagationPolicy: "Foreground") }
        return .delete(propagationPolicy: "Background")
    }

    static func isTerminating(_ object: JSONValue) -> Bool {
        object.metadata.isDeleting
    }

    static func finalizers(of object: JSONValue) -> [String] {
        (object[path: "metadata", "finalizers"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    static func isDeletingDependents(_ object: JSONValue) -> Bool {
        isTerminating(object) && finalizers(of: object).contains(foregroundFinalizer)
    }

    static func ownerUIDs(of object: JSONValue) -> [String] {
        OwnerGraph.ownerReferences(of: object).compactMap { $0["uid"]?.stringValue }
    }

    /// Whether this dependent still keeps a foreground deletion of the owner waiting.
    static func blocks(_ dependent: JSONValue, ownerUID: String) -> Bool {
        OwnerGraph.ownerReferences(of: dependent).contains { reference in
            reference["uid"]?.stringValue == ownerUID && reference["blockOwnerDeletion"]?.boolValue == true
        }
    }

    /// The object without its references to these owners (`ownerReferences` dropped when none remain).
    static func removingOwnerReferences(_ uids: Set<String>, from object: JSONValue) -> JSONValue {
        var updated = object
        let kept = OwnerGraph.ownerReferences(of: object).filter { !uids.contains($0["uid"]?.stringValue ?? "") }
        updated[path: "metadata", "ownerReferences"] = kept.isEmpty ? JSONValue?.none : .array(kept)
        return updated
    }

    static func removingFinalizer(_ finalizer: String, from object: JSONValue) -> JSONValue {
        var updated = object
        let kept = finalizers(of: object).filter { $0 != finalizer }
        updated[path: "metadata", "finalizers"] = kept.isEmpty ? JSONValue?.none : .array(kept.map(JSONValue.string))
        return updated
    }

    /// The group of an ownerReference's `apiVersion` (`apps/v1` → `apps`, `v1` → core).
    static func group(ofAPIVersion apiVersion: String) -> String {
        guard let slash = apiVersion.firstIndex(of: "/") else { return "" }
        return String(apiVersion[..<slash])
    }
}
