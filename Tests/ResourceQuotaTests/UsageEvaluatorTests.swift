import APIMachinery
import Foundation
import Testing

@testable import ResourceQuota

/// What each evaluator charges for one object, as Kubernetes' core evaluators measure it.
struct UsageEvaluatorTests {
    typealias F = Fixtures

    @Test func aPodIsChargedItsRequestsLimitsAndCounts() {
        let pod = F.pod(
            "web",
            containers: [
                F.container("web", requests: ["cpu": "100m", "memory": "64Mi"], limits: ["cpu": "200m", "memory": "128Mi"]),
                F.container("log", requests: ["cpu": "50m", "ephemeral-storage": "1Gi", "example.com/gpu": "1"], limits: ["memory": "64Mi"]),
            ])
        #expect(
            PodEvaluator().usage(of: pod, now: F.now).json == [
                "count/pods": "1", "pods": "1",
                "cpu": "150m", "requests.cpu": "150m", "limits.cpu": "200m",
                "memory": "64Mi", "requests.memory": "64Mi", "limits.memory": "192Mi",
                "ephemeral-storage": "1Gi", "requests.ephemeral-storage": "1Gi",
                "requests.example.com/gpu": "1",
            ])
    }

    /// The pod needs the larger of its containers' sum and any one init container; sidecars (restartable init
    /// containers) add to both; the overhead adds to the requests and to the limits the pod has.
    @Test(arguments: [
        (
            "an init container larger than the containers",
            F.pod(
                "p", containers: [F.container("a", requests: ["cpu": "100m"]), F.container("b", requests: ["cpu": "100m"])],
                initContainers: [F.container("setup", requests: ["cpu": "500m", "memory": "1Gi"])]),
            ["cpu": "500m", "memory": "1Gi"], [:]
        ),
        (
            "an init container smaller than the containers",
            F.pod(
                "p", containers: [F.container("a", requests: ["cpu": "300m"], limits: ["cpu": "1"])],
                initContainers: [F.container("setup", requests: ["cpu": "200m"], limits: ["cpu": "2"])]),
            ["cpu": "300m"], ["cpu": "2"]
        ),
        (
            "a sidecar runs beside the containers and the init containers after it",
            F.pod(
                "p", containers: [F.container("a", requests: ["cpu": "300m"])],
                initContainers: [
                    F.container("mesh", requests: ["cpu": "100m"], restartPolicy: "Always"), F.container("migrate", requests: ["cpu": "350m"]),
                ]),
            ["cpu": "450m"], [:]
        ),
        (
            "overhead",
            F.pod(
                "p", containers: [F.container("a", requests: ["cpu": "1", "memory": "1Gi"], limits: ["cpu": "2"])],
                spec: ["overhead": ["cpu": "250m", "memory": "120Mi"]]),
            ["cpu": "1250m", "memory": "1144Mi"], ["cpu": "2250m"]
        ),
    ] as [(String, JSONValue, JSONValue, JSONValue)])
    func podRequestsAndLimits(_ name: String, pod: JSONValue, requests: JSONValue, limits: JSONValue) {
        #expect(PodResources.requests(of: pod, includingOverhead: true).json == requests, "\(name)")
        #expect(PodResources.limits(of: pod, includingOverhead: true).json == limits, "\(name)")
    }

    @Test func finishedAndLongDeletedPodsCountOnlyAsObjects() {
        let running = F.webPod(requests: ["cpu": "1"])
        #expect(PodEvaluator().usage(of: running, now: F.now)["requests.cpu"] == Quantity("1"))
        for phase in ["Succeeded", "Failed"] {
            var finished = running
            finished[path: "status", "phase"] = .string(phase)
            #expect(PodEvaluator().usage(of: finished, now: F.now).json == ["count/pods": "1"])
        }
        var deleted = running
        deleted[path: "metadata", "deletionTimestamp"] = .string(KubeTime.format(F.now.addingTimeInterval(-60)))
        deleted[path: "metadata", "deletionGracePeriodSeconds"] = 30
        #expect(PodEvaluator().usage(of: deleted, now: F.now).json == ["count/pods": "1"], "past its grace period")
        deleted[path: "metadata", "deletionGracePeriodSeconds"] = 120
        #expect(PodEvaluator().usage(of: deleted, now: F.now)["pods"] == Quantity("1"), "still within its grace period")
    }

    @Test func servicesCountTheirNodePortsAndLoadBalancers() {
        let ports: [JSONValue] = [["port": 80, "nodePort": 30080], ["port": 443]]
        let cases: [(JSONValue, JSONValue)] = [
            (F.service("a", type: "ClusterIP", ports: ports), ["count/services": "1", "services": "1", "services.nodeports": "0", "services.loadbalancers": "0"]),
            (F.service("b", type: "NodePort", ports: ports), ["count/services": "1", "services": "1", "services.nodeports": "2", "services.loadbalancers": "0"]),
            (F.service("c", type: "LoadBalancer", ports: ports), ["count/services": "1", "services": "1", "services.nodeports": "2", "services.loadbalancers": "1"]),
            (
                F.service("d", type: "LoadBalancer", ports: ports, allocateNodePorts: false),
                ["count/services": "1", "services": "1", "services.nodeports": "1", "services.loadbalancers": "1"]
            ),
        ]
        for (service, usage) in cases {
            #expect(ServiceEvaluator().usage(of: service, now: F.now).json == usage)
        }
    }

    @Test func claimsCountStoragePerClass() {
        #expect(
            PersistentVolumeClaimEvaluator().usage(of: F.claim("data", storage: "10Gi", className: "gold"), now: F.now).json == [
                "count/persistentvolumeclaims": "1", "persistentvolumeclaims": "1", "requests.storage": "10Gi",
                "gold.storageclass.storage.k8s.io/persistentvolumeclaims": "1", "gold.storageclass.storage.k8s.io/requests.storage": "10Gi",
            ])
        #expect(
            PersistentVolumeClaimEvaluator().usage(of: F.claim("data", storage: "1.5"), now: F.now).json == [
                "count/persistentvolumeclaims": "1", "persistentvolumeclaims": "1", "requests.storage": "2",
            ], "storage is charged in whole bytes")
        #expect(
            PersistentVolumeClaimEvaluator().usage(of: F.claim("data", storage: "5Gi", allocated: "8Gi"), now: F.now)["requests.storage"]
                == Quantity("8Gi"), "an expansion the owner backs out of stays charged")
    }

    @Test func otherResourcesCountAsObjects() {
        let deployments = QuotaEvaluators.evaluator(for: GroupResource(group: "apps", resource: "deployments"))
        #expect(deployments?.usage(of: [:], now: F.now).json == ["count/deployments.apps": "1"])
        let configMaps = QuotaEvaluators.evaluator(for: GroupResource(group: "", resource: "configmaps"))
        #expect(configMaps?.usage(of: [:], now: F.now).json == ["count/configmaps": "1", "configmaps": "1"])
        #expect(QuotaEvaluators.evaluator(for: GroupResource(group: "", resource: "events")) == nil)
    }

    @Test func whatEachEvaluatorAccountsFor() {
        let hard: Set<String> = [
            "pods", "count/pods", "requests.cpu", "limits.memory", "hugepages-2Mi", "requests.example.com/gpu", "services", "services.nodeports",
            "requests.storage", "gold.storageclass.storage.k8s.io/requests.storage", "count/configmaps", "configmaps", "count/deployments.apps",
        ]
        #expect(PodEvaluator().matchingResources(hard) == ["pods", "count/pods", "requests.cpu", "limits.memory", "hugepages-2Mi", "requests.example.com/gpu"])
        #expect(ServiceEvaluator().matchingResources(hard) == ["services", "services.nodeports"])
        #expect(PersistentVolumeClaimEvaluator().matchingResources(hard) == ["requests.storage", "gold.storageclass.storage.k8s.io/requests.storage"])
        #expect(ObjectCountEvaluator(GroupResource(group: "", resource: "configmaps")).matchingResources(hard) == ["count/configmaps", "configmaps"])
    }
}
