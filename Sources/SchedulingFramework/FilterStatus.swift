/// Why a node cannot take a pod: the code and reasons of the first filter plugin that rejected it.
public struct FilterStatus: Sendable, Hashable {
    /// Kubernetes' status codes for a rejection.
    public enum Code: Sendable, Hashable {
        /// Removing pods could make the node fit; preemption may try it.
        case unschedulable
        /// No preemption can help on this node.
        case unschedulableAndUnresolvable
    }

    public var code: Code
    /// The reasons as Kubernetes words them, one entry per reason (NodeResourcesFit may give several).
    public var reasons: [String]
    /// The plugin that rejected the node, e.g. `NodeResourcesFit`.
    public var plugin: String

    public init(code: Code, reasons: [String], plugin: String) {
        self.code = code
        self.reasons = reasons
        self.plugin = plugin
    }
}
