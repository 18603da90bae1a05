/// Who sent a request, as Kubernetes' authenticators report it (`user.Info`).
public struct AuthenticatedUser: Sendable, Hashable {
    public var name: String
    public var groups: [String]

    public init(name: String, groups: [String]) {
        self.name = name
        self.groups = groups
    }

    /// The identity of a request with the cluster's join token: `skiff agent` processes, which register and
    /// heartbeat nodes. Kubernetes would name each kubelet `system:node:<name>`; one agent process may play
    /// thousands of nodes, so it is one user in the nodes' group.
    public static let agent = AuthenticatedUser(name: "skiff:agent", groups: ["system:nodes"])
}
