import APIMachinery
import APIServer
import ClusterDNS
import ControllerRuntime
import Controllers
import Foundation
import HollowNodes
import IngressController
import KubeClient
import LocalPathProvisioner
import Logging
import MetricsServer
import NodeAgent
import Scheduler
import ServiceLifecycle
import ServiceProxy

/// The control loops of `skiff server` (k3s' controller manager and scheduler), the hollow nodes it may simulate and
/// its own node agent, wired to the API in-process and sharing one informer per resource.
struct ControlPlane {
    struct Options {
        var clusterCIDR: IPv4CIDR
        var nodeMonitorGracePeriod: Duration
        var hollowNodes: Int
        var runScheduler: Bool
        var runControllers: Bool
        /// Published to every namespace as the `kube-root-ca.crt` ConfigMap.
        var caCertificatePEM: String
        var hollowStartDelay: Duration
        /// Where the hollow nodes' local-path volumes are made (`<data-dir>/storage`), as a real node makes its own.
        var storageDirectory: String
        /// The node agent for this machine, when it runs one, and its service proxy.
        var agent: NodeAgentOptions?
        var proxy: ServiceProxyOptions?
        /// Where the service proxy serves `/metrics` (empty: nowhere).
        var proxyMetricsAddress: String
        /// Where the node serves the kubelet's volume metrics (empty: nowhere).
        var kubeletMetricsAddress: String
        /// The kube-dns Service's address (nil: no cluster DNS), and this machine's node's DNS.
        var clusterDNSAddress: String?
        var dns: ClusterDNSOptions?
        /// The ingress controller on this machine's node (nil: none), and where it serves `/metrics`.
        var ingress: IngressControllerOptions?
        var ingressMetricsAddress: String
        /// How often the metrics server reads every node's usage.
        var metricsResolution: Duration
        /// How often the Horizontal Pod Autoscaler looks at each autoscaler.
        var autoscalerSyncPeriod: Duration
        /// What the server presents to other nodes' kubelet endpoints (CN kube-apiserver-kubelet-client).
        var kubeletClientCertificatePEM: String
        var kubeletClientKeyPEM: String
    }

    let services: [ServiceGroupConfiguration.ServiceConfiguration]

