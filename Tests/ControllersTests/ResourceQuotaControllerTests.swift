import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import KubeObjects
import Testing

@testable import Controllers

/// The resource-quota controller against an in-process API server: it fills in a new quota's status, and gives back
/// what a deleted pod was charged.
struct ResourceQuotaControllerTests {
    @Test func countedResourcesAreNamedAsKubernetesNamesThem() {
        #expect(ResourceQuotaController.countedResource("count/deployments.apps") == GroupResource(group: "apps", resource: "deployments"))
        #expect(ResourceQuotaController.countedResource("count/pods") == GroupResource(group: "", resource: "pods"))
        #expect(ResourceQuotaController.countedResource("configmaps") == GroupResource(group: "", resource: "configmaps"))
        #expect(ResourceQuotaController.countedResource("requests.cpu") == nil)
    }

    @Test func aQuotaIsCountedAndReplenishedWhenAPodGoes() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let context = ControllerContext(client: client, logger: cluster.logger)
        let controller = ResourceQuotaController(context: context)
        let running = Workloads.start([context.run, controller.run])
        defer { running.cancel() }

        _ = try await client.create(.configMaps, namespace: "default", ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "before", "namespace": "default"]])
        _ = try await client.create(
            .resourceQuotas, namespace: "default",
            [
                "apiVersion": "v1", "kind": "ResourceQuota", "metadata": ["name": "q", "namespace": "default"],
                "spec": ["hard": ["pods": "2", "requests.cpu": "1", "configmaps": "5"]],
            ])
        @Sendable func used() async throws -> JSONValue? { try await client.get(.resourceQuotas, namespace: "default", name: "q")[path: "status", "used"] }
        #expect(try await eventually(timeout: .seconds(10)) { try await used() == ["pods": "0", "requests.cpu": "0", "configmaps": "1"] })

        let pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "web", "namespace": "default"],
            "spec": ["containers": [["name": "web", "image": "busybox", "resources": ["requests": ["cpu": "300m"]]]]],
        ]
        _ = try await client.create(.pods, namespace: "default", pod)
        #expect(try await used() == ["pods": "1", "requests.cpu": "300m", "configmaps": "1"], "admission charges the pod at once")

        _ = try await client.delete(.pods, namespace: "default", name: "web", options: ["gracePeriodSeconds": 0])
        #expect(try await eventually(timeout: .seconds(10)) { try await used() == ["pods": "0", "requests.cpu": "0", "configmaps": "1"] })
    }
}
