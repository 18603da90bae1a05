/// Who sent a request, as Kubernetes' authenticators report it (`user.Info`).
public struct AuthenticatedUser: Sendable, Hashable {
    public var name: String
    /// The user's uid where the authenticator knows one (a service account's).
    public var uid: String
    public var groups: [String]
    /// What else the authenticator tells (a service-account token's pod, node and token id).
    public var extra: [String: [String]]

    public init(name: String, uid: String = "", groups: [String], extra: [String: [String]] = [:]) {
        self.name = name
        self.uid = uid
        self.groups = groups
        self.extra = extra
    }

    /// The identity of a request with the cluster's join token: `skiff agent` processes, which ask for a node
    /// certificate of their own (`system:node:<name>`) with it, or, playing thousands of hollow nodes, act as this one
    /// user in the nodes' group.
    public static let agent = AuthenticatedUser(name: "skiff:agent", groups: ["system:nodes"])
}