    init(api: KubernetesAPI, options: Options, logger: Logger) throws {
        func client(_ user: String) -> KubeClient {
            KubeClient(transport: InProcessTransport(api: api, user: user), fieldManager: user.split(separator: ":").last.map(String.init) ?? user)
        }
        // One informer per resource and one event recorder per component, shared by every controller below and
        // started with them.
        let context = ControllerContext(client: client("system:kube-controller-manager"), logger: logger)
        var controllers: [(name: String, run: @Sendable () async -> Void)] = []
        if options.runControllers {
            controllers += [
                ("node-lifecycle-controller", NodeLifecycleController(context: context, options: .init(gracePeriod: options.nodeMonitorGracePeriod)).run),
                ("node-ipam-controller", NodeIPAMController(context: context, clusterCIDR: options.clusterCIDR).run),
                ("disruption-controller", DisruptionController(context: context).run),
                ("serviceaccount-controller", ServiceAccountController(context: context).run),
                ("root-ca-cert-publisher", RootCAPublisher(context: context, caCertificatePEM: options.caCertificatePEM).run),
                ("job-controller", JobController(context: context).run),
                ("cronjob-controller", CronJobController(context: context).run),
                ("daemonset-controller", DaemonSetController(context: context).run),
                ("statefulset-controller", StatefulSetController(context: context).run),
                ("replicaset-controller", ReplicaSetController(kind: .replicaSet, context: context).run),
                ("replicationcontroller-controller", ReplicaSetController(kind: .replicationController, context: context).run),
                ("deployment-controller", DeploymentController(context: context).run),
                ("endpoints-controller", EndpointsController(context: context).run),
                ("endpointslice-controller", EndpointSliceController(context: context).run),
                ("service-lb-controller", ServiceLoadBalancerController(context: context).run),
                ("garbage-collector", GarbageCollector(context: context).run),
                ("clusterrole-aggregation-controller", ClusterRoleAggregationController(context: context).run),
                ("persistentvolume-binder-controller", PersistentVolumeController(context: context).run),
                ("volume-protection-controller", VolumeProtectionController(context: context).run),
                (
                    "horizontal-pod-autoscaler",
                    HorizontalPodAutoscalerController(context: context, options: .init(syncPeriod: options.autoscalerSyncPeriod)).run
                ),
            ]
            if let address = options.clusterDNSAddress {
                controllers.append(("cluster-dns-controller", ClusterDNSController(context: context, clusterIP: address).run))
            }
        }
        if options.runScheduler {
            controllers.append(("scheduler", Scheduler(context: context.acting(as: client("system:kube-scheduler"))).run))
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: BackgroundWork(name: "informers-and-event-recorders") { await context.run() })
        ]
        services += controllers.map { controller in .init(service: BackgroundWork(name: controller.name, body: controller.run)) }
        if options.hollowNodes > 0 {
            let hollowOptions = HollowNodeOptions(count: options.hollowNodes, startDelay: options.hollowStartDelay)
            let pool = HollowNodePool(client: client("system:node:hollow"), options: hollowOptions, logger: logger)
            services.append(.init(service: BackgroundWork(name: "hollow-nodes") { await pool.run() }))
            let provisioner = LocalPathProvisioner(
                context: context, options: .init(nodeNames: Set(hollowOptions.nodeNames), directory: options.storageDirectory))
            services.append(.init(service: BackgroundWork(name: "hollow-local-path-provisioner") { await provisioner.run() }))
        }
        var local: (agent: NodeAgent, nodeName: String)?
        if let agentOptions = options.agent, let proxyOptions = options.proxy {
            let node = try NodeServices(
                context: ControllerContext(client: client("system:node:\(agentOptions.nodeName)"), logger: logger), agentOptions: agentOptions,
                proxyOptions: proxyOptions, proxyMetricsAddress: options.proxyMetricsAddress,
                kubeletMetricsAddress: options.kubeletMetricsAddress, dns: options.dns, logger: logger)
            local = (node.agent, agentOptions.nodeName)
            services += node.services
        }
        if let ingressOptions = options.ingress {
            // It reads Services, EndpointSlices and Secrets through the controller manager's informers, shared.
            let ingress = IngressController(context: context, options: ingressOptions)
            services.append(.init(service: BackgroundWork(name: "ingress-controller") { await ingress.run() }))
            if let endpoint = try MetricsEndpoint(
                component: "ingress", address: options.ingressMetricsAddress, flag: "--ingress-metrics-address", text: ingress.metricsText, logger: logger)
            {
                services.append(.init(service: endpoint))
            }
        }
        let nodes = ClusterNodes(
            local: local,
            kubelets: try RemoteKubelets(
                client: client("system:kube-apiserver"), clientCertificatePEM: options.kubeletClientCertificatePEM,
                clientKeyPEM: options.kubeletClientKeyPEM))
        api.connectNodes(nodes)
        let metrics = ResourceMetricsServer(
            context: context.acting(as: client("system:metrics-server")), source: nodes, resolution: options.metricsResolution)
        services.append(.init(service: BackgroundWork(name: "metrics-server") { await metrics.run() }))
        api.connectMetrics(MetricsAPIBackend(server: metrics))
        self.services = services
    }
}

/// The metrics server behind the API server's `metrics.k8s.io`.
struct MetricsAPIBackend: ResourceMetricsProvider {
    let server: ResourceMetricsServer

    func nodeMetrics() async -> [JSONValue] { server.nodeMetrics() }
    func podMetrics(namespace: String?) async -> [JSONValue] { server.podMetrics(namespace: namespace) }
}
