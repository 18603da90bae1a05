/// The NodeUnschedulable filter: cordoned nodes take only pods that tolerate the
/// `node.kubernetes.io/unschedulable:NoSchedule` taint.
enum NodeUnschedulable {
    static let name = "NodeUnschedulable"
    static let rejection = FilterStatus(
        code: .unschedulableAndUnresolvable, reasons: ["node(s) were unschedulable"], plugin: name)

    static func filter(_ pod: PodInfo, _ node: NodeInfo) -> FilterStatus? {
        guard node.unschedulable, !pod.tolerations.tolerate(Taint.unschedulable) else { return nil }
        return rejection
    }
}
