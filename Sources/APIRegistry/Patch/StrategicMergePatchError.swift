import APIMachinery

/// A strategic merge patch that cannot be applied or computed, with Kubernetes' message and the status class the
/// API server answers with (`interpretStrategicMergePatchError` in k8s.io/apiserver).
public struct StrategicMergePatchError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Status: Sendable, Hashable {
        /// 400 BadRequest: a malformed document or directive list (`$retainKeys`, `$setElementOrder/…`,
        /// `$deleteFromPrimitiveList/…`).
        case badRequest
        /// 422 Unprocessable Entity: lists of lists.
        case unprocessableEntity
        /// Every other merge failure (a missing merge key, an unknown `$patch` value, mismatched element types).
        /// Kubernetes does not wrap these, so they reach the client as a 500 Status carrying the bare message.
        case internalError
    }

    public var status: Status
    public var message: String

    public init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }

    /// The HTTP status code of `status`.
    public var code: Int {
        switch status {
        case .badRequest: return 400
        case .unprocessableEntity: return 422
        case .internalError: return 500
        }
    }
}

// The messages of k8s.io/apimachinery/pkg/util/mergepatch, which clients match on.
extension StrategicMergePatchError {
    static let badJSONDocument = Self(.badRequest, "invalid JSON document")
    static let noListOfLists = Self(.unprocessableEntity, "lists of lists are not supported")
    static let badPrimitiveListFormat = Self(.badRequest, "invalid patch format of primitive list")
    static let badRetainKeysFormat = Self(.badRequest, "invalid patch format of retainKeys")
    static let badSetElementOrderFormat = Self(.badRequest, "invalid patch format of setElementOrder list")

    static func internalError(_ message: String) -> Self {
        Self(.internalError, message)
    }

    static func noMergeKey(_ item: [String: JSONValue], _ mergeKey: String) -> Self {
        internalError("map: \(JSONValue.object(item).goFormatted()) does not contain declared merge key: \(mergeKey)")
    }

    static func badArgType(expected: String, _ actual: JSONValue?) -> Self {
        internalError("expected a \(expected), but received a \(actual?.goTypeName ?? "%!s(<nil>)")")
    }

    static func badPatchType(_ directive: JSONValue, _ item: [String: JSONValue]) -> Self {
        internalError(
            "unknown patch type: \(directive.goFormatted(verb: .string)) in map: \(JSONValue.object(item).goFormatted())")
    }

    static let mapTypeName = "map[string]interface {}"
    static let sliceTypeName = "[]interface {}"
}
