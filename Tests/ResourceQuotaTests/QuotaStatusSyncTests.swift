import APIMachinery
import Testing

@testable import ResourceQuota

/// The quota controller's recount (`syncResourceQuota`).
struct QuotaStatusSyncTests {
    typealias F = Fixtures

    static let namespace = NamespaceContents(
        pods: [
            F.pod("web", containers: [F.container("web", requests: ["cpu": "1"], limits: ["memory": "1Gi"])]),
            F.pod("worker", containers: [F.container("work", requests: ["cpu": "500m"], limits: ["memory": "512Mi"])]),
            F.pod("done", containers: [F.container("run", requests: ["cpu": "2"])], phase: "Succeeded"),
            F.pod("idle", containers: [F.container("wait")]),
        ],
        services: [
            F.service("a", type: "ClusterIP", ports: [["port": 80]]), F.service("b", type: "LoadBalancer", ports: [["port": 80], ["port": 81]]),
        ],
        persistentVolumeClaims: [F.claim("gold", storage: "10Gi", className: "gold"), F.claim("plain", storage: "5Gi")],
        objectCounts: [GroupResource(group: "apps", resource: "deployments"): 2, GroupResource(group: "", resource: "configmaps"): 3])

    @Test func usageIsRecountedForEveryLimitedResource() {
        let hard: JSONValue = [
            "pods": "10", "count/pods": "20", "requests.cpu": "4", "limits.memory": "8Gi", "services": "5", "services.loadbalancers": "2",
            "services.nodeports": "4", "requests.storage": "100Gi", "gold.storageclass.storage.k8s.io/persistentvolumeclaims": "3",
            "count/deployments.apps": "5", "configmaps": "10", "count/widgets.example.com": "4",
        ]
        var quota = F.quota("everything", hard: hard, used: nil)
        quota["status"] = ["used": ["count/widgets.example.com": "3", "secrets": "1"]]
        let status = QuotaStatusSync.newStatus(of: quota, in: Self.namespace, now: F.now)
        #expect(status?["hard"] == hard)
        #expect(
            status?["used"] == [
                "pods": "3", "count/pods": "4", "requests.cpu": "1500m", "limits.memory": "1536Mi", "services": "2",
                "services.loadbalancers": "1", "services.nodeports": "2", "requests.storage": "15Gi",
                "gold.storageclass.storage.k8s.io/persistentvolumeclaims": "1", "count/deployments.apps": "2", "configmaps": "3",
                // Nothing here counts widgets: the last count stays. Secrets are no longer limited: dropped.
                "count/widgets.example.com": "3",
            ])
    }

    @Test func aScopedQuotaCountsOnlyThePodsInItsScopes() {
        let quota = F.quota("best-effort", hard: ["pods": "5", "count/configmaps": "5"], used: nil, scopes: ["BestEffort"])
        #expect(QuotaStatusSync.newStatus(of: quota, in: Self.namespace, now: F.now)?["used"] == ["pods": "1", "count/configmaps": "0"])
    }

    @Test func nothingUsedIsZero() {
        let quota = F.quota("memory", hard: ["requests.memory": "1Gi"], used: nil)
        #expect(QuotaStatusSync.newStatus(of: quota, in: NamespaceContents(), now: F.now) == ["hard": ["requests.memory": "1Gi"], "used": ["requests.memory": "0"]])
    }

    @Test func aStatusThatAlreadySaysItNeedsNoUpdate() throws {
        var quota = F.quota("compute", hard: ["requests.cpu": "4", "pods": "10"], used: nil)
        let status = try #require(QuotaStatusSync.newStatus(of: quota, in: Self.namespace, now: F.now))
        quota["status"] = status
        #expect(QuotaStatusSync.newStatus(of: quota, in: Self.namespace, now: F.now) == nil)
        // The owner raised a limit: status.hard follows.
        quota[path: "spec", "hard", "pods"] = "20"
        #expect(QuotaStatusSync.newStatus(of: quota, in: Self.namespace, now: F.now)?["hard"] == ["requests.cpu": "4", "pods": "20"])
    }
}
