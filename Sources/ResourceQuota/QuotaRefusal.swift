/// Why quota admission refuses a write. The API answers it as Forbidden:
/// `pods "web" is forbidden: <message>`.
public struct QuotaRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text after `is forbidden: `, e.g. `exceeded quota: compute, requested: limits.cpu=2, used: limits.cpu=3,
    /// limited: limits.cpu=4`.
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
