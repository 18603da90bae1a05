import GRPCCore

/// A CRI call that the runtime refused or that never reached it.
///
/// Every `CRIClient` method converts the gRPC error into this type once, so callers see the
/// CRI method and the gRPC status code without handling transport types.
public struct CRIError: Error, Sendable, CustomStringConvertible {
    /// The CRI method, for example `RuntimeService/StartContainer`.
    public var method: String
    /// The gRPC status code the runtime answered with (`.unavailable` when it could not be reached).
    public var code: RPCError.Code
    public var message: String

    public init(method: String, code: RPCError.Code, message: String) {
        self.method = method
        self.code = code
        self.message = message
    }

    init(method: String, _ error: RPCError) {
        self.init(method: method, code: error.code, message: error.message)
    }

    /// The object (sandbox, container, image) does not exist: removals treat this as done.
    public var isNotFound: Bool { code == .notFound }

    public var description: String { "\(method): \(code): \(message)" }
}
