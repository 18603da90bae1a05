import APIMachinery
import ClusterTestSupport
import KubeClient
import Testing

@testable import APIServer

/// `metrics.k8s.io` as the API server serves it from the metrics server it is connected to (a fixed stand-in here):
/// get and list with selectors, metrics-server's NotFound wording, no writes or watches, and 503 until connected.
@Suite("the metrics API")
struct MetricsAPITests {
    struct FixedMetrics: ResourceMetricsProvider {
        func nodeMetrics() async -> [JSONValue] {
            [["kind": "NodeMetrics", "metadata": ["name": "node-1"], "usage": ["cpu": "250000000n", "memory": "1024Ki"], "window": "15s"]]
        }

        func podMetrics(namespace: String?) async -> [JSONValue] {
            let pods: [JSONValue] = [
                ["metadata": ["name": "web-1", "namespace": "default", "labels": ["app": "web"]], "containers": []],
                ["metadata": ["name": "db-1", "namespace": "default", "labels": ["app": "db"]], "containers": []],
                ["metadata": ["name": "dns", "namespace": "kube-system", "labels": ["app": "dns"]], "containers": []],
            ]
            return pods.filter { namespace == nil || $0.metadata.namespace == namespace }
        }
    }

    @Test func servesWhatTheMetricsServerMeasured() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        await #expect(throws: APIError.self) { try await client.list(.podMetrics, namespace: "default") }
        do {
            _ = try await client.list(.nodeMetrics)
        } catch {
            #expect(error.code == 503 && error.message == "the server is currently unable to handle the request")
        }

        cluster.api.connectMetrics(FixedMetrics())
        let web = try await client.list(.podMetrics, namespace: "default", options: ListOptions(labelSelector: "app=web"))
        #expect(web["kind"] == "PodMetricsList")
        #expect((web["items"]?.arrayValue ?? []).map(\.metadata.name) == ["web-1"])
        let everywhere = try await client.list(.podMetrics, options: ListOptions(fieldSelector: "metadata.namespace=kube-system"))
        #expect((everywhere["items"]?.arrayValue ?? []).map(\.metadata.name) == ["dns"])
        #expect(try await client.get(.nodeMetrics, name: "node-1")[path: "usage", "cpu"] == "250000000n")
        do {
            _ = try await client.get(.podMetrics, namespace: "default", name: "gone")
            Issue.record("a pod without metrics was found")
        } catch {
            #expect(error.code == 404 && error.message == #"podmetrics.metrics.k8s.io "default/gone" not found"#)
        }
        do {
            _ = try await client.delete(.podMetrics, namespace: "default", name: "web-1")
            Issue.record("metrics were deleted")
        } catch {
            #expect(error.code == 405)
        }
    }
}
