/// Why a server-side apply was refused, with Kubernetes' wording.
public struct ServerSideApplyError: Error, Sendable {
    /// How the API server answers: `conflict` is 409 `Conflict` with one `FieldManagerConflict` cause per conflict,
    /// `badRequest` is 400, `internalError` is 500 (Kubernetes returns these for objects its typed merge rejects,
    /// such as a keyed list item without its key).
    public enum Reason: Sendable, Hashable {
        case conflict
        case badRequest
        case internalError
    }

    /// A field the applier would change that another manager owns.
    public struct Conflict: Sendable, Hashable {
        public var manager: String
        /// The field path, e.g. `.spec.template.spec.containers[name="nginx"].image`.
        public var field: String
        /// The cause message Kubernetes puts in the Status, e.g. `conflict with "kubectl-client-side-apply" using apps/v1`.
        public var causeMessage: String

        public init(manager: String, field: String, causeMessage: String) {
            self.manager = manager
            self.field = field
            self.causeMessage = causeMessage
        }
    }

    public var reason: Reason
    public var conflicts: [Conflict]
    public var message: String

    public init(reason: Reason, conflicts: [Conflict] = [], message: String) {
        self.reason = reason
        self.conflicts = conflicts
        self.message = message
    }
}
