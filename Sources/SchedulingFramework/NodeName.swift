/// The NodeName filter: a pod that names a node in `spec.nodeName` fits only that node.
enum NodeName {
    static let name = "NodeName"
    static let rejection = FilterStatus(
        code: .unschedulableAndUnresolvable, reasons: ["node(s) didn't match the requested node name"], plugin: name)

    static func filter(_ pod: PodInfo, _ node: NodeInfo) -> FilterStatus? {
        guard let wanted = pod.nodeName, wanted != node.name else { return nil }
        return rejection
    }
}
