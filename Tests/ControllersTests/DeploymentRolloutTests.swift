import APIMachinery
import Testing

@testable import Controllers

@Suite("deployment rollout arithmetic")
struct DeploymentRolloutTests {
    let template: JSONValue = ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "web", "image": "nginx:1.25"]]]]

    @Test func templateHashesAreStableSafeAndChangeWithTheTemplateOrCollisionCount() {
        let hash = DeploymentRollout.podTemplateHash(template: template, collisionCount: nil)
        #expect(hash == DeploymentRollout.podTemplateHash(template: template, collisionCount: nil))
        #expect(!hash.isEmpty && hash.count <= 10)
        #expect(hash.allSatisfy { "bcdfghjklmnpqrstvwxz2456789".contains($0) })
        var changed = template
        changed[path: "spec", "containers"] = [["name": "web", "image": "nginx:1.26"]]
        #expect(DeploymentRollout.podTemplateHash(template: changed, collisionCount: nil) != hash)
        #expect(DeploymentRollout.podTemplateHash(template: template, collisionCount: 1) != hash)
    }

    @Test func fencepostsRoundSurgeUpAndUnavailabilityDown() {
        #expect(DeploymentRollout.fenceposts(maxSurge: nil, maxUnavailable: nil, desired: 10) == (3, 2))
        #expect(DeploymentRollout.fenceposts(maxSurge: 1, maxUnavailable: 0, desired: 3) == (1, 0))
        #expect(DeploymentRollout.fenceposts(maxSurge: "0%", maxUnavailable: "10%", desired: 3) == (0, 1), "never both zero")
        #expect(DeploymentRollout.fenceposts(maxSurge: "50%", maxUnavailable: "50%", desired: 3) == (2, 1))
    }

    @Test func theNewReplicaSetGrowsByTheSurgeUpToDesired() {
        #expect(DeploymentRollout.newReplicaSetReplicas(desired: 3, surge: 1, currentTotal: 3, newReplicas: 0) == 1)
        #expect(DeploymentRollout.newReplicaSetReplicas(desired: 3, surge: 1, currentTotal: 4, newReplicas: 1) == 1)
        #expect(DeploymentRollout.newReplicaSetReplicas(desired: 10, surge: 3, currentTotal: 10, newReplicas: 0) == 3)
        #expect(DeploymentRollout.newReplicaSetReplicas(desired: 3, surge: 5, currentTotal: 3, newReplicas: 2) == 3)
    }

    @Test func oldReplicasGoOnlyWhileEnoughPodsStayAvailable() {
        // 3 desired, maxUnavailable 0: with 1 new pod not yet available nothing old may go.
        #expect(DeploymentRollout.oldReplicasToScaleDown(allReplicas: 4, desired: 3, unavailable: 0, newReplicas: 1, newAvailable: 0) == 0)
        // Once it is available one old pod may go.
        #expect(DeploymentRollout.oldReplicasToScaleDown(allReplicas: 4, desired: 3, unavailable: 0, newReplicas: 1, newAvailable: 1) == 1)
        #expect(DeploymentRollout.oldReplicasToScaleDown(allReplicas: 10, desired: 10, unavailable: 2, newReplicas: 0, newAvailable: 0) == 2)
    }

    @Test func scalingMidRolloutIsSharedInProportion() {
        // Kubernetes' documented example: 10 replicas, maxSurge 3, a stuck rollout with 8 old and 5 new pods, scaled
        // to 15: 3 of the 5 extra replicas go to the old set, 2 to the new.
        #expect(DeploymentRollout.proportionalSizes(replicas: [8, 5], maxReplicasBefore: [13, 13], desired: 15, surge: 3, statusReplicas: 13) == [11, 7])
        // And back to 10.
        #expect(DeploymentRollout.proportionalSizes(replicas: [11, 7], maxReplicasBefore: [18, 18], desired: 10, surge: 3, statusReplicas: 18) == [8, 5])
        // Without annotations the Deployment's status replicas are the base; leftovers go to the largest set.
        #expect(DeploymentRollout.proportionalSizes(replicas: [1, 1, 1], maxReplicasBefore: [nil, nil, nil], desired: 4, surge: 0, statusReplicas: 3).reduce(0, +) == 4)
        // Scaling to zero empties every set; empty sets stay empty.
        #expect(DeploymentRollout.proportionalSizes(replicas: [3, 2, 0], maxReplicasBefore: [6, 6, 6], desired: 0, surge: 1, statusReplicas: 5) == [0, 0, 0])
        #expect(IntOrPercent.scaled("33%", total: 10, roundUp: true) == 4)
        #expect(IntOrPercent.scaled("33%", total: 10, roundUp: false) == 3)
        #expect(IntOrPercent.scaled("x", total: 10, roundUp: false) == nil)
    }
}
