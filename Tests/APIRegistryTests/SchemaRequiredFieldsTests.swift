import APIMachinery
import Testing

@testable import APIRegistry

/// Required scalars are written as Kubernetes' Go types write them: present, with their zero value.
@Suite struct SchemaRequiredFieldsTests {
    @Test func aDaemonSetStatusCarriesItsRequiredCountsAsZero() {
        var daemonSet: JSONValue = [
            "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": ["name": "agent"],
            "spec": [
                "selector": ["matchLabels": ["app": "agent"]],
                "template": ["spec": ["containers": [["name": "agent", "image": "busybox", "ports": [["name": "metrics"]]]]]],
            ],
            "status": ["numberReady": 2],
        ]
        APISchema.builtIn.fillRequiredScalars(&daemonSet)
        #expect(daemonSet["status"] == ["numberReady": 2, "currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0])
        // Into lists of nested objects too; a required object or list (selector, containers) is never invented.
        #expect(daemonSet[path: "spec", "template", "spec", "containers"]?.arrayValue?.first?["ports"] == [["name": "metrics", "containerPort": 0]])
        #expect(daemonSet[path: "metadata"] == ["name": "agent"])
    }

    @Test func anObjectWithNothingMissingIsUnchanged() {
        let event: JSONValue = ["apiVersion": "v1", "kind": "Event", "metadata": ["name": "e"], "involvedObject": ["kind": "Pod"]]
        var filled = event
        APISchema.builtIn.fillRequiredScalars(&filled)
        #expect(filled == event)
    }
}
