/// The NodePorts filter: the pod's host ports must be free on the node.
enum NodePorts {
    static let name = "NodePorts"
    static let rejection = FilterStatus(
        code: .unschedulable, reasons: ["node(s) didn't have free ports for the requested pod ports"], plugin: name)

    static func filter(_ ports: [HostPort], _ node: NodeInfo) -> FilterStatus? {
        guard !node.usedPorts.isEmpty else { return nil }
        for port in ports where node.usedPorts.conflicts(with: port) { return rejection }
        return nil
    }
}
