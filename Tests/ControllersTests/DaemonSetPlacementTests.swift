import APIMachinery
import Testing

@testable import Controllers

@Suite("daemonset placement")
struct DaemonSetPlacementTests {
    let template: JSONValue = ["spec": ["nodeSelector": ["role": "edge"], "containers": [["name": "c", "image": "busybox"]]]]

    func node(labels: [String: JSONValue], taints: [JSONValue] = []) -> JSONValue {
        ["metadata": ["name": "n1", "labels": .object(labels)], "spec": ["taints": .array(taints)]]
    }

    @Test func theSelectorDecides() {
        #expect(DaemonSetController.placement(template: template, on: node(labels: ["role": "edge"])) == (true, true))
        #expect(DaemonSetController.placement(template: template, on: node(labels: [:])) == (false, false))
    }

    @Test func defaultTolerationsCoverCordonedAndUnreachableNodes() {
        let cordoned = node(labels: ["role": "edge"], taints: [["key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"]])
        #expect(DaemonSetController.placement(template: template, on: cordoned) == (true, true))
        let unreachable = node(labels: ["role": "edge"], taints: [["key": "node.kubernetes.io/unreachable", "effect": "NoExecute"]])
        #expect(DaemonSetController.placement(template: template, on: unreachable) == (true, true))
    }

    @Test func aNoScheduleTaintKeepsNewDaemonsAwayButLetsRunningOnesStay() {
        let tainted = node(labels: ["role": "edge"], taints: [["key": "dedicated", "value": "db", "effect": "NoSchedule"]])
        #expect(DaemonSetController.placement(template: template, on: tainted) == (false, true))
        let evicting = node(labels: ["role": "edge"], taints: [["key": "dedicated", "value": "db", "effect": "NoExecute"]])
        #expect(DaemonSetController.placement(template: template, on: evicting) == (false, false))
    }

    @Test func podsArePinnedToTheirNodeWithRequiredAffinity() {
        let spec = DaemonSetController.podSpec(template, node: "n7")
        let pod: JSONValue = ["spec": spec]
        #expect(DaemonSetController.targetNode(pod) == "n7")
        #expect((spec["tolerations"]?.arrayValue?.count ?? 0) == 6)
    }
}
