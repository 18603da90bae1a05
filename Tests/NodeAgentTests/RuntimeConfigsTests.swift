import APIMachinery
import CRI
import Testing

@testable import NodeAgent

/// The sandbox and container configs the runtime gets for networking and memory, as the kubelet builds them.
@Suite("runtime configs")
struct RuntimeConfigsTests {
    static let pod: JSONValue = [
        "metadata": ["name": "web", "namespace": "shop", "uid": "u1"],
        "spec": [
            "containers": [
                [
                    "name": "web", "image": "nginx",
                    "ports": [["containerPort": 80, "hostPort": 8080], ["containerPort": 53, "hostPort": 5353, "protocol": "UDP", "hostIP": "127.0.0.1"], ["containerPort": 9090]],
                    "resources": ["limits": ["memory": "32Mi"]],
                ]
            ]
        ],
    ]

    static let dns = PodDNS(clusterDNS: ["10.43.0.10"], clusterDomain: "cluster.local", host: ResolverConfiguration())

    @Test func hostPortsBecomePortMappingsOfTheSandbox() {
        let config = RuntimeConfigs.sandboxConfig(Self.pod, attempt: 0, logRoot: "/logs", dns: Self.dns)
        #expect(config.portMappings.map { [$0.containerPort, $0.hostPort] } == [[80, 8080], [53, 5353]])
        #expect(config.portMappings.map(\.protocol) == [.tcp, .udp])
        #expect(config.portMappings.map(\.hostIp) == ["", "127.0.0.1"])
        #expect(config.linux.securityContext.namespaceOptions.network == .pod)
        #expect(config.hostname == "web")
    }

    @Test func aHostNetworkPodSharesTheNodesNetworkNamespace() {
        var pod = Self.pod
        pod[path: "spec", "hostNetwork"] = true
        let config = RuntimeConfigs.sandboxConfig(pod, attempt: 0, logRoot: "/logs", dns: Self.dns)
        #expect(config.linux.securityContext.namespaceOptions.network == .node)
        #expect(config.hostname.isEmpty)
        let container = RuntimeConfigs.containerConfig(
            pod, container: pod[path: "spec", "containers"]?.arrayValue?.first ?? .null, attempt: 0, image: "nginx", environment: [], mounts: [],
            memoryCapacity: 1 << 30)
        #expect(container.linux.securityContext.namespaceOptions.network == .node)
    }

    @Test func theMemoryLimitIsTheContainersCgroupLimit() {
        let container = RuntimeConfigs.containerConfig(
            Self.pod, container: Self.pod[path: "spec", "containers"]?.arrayValue?.first ?? .null, attempt: 0, image: "nginx", environment: [],
            mounts: [], memoryCapacity: 1 << 30)
        #expect(container.linux.resources.memoryLimitInBytes == 32 * 1024 * 1024)
    }

    @Test func theNodeNetworkMapsHostPortsWithPortmap() {
        let conflist = PodNetworkConfig.conflist(node: "n1", podCIDR: "10.42.0.0/24", ipamDataDirectory: "/ipam")
        let plugins = conflist["plugins"]?.arrayValue ?? []
        #expect(plugins.contains { $0["type"] == "portmap" && $0[path: "capabilities", "portMappings"] == true })
    }
}
