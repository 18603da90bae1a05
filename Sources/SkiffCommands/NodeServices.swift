import ClusterDNS
import ControllerRuntime
import Foundation
import LocalPathProvisioner
import Logging
import NetworkPolicies
import NodeAgent
import ServiceLifecycle
import ServiceProxy

/// What every node runs, on the server's machine and on joined ones: the node agent, its informers, the service
/// proxy, the network policy enforcer, the cluster DNS with their metrics endpoints, and the local-path provisioner.
struct NodeServices {
    let agent: NodeAgent
    let services: [ServiceGroupConfiguration.ServiceConfiguration]

    init(
        context: ControllerContext, agentOptions: NodeAgentOptions, proxyOptions: ServiceProxyOptions, proxyMetricsAddress: String,
        kubeletMetricsAddress: String, processMetrics: (@Sendable () -> String)? = nil,
        dns: ClusterDNSOptions?, logger: Logger
    ) throws {
        let proxy = ServiceProxy(context: context, options: proxyOptions)
        // A deleted pod's containers stop once the proxy sends them no new connections.
        let agent = NodeAgent(context: context, options: agentOptions) { await proxy.waitUntilNotRouting(to: $0, timeout: .seconds(2)) }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: AgentService(agent: agent)),
            .init(service: BackgroundWork(name: "node-informers") { await context.run() }),
            .init(service: BackgroundWork(name: "service-proxy") { await proxy.run() }),
        ]
        // Policies count the node's cluster DNS, which answers on the pods' gateway, as the kube-dns pod.
        let enforcer = NetworkPolicyEnforcer(
            context: context, options: .init(nodeName: proxyOptions.nodeName, removeRulesOnExit: proxyOptions.removeRulesOnExit),
            clusterDNSAddress: { dns == nil ? nil : await agent.podGateway() })
        services.append(.init(service: BackgroundWork(name: "network-policy") { await enforcer.run() }))
        // Volumes live beside the agent's directory (`<data-dir>/agent`), in `<data-dir>/storage`.
        let storage = URL(fileURLWithPath: agentOptions.directory).deletingLastPathComponent().appendingPathComponent("storage").path
        let provisioner = LocalPathProvisioner(context: context, options: .init(nodeName: agentOptions.nodeName, directory: storage))
        services.append(.init(service: BackgroundWork(name: "local-path-provisioner") { await provisioner.run() }))
        // The kubelet's read-only port: its volume metrics (and an agent process's own: its work queues), and the
        // container usage Prometheus scrapes from a kubelet.
        if let endpoint = try MetricsEndpoint(
            component: "kubelet", address: kubeletMetricsAddress, flag: "--kubelet-metrics-address",
            text: { provisioner.metricsText + (processMetrics?() ?? "") },
            pages: [
                "metrics/resource": { await agent.resourceMetricsText() },
                "metrics/cadvisor": { await agent.cadvisorMetricsText() },
            ], logger: logger)
        {
            services.append(.init(service: endpoint))
        }
        if let endpoint = try MetricsEndpoint(
            component: "service-proxy", address: proxyMetricsAddress, flag: "--proxy-metrics-address", text: { proxy.metrics.text }, logger: logger)
        {
            services.append(.init(service: endpoint))
        }
        if let dns {
            // The node's DNS answers on its pods' gateway, CoreDNS's metrics port beside it.
            let clusterDNS = ClusterDNS(context: context, options: dns) { await agent.podGateway() }
            services += [
                .init(service: BackgroundWork(name: "cluster-dns") { await clusterDNS.run() }),
                .init(
                    service: MetricsEndpoint(
                        component: "cluster-dns", host: { await agent.podGateway() }, port: 9153, text: { clusterDNS.metrics.text }, logger: logger)),
            ]
        }
        self.agent = agent
        self.services = services
    }
}
