import APIMachinery
import Foundation

/// An HTTP request as the API layer sees it, independent of the HTTP library.
public struct APIRequest: Sendable {
    public var method: String
    /// The path without the query, percent-decoded.
    public var path: String
    /// The query's parameters, the first value of each (what most parameters mean).
    public var query: [String: String]
    /// Every value of the parameters that repeat, such as exec's `command`.
    public var queryValues: [String: [String]] = [:]
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]
    /// Who sent the request, from the TLS client certificate or a token.
    public var user: String
    /// The user's groups (a client certificate's O); the in-process components act as administrators.
    public var groups: [String] = ["system:masters"]
    /// The user's uid and extra attributes, as the authenticator reported them.
    public var userUID = ""
    public var userExtra: [String: [String]] = [:]
    /// An already-decoded object body from an in-process caller, which skips encoding and parsing JSON.
    public var decodedBody: JSONValue?

    public init(method: String, path: String, query: [String: String], headers: [String: String], body: [UInt8], user: String = "system:admin") {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.user = user
    }

    public var contentType: String {
        let raw = headers["content-type"] ?? ""
        return raw.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    public var accept: String { headers["accept"] ?? "" }

    /// True when the client asked for a server-side `Table` (what `kubectl get` prints).
    public var wantsTable: Bool {
        accept.split(separator: ",").first.map { $0.contains("as=Table") } ?? false
    }

    /// Parses a boolean query parameter the way Kubernetes does (`true`, `1`).
    public func flag(_ name: String) -> Bool {
        guard let value = query[name] else { return false }
        return value == "true" || value == "1"
    }
}
