import APIMachinery
import APIServer
import Authorization
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
        // Each component acts as a user of its own, in its own groups, and RBAC holds it to its roles (the bootstrap
        // policy's, and Skiff's for what Kubernetes has no role for).
        func client(_ user: String, groups: [String], fieldManager: String? = nil) -> KubeClient {
            KubeClient(
                transport: InProcessTransport(api: api, user: user, groups: groups),
                fieldManager: fieldManager ?? user.split(separator: ":").last.map(String.init) ?? user)
        }
        let nodesGroup = [BootstrapPolicy.nodesGroup]
        // One informer per resource and one event recorder per component, shared by every controller below and
        // started with them. The informers list and watch as kube-controller-manager.
        let context = ControllerContext(client: client("system:kube-controller-manager", groups: []), logger: logger)
        /// A controller writing as its service account in kube-system, as kube-controller-manager's controllers do
        /// with `--use-service-account-credentials` (k3s' default).
        func controller(_ account: String) -> ControllerContext {
            context.acting(
                as: client(
                    "system:serviceaccount:kube-system:\(account)", groups: ["system:serviceaccounts", "system:serviceaccounts:kube-system"],
                    fieldManager: "kube-controller-manager"))
        }
        var controllers: [(name: String, run: @Sendable () async -> Void)] = []
        if options.runControllers {
            controllers += [
                ("node-lifecycle-controller", NodeLifecycleController(context: controller("node-controller"), options: .init(gracePeriod: options.nodeMonitorGracePeriod)).run),
                ("node-ipam-controller", NodeIPAMController(context: controller("node-controller"), clusterCIDR: options.clusterCIDR).run),
                ("disruption-controller", DisruptionController(context: controller("disruption-controller")).run),
                ("serviceaccount-controller", ServiceAccountController(context: controller("service-account-controller")).run),
                ("root-ca-cert-publisher", RootCAPublisher(context: controller("root-ca-cert-publisher"), caCertificatePEM: options.caCertificatePEM).run),
                ("job-controller", JobController(context: controller("job-controller")).run),
                ("cronjob-controller", CronJobController(context: controller("cronjob-controller")).run),
                ("daemonset-controller", DaemonSetController(context: controller("daemon-set-controller")).run),
                ("statefulset-controller", StatefulSetController(context: controller("statefulset-controller")).run),
                ("replicaset-controller", ReplicaSetController(kind: .replicaSet, context: controller("replicaset-controller")).run),
                ("replicationcontroller-controller", ReplicaSetController(kind: .replicationController, context: controller("replication-controller")).run),
                ("deployment-controller", DeploymentController(context: controller("deployment-controller")).run),
                ("endpoints-controller", EndpointsController(context: controller("endpoint-controller")).run),
                ("endpointslice-controller", EndpointSliceController(context: controller("endpointslice-controller")).run),
                ("service-lb-controller", ServiceLoadBalancerController(context: controller("service-controller")).run),
                ("garbage-collector", GarbageCollector(context: controller("generic-garbage-collector")).run),
                ("clusterrole-aggregation-controller", ClusterRoleAggregationController(context: controller("clusterrole-aggregation-controller")).run),
                ("resourcequota-controller", ResourceQuotaController(context: controller("resourcequota-controller")).run),
                ("persistentvolume-binder-controller", PersistentVolumeController(context: controller("persistent-volume-binder")).run),
                ("volume-protection-controller", VolumeProtectionController(context: controller("pvc-protection-controller")).run),
                (
                    "horizontal-pod-autoscaler",
                    HorizontalPodAutoscalerController(context: controller("horizontal-pod-autoscaler"), options: .init(syncPeriod: options.autoscalerSyncPeriod)).run
                ),
            ]
            if let address = options.clusterDNSAddress {
                controllers.append(("cluster-dns-controller", ClusterDNSController(context: controller(BootstrapPolicy.clusterDNSControllerAccount), clusterIP: address).run))
            }
        }
        if options.runScheduler {
            controllers.append(("scheduler", Scheduler(context: context.acting(as: client("system:kube-scheduler", groups: []))).run))
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: BackgroundWork(name: "informers-and-event-recorders") { await context.run() })
        ]
        services += controllers.map { controller in .init(service: BackgroundWork(name: controller.name, body: controller.run)) }
        if options.hollowNodes > 0 {
            let hollowOptions = HollowNodeOptions(count: options.hollowNodes, startDelay: options.hollowStartDelay)
            let pool = HollowNodePool(client: client(BootstrapPolicy.hollowNodesUser, groups: nodesGroup), options: hollowOptions, logger: logger)
            services.append(.init(service: BackgroundWork(name: "hollow-nodes") { await pool.run() }))
            let provisioner = LocalPathProvisioner(
                context: context.acting(as: client(BootstrapPolicy.hollowNodesUser, groups: nodesGroup)), options: .init(nodeNames: Set(hollowOptions.nodeNames), directory: options.storageDirectory))
            services.append(.init(service: BackgroundWork(name: "hollow-local-path-provisioner") { await provisioner.run() }))
        }
        var local: (agent: NodeAgent, nodeName: String)?
        if let agentOptions = options.agent, let proxyOptions = options.proxy {
            let node = try NodeServices(
                context: ControllerContext(client: client("system:node:\(agentOptions.nodeName)", groups: nodesGroup), logger: logger), agentOptions: agentOptions,
                proxyOptions: proxyOptions, proxyMetricsAddress: options.proxyMetricsAddress,
                kubeletMetricsAddress: options.kubeletMetricsAddress, dns: options.dns, logger: logger)
            local = (node.agent, agentOptions.nodeName)
            services += node.services
            let roles = ServerNodeRoles(client: client("system:apiserver", groups: ["system:masters"]), nodeName: agentOptions.nodeName, logger: logger)
            // Done once labelled; the service group takes a finished service for a failed one.
            services.append(.init(service: BackgroundWork(name: "server-node-roles") { await roles.apply() }, successTerminationBehavior: .ignore))
        }
        if let ingressOptions = options.ingress {
            // It reads Services, EndpointSlices and Secrets through the controller manager's informers, shared.
            let ingress = IngressController(context: controller(BootstrapPolicy.ingressControllerAccount), options: ingressOptions)
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
                client: client("system:apiserver", groups: ["system:masters"]), clientCertificatePEM: options.kubeletClientCertificatePEM,
                clientKeyPEM: options.kubeletClientKeyPEM))
        api.connectNodes(nodes)
        let metrics = ResourceMetricsServer(
            context: controller("metrics-server"), source: nodes, resolution: options.metricsResolution)
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
