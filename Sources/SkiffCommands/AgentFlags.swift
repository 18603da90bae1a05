import APIMachinery
import APIRegistry
import ArgumentParser
import ClusterDNS
import Foundation
import NodeAgent

/// The node agent's flags, shared by `skiff server` (unless `--disable-agent`) and `skiff agent`.
struct AgentFlags: ParsableArguments {
    @Option(help: "This node's name (default: the host name).")
    var nodeName: String?

    @Option(help: "This node's InternalIP, the pods' hostIP (default: the IPv4 address of the interface with the default route, as k3s; 127.0.0.1 without one).")
    var nodeIp: String?

    @Option(help: "An existing CRI socket, e.g. unix:///run/containerd/containerd.sock (default: start containerd under <data-dir>/agent).")
    var containerRuntimeEndpoint: String?

    @Option(help: "A k3s-style registries.yaml: registry mirrors, TLS and credentials.")
    var privateRegistry: String?

    @Option(help: "The image of pod sandboxes' pause container, when the agent starts its own containerd (as k3s' --pause-image).")
    var pauseImage: String = NodeAgentOptions.defaultPauseImage

    @Option(help: "Port of the kubelet endpoint `skiff agent` serves the API server logs, exec and attach on.")
    var kubeletPort: Int = 10250

    @Option(help: "Seconds between syncs of every pod even when nothing changed, as the kubelet's: ConfigMap, Secret and downward API volumes follow their sources this often.")
    var syncFrequency: Int = 60

    @Option(help: "Bytes (or 10Mi, 1Gi) a running container's log may reach before it is rotated, as the kubelet's --container-log-max-size.")
    var containerLogMaxSize: String = "10Mi"

    @Option(help: "Log files kept per container, the current one included, as the kubelet's --container-log-max-files.")
    var containerLogMaxFiles: Int = 5

    @Option(help: "Hard eviction thresholds, as the kubelet's --eviction-hard: below one the node reports pressure and evicts pods.")
    var evictionHard: String = EvictionThresholds.kubeletDefaults

    @Option(help: "The cluster DNS address pods resolve names with (the kube-dns Service's ClusterIP; default: the 10th address of the Service range, 10.43.0.10).")
    var clusterDns: String?

    @Option(help: "The cluster's domain, as the kubelet's --cluster-domain.")
    var clusterDomain: String = "cluster.local"

    @Option(help: "The node's resolver configuration, for pods with dnsPolicy Default and names outside the cluster (default: /etc/resolv.conf, or systemd-resolved's upstream file when that only names a loopback stub).")
    var resolvConf: String?

    @Option(help: "host:port the service proxy serves /metrics on, as kube-proxy's --metrics-bind-address; empty for none.")
    var proxyMetricsAddress: String = "127.0.0.1:10249"

    @Option(help: "host:port the node serves the kubelet's read-only metrics on: /metrics (kubelet_volume_stats_* of local-path volumes), /metrics/resource and /metrics/cadvisor; empty for none.")
    var kubeletMetricsAddress: String = "127.0.0.1:10255"

    @Flag(help: "Stop every pod's containers when the agent stops (for tests; a node normally leaves them running).")
    var stopPodsOnExit = false

    /// - Parameter dataDirectory: the agent keeps its files in `<dataDirectory>/agent`.
    func validate() throws {
        guard let bytes = Quantity(containerLogMaxSize)?.value, bytes > 0 else {
            throw ValidationError("--container-log-max-size \(containerLogMaxSize) is not a size such as 10Mi")
        }
        guard containerLogMaxFiles >= 2 else { throw ValidationError("--container-log-max-files must be at least 2") }
        do {
            _ = try EvictionThresholds(parsing: evictionHard)
        } catch {
            throw ValidationError("--eviction-hard: \(error)")
        }
    }

    /// - Parameter serviceCIDR: the Service range, whose 10th address is the cluster DNS unless `--cluster-dns` says.
    func options(dataDirectory: String, serviceCIDR: String) -> NodeAgentOptions {
        var options = NodeAgentOptions(
            nodeName: (nodeName ?? ProcessInfo.processInfo.hostName).lowercased(), nodeIP: nodeIp ?? NodeAddress.defaultIPv4(), directory: "\(dataDirectory)/agent",
            runtimeEndpoint: containerRuntimeEndpoint, privateRegistryFile: privateRegistry, stopPodsOnExit: stopPodsOnExit,
            syncFrequency: .seconds(max(1, syncFrequency)), kubeletPort: kubeletPort)
        options.containerLogMaxSize = Quantity(containerLogMaxSize)?.value ?? options.containerLogMaxSize
        options.containerLogMaxFiles = containerLogMaxFiles
        options.pauseImage = pauseImage
        options.evictionThresholds = (try? EvictionThresholds(parsing: evictionHard)) ?? options.evictionThresholds
        let hostResolver = ResolverConfiguration(parsing: (try? String(contentsOfFile: resolverFile, encoding: .utf8)) ?? "")
        let clusterDNS = clusterDns ?? IPv4CIDR(serviceCIDR).map { $0.address(at: 10) }
        options.podDNS = PodDNS(clusterDNS: clusterDNS.map { [$0] } ?? [], clusterDomain: clusterDomain, host: hostResolver)
        return options
    }

    /// The node's cluster DNS: the kube-dns address, the domain, and the node's resolvers as its upstreams.
    func clusterDNSOptions(nodeOptions: NodeAgentOptions) -> ClusterDNSOptions? {
        guard let address = nodeOptions.podDNS.clusterDNS.first else { return nil }
        return ClusterDNSOptions(
            nodeName: nodeOptions.nodeName, clusterDomain: nodeOptions.podDNS.clusterDomain, clusterDNS: address,
            upstreams: nodeOptions.podDNS.host.nameservers)
    }

    /// The node's resolv.conf: `--resolv-conf`, else the system's (see `ResolverConfiguration.nodeFile`).
    var resolverFile: String { resolvConf ?? ResolverConfiguration.nodeFile() }
}
