import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import Synchronization
import Testing

@testable import Controllers

@Suite("replica set helpers")
struct ReplicaSetHelpersTests {
    let now = Date(timeIntervalSince1970: 1_000_000)

    func pod(
        _ name: String, node: String? = "n1", phase: String = "Running", ready: Bool = true, readyAt: Date? = nil, restarts: Int64 = 0,
        created: Date? = nil, labels: [String: String] = ["app": "web"]
    ) -> JSONValue {
        let pod: JSONValue = [
            "metadata": [
                "name": .string(name), "namespace": "default", "labels": .object(labels.mapValues { .string($0) }),
                "creationTimestamp": .string(KubeTime.format(created ?? now.addingTimeInterval(-3600))),
            ],
            "spec": node.map { ["nodeName": .string($0)] } ?? .emptyObject,
            "status": [
                "phase": .string(phase),
                "conditions": [
                    [
                        "type": "Ready", "status": ready ? "True" : "False",
                        "lastTransitionTime": .string(KubeTime.format(readyAt ?? now.addingTimeInterval(-3600))),
                    ]
                ],
                "containerStatuses": [["name": "app", "restartCount": .integer(restarts)]],
            ],
        ]
        return pod
    }

    func names(_ pods: [JSONValue]) -> [String] { pods.compactMap { $0[path: "metadata", "name"]?.stringValue } }

