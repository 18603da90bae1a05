import APIMachinery
import Testing

@testable import SchedulingFramework

/// The request arithmetic of `resourcehelper.PodRequests` and the scheduler's non-zero scoring requests.
struct PodRequestsTests {
    private func container(cpu: String? = nil, memory: String? = nil, restartAlways: Bool = false) -> JSONValue {
        var requests: [String: JSONValue] = [:]
        if let cpu { requests["cpu"] = .string(cpu) }
        if let memory { requests["memory"] = .string(memory) }
        var container: JSONValue = ["name": "c", "resources": ["requests": .object(requests)]]
        if restartAlways { container["restartPolicy"] = "Always" }
        return container
    }

    private func pod(containers: [JSONValue], initContainers: [JSONValue] = [], overhead: JSONValue? = nil) -> PodInfo {
        var json: JSONValue = ["metadata": ["name": "p"], "spec": ["containers": .array(containers)]]
        if !initContainers.isEmpty { json[path: "spec", "initContainers"] = .array(initContainers) }
        if let overhead { json[path: "spec", "overhead"] = overhead }
        return PodInfo(pod: json)
    }

    @Test func containersAddUp() {
        let info = pod(containers: [container(cpu: "500m", memory: "500Mi"), container(cpu: "700m", memory: "800Mi")])
        #expect(info.requests.milliCPU == 1200)
        #expect(info.requests.memory == 1300 * 1024 * 1024)
        #expect(info.requests.pods == 1)
        #expect(info.nonZeroRequests == ResourceList(milliCPU: 1200, memory: 1300 * 1024 * 1024))
    }

    /// The example of `computePodResourceRequest`: init containers run one by one, so only the largest counts.
    @Test func initContainersTakeTheMaximum() {
        let info = pod(
            containers: [container(cpu: "2", memory: "1G"), container(cpu: "1", memory: "1G")],
            initContainers: [container(cpu: "2", memory: "1G"), container(cpu: "2", memory: "3G")])
        #expect(info.requests.milliCPU == 3000)
        #expect(info.requests.memory == 3_000_000_000)
    }

    /// Sidecars (restartPolicy Always) keep running: they add to the containers, and to every later init container.
    @Test func sidecarsAddToContainersAndLaterInitContainers() {
        let info = pod(
            containers: [container(cpu: "1")],
            initContainers: [container(cpu: "500m", restartAlways: true), container(cpu: "2")])
        // Containers plus sidecar: 1.5; the second init container runs beside the sidecar: 2.5.
        #expect(info.requests.milliCPU == 2500)

        let small = pod(
            containers: [container(cpu: "1")],
            initContainers: [container(cpu: "200m"), container(cpu: "500m", restartAlways: true)])
        #expect(small.requests.milliCPU == 1500)
    }

    @Test func overheadComesOnTop() {
        let info = pod(
            containers: [container(cpu: "1", memory: "1Gi")], initContainers: [container(cpu: "3")],
            overhead: ["cpu": "250m", "memory": "64Mi"])
        #expect(info.requests.milliCPU == 3250)
        #expect(info.requests.memory == (1024 + 64) * 1024 * 1024)
        #expect(info.nonZeroRequests.milliCPU == 3250)
        #expect(info.nonZeroRequests.memory == (1024 + 64) * 1024 * 1024)
    }

    @Test func missingRequestsScoreWithDefaults() {
        let info = pod(containers: [container(), container(cpu: "0")])
        #expect(info.requests == ResourceList(pods: 1))
        // 100m for the container without a CPU request, nothing for the explicit zero; 200Mi each for memory.
        #expect(info.nonZeroRequests.milliCPU == 100)
        #expect(info.nonZeroRequests.memory == 2 * 200 * 1024 * 1024)
    }

    @Test func scalarResourcesAreTrackedByName() {
        let json: JSONValue = [
            "metadata": ["name": "gpu"],
            "spec": [
                "containers": [
                    [
                        "name": "c",
                        "resources": [
                            "requests": [
                                "nvidia.com/gpu": 2, "hugepages-2Mi": "4Mi", "example.com/dongle": "1", "foo": "3",
                                "kubernetes.io/something": "1",
                            ]
                        ],
                    ]
                ]
            ],
        ]
        let info = PodInfo(pod: json)
        #expect(info.requests.scalarResources == ["nvidia.com/gpu": 2, "hugepages-2Mi": 4 * 1024 * 1024, "example.com/dongle": 1])
    }

    @Test func oddInputParsesWithoutTrouble() {
        let json: JSONValue = [
            "metadata": ["name": 7, "labels": ["app": "web", "count": 3]],
            "spec": [
                "containers": "nope",
                "initContainers": [["resources": ["requests": ["cpu": "lots"]]]],
                "priority": "high",
                "tolerations": [42],
                "affinity": ["podAntiAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": [["labelSelector": 5]]]],
                "topologySpreadConstraints": [["maxSkew": 1]],
            ],
        ]
        let info = PodInfo(pod: json)
        #expect(info.name == "")
        #expect(info.namespace == "default")
        #expect(info.labels == ["app": "web"])
        #expect(info.priority == 0)
        #expect(info.requests == ResourceList(pods: 1))
        #expect(info.topologySpreadConstraints.isEmpty)
        // The anti-affinity term survives, but its broken selector selects nothing.
        #expect(info.requiredAntiAffinityTerms.count == 1)
        #expect(info.requiredAntiAffinityTerms.first?.selector.selectsNothing == true)
        #expect(PodInfo(pod: .null).requests == ResourceList(pods: 1))
    }

    @Test func parsesSchedulingFields() {
        let pod = TestPod("web", namespace: "shop").priority(1000).spec("preemptionPolicy", "Never")
            .spec("nodeSelector", ["disk": "ssd"]).spec("schedulerName", "custom")
            .status("nominatedNodeName", "n1").toleration(key: "dedicated", value: "db", effect: "NoSchedule")
            .hostPort(8080).info
        #expect(pod.key == "shop/web")
        #expect(pod.priority == 1000)
        #expect(pod.preemptionPolicy == .never)
        #expect(pod.nodeSelector == ["disk": "ssd"])
        #expect(pod.schedulerName == "custom")
        #expect(pod.nominatedNodeName == "n1")
        #expect(pod.tolerations == [Toleration(key: "dedicated", value: "db", effect: .noSchedule)])
        #expect(pod.hostPorts == [HostPort(port: 8080)])
        #expect(TestPod("plain").info.schedulerName == "default-scheduler")
        #expect(TestPod("plain").info.preemptionPolicy == .preemptLowerPriority)
    }

    @Test func boundCopiesTheNodeName() {
        let pod = TestPod("web").info.bound(to: "n1")
        #expect(pod.nodeName == "n1")
        #expect(pod.object[path: "spec", "nodeName"] == "n1")
    }
}