    @Test func victimsGoCheapestFirst() {
        let pods = [
            pod("old-ready"),
            pod("unassigned", node: nil, phase: "Pending", ready: false),
            pod("pending", phase: "Pending", ready: false),
            pod("unknown", phase: "Unknown", ready: false),
            pod("not-ready", ready: false),
            pod("recently-ready", readyAt: now.addingTimeInterval(-10)),
            pod("restarting", restarts: 4),
            pod("new", created: now.addingTimeInterval(-60)),
        ]
        #expect(
            names(ActivePods.victims(pods.shuffled(), count: 8)) == [
                "unassigned", "pending", "unknown", "not-ready", "recently-ready", "restarting", "new", "old-ready",
            ])
        #expect(names(ActivePods.victims(pods, count: 2)) == ["unassigned", "pending"])
        #expect(ActivePods.victims(pods, count: 0).isEmpty)
    }

    @Test func slowStartDoublesAndTakesWhatRemains() {
        #expect(SlowStart.batches(0) == [])
        #expect(SlowStart.batches(1) == [1])
        #expect(SlowStart.batches(5) == [1, 2, 2])
        #expect(SlowStart.batches(10) == [1, 2, 4, 3])
        #expect(SlowStart.batches(500).reduce(0, +) == 500)
    }

    @Test func statusCountsReadyAvailableAndFullyLabeledPods() {
        let pods = [
            pod("a", readyAt: now.addingTimeInterval(-100)),
            pod("b", readyAt: now.addingTimeInterval(-5)),
            pod("c", ready: false),
            pod("d", readyAt: now.addingTimeInterval(-100), labels: ["app": "web", "tier": "front"]),
        ]
        let status = ReplicaSetStatus(pods: pods, templateLabels: ["app": "web", "tier": "front"], minReadySeconds: 30, now: now)
        #expect(status.replicas == 4)
        #expect(status.fullyLabeledReplicas == 1)
        #expect(status.readyReplicas == 3)
        #expect(status.availableReplicas == 2, "b has been ready for 5 of the 30 seconds")
        #expect(status.nextAvailable == now.addingTimeInterval(25))

        let written = status.applied(to: ["conditions": []], generation: 7)
        #expect(written == ["conditions": [], "replicas": 4, "fullyLabeledReplicas": 1, "readyReplicas": 3, "availableReplicas": 2, "observedGeneration": 7])
        let empty = ReplicaSetStatus(pods: [], templateLabels: [:], minReadySeconds: 0, now: now)
        #expect(empty.applied(to: nil, generation: 1) == ["replicas": 0, "observedGeneration": 1])
    }

    @Test func aFailedCreateSetsReplicaFailureUntilPodsCanBeCreatedAgain() {
        let counts = ReplicaSetStatus(pods: [], templateLabels: [:], minReadySeconds: 0, now: now)
        let failure = ReplicaSetStatus.Failure(reason: "FailedCreate", message: "pods \"web-x\" is forbidden: exceeded quota")
        let failing = counts.applied(to: nil, generation: 1, failure: failure, now: now)
        #expect(
            failing["conditions"] == [
                [
                    "type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": .string(failure.message),
                    "lastTransitionTime": .string(KubeTime.format(now)),
                ]
            ])
        let again = counts.applied(to: failing, generation: 1, failure: failure, now: now.addingTimeInterval(60))
        #expect(again == failing, "a continuing failure keeps its first transition time")
        #expect(counts.applied(to: failing, generation: 1, now: now)["conditions"] == nil)
    }

    @Test func terminalAndDeletingPodsAreNotActive() {
        var deleting = pod("x")
        deleting[path: "metadata", "deletionTimestamp"] = .string(KubeTime.format(now))
        #expect(PodReadiness.isActive(pod("x")))
        #expect(!PodReadiness.isActive(pod("x", phase: "Failed", ready: false)))
        #expect(!PodReadiness.isActive(pod("x", phase: "Succeeded", ready: false)))
        #expect(!PodReadiness.isActive(deleting))
    }

    @Test func claimsAdoptOrphansReleaseStrayPodsAndLeaveOthersAlone() {
        var owned = pod("mine")
        owned[path: "metadata", "ownerReferences"] = [["uid": "rs-1", "controller": true, "kind": "ReplicaSet", "name": "web"]]
        var foreign = pod("theirs")
        foreign[path: "metadata", "ownerReferences"] = [["uid": "rs-2", "controller": true, "kind": "ReplicaSet", "name": "api"]]
        #expect(ControllerRef.claim(pod: owned, ownerUID: "rs-1", ownerDeleting: false, selected: true) == .keep)
        #expect(ControllerRef.claim(pod: owned, ownerUID: "rs-1", ownerDeleting: false, selected: false) == .release)
        #expect(ControllerRef.claim(pod: owned, ownerUID: "rs-1", ownerDeleting: true, selected: false) == .ignore)
        #expect(ControllerRef.claim(pod: foreign, ownerUID: "rs-1", ownerDeleting: false, selected: true) == .ignore)
        #expect(ControllerRef.claim(pod: pod("orphan"), ownerUID: "rs-1", ownerDeleting: false, selected: true) == .adopt)
        #expect(ControllerRef.claim(pod: pod("orphan"), ownerUID: "rs-1", ownerDeleting: true, selected: true) == .ignore)
        #expect(ControllerRef.claim(pod: pod("orphan"), ownerUID: "rs-1", ownerDeleting: false, selected: false) == .ignore)

        let release = ControllerRef.releasePatch(owned, ownerUID: "rs-1")
        #expect(release[path: "metadata", "ownerReferences"] == .null)
    }

    @Test func podsFromATemplateAreOwnedByTheirController() {
        let owner: JSONValue = ["metadata": ["name": "web", "namespace": "prod", "uid": "rs-1"]]
        let template: JSONValue = ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "app", "image": "nginx"]]]]
        let pod = ControllerRef.pod(from: template, owner: owner, resource: .replicaSets)
        #expect(pod[path: "metadata", "generateName"] == "web-")
        #expect(pod[path: "metadata", "namespace"] == "prod")
        #expect(pod[path: "metadata", "labels"] == ["app": "web"])
        #expect(
            pod[path: "metadata", "ownerReferences"] == [
                ["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "rs-1", "controller": true, "blockOwnerDeletion": true]
            ])
    }

    @Test func expectationsHoldUntilObservedOrTimedOut() {
        let clock = Mutex(now)
        let expectations = ControllerExpectations(now: { clock.withLock { $0 } })
        let key = ObjectKey(namespace: "default", name: "web")
        #expect(expectations.satisfied(key))
        expectations.expectCreations(key, 2)
        expectations.creationObserved(key)
        #expect(!expectations.satisfied(key))
        expectations.creationObserved(key)
        #expect(expectations.satisfied(key))

        expectations.expectDeletions(key, ["a", "b"])
        expectations.deletionObserved(key, podName: "a")
        expectations.deletionObserved(key, podName: "z")
        #expect(!expectations.satisfied(key), "an unrelated pod's deletion does not count")
        clock.withLock { $0 += ControllerExpectations.timeout + 1 }
        #expect(expectations.satisfied(key), "expectations expire rather than wedge the controller")
    }
}
