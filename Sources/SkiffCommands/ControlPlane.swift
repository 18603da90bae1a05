import APIMachinery
import APIServer
import ControllerRuntime
import Controllers
import Foundation
import HollowNodes
import KubeClient
import Logging
import NodeAgent
import Scheduler
import ServiceLifecycle

/// The control loops of `skiff server` and the hollow nodes it may simulate, wired to the API in-process and
/// sharing one informer per resource.
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
        /// The node agent for this machine, when it runs one.
        var agent: NodeAgentOptions?
        /// What the server presents to other nodes' kubelet endpoints (CN kube-apiserver-kubelet-client).
        var kubeletClientCertificatePEM: String
        var kubeletClientKeyPEM: String
    }

    let services: [ServiceGroupConfiguration.ServiceConfiguration]

    init(api: KubernetesAPI, options: Options, logger: Logger) throws {
        func client(_ user: String) -> KubeClient {
            KubeClient(transport: InProcessTransport(api: api, user: user), fieldManager: user.split(separator: ":").last.map(String.init) ?? user)
        }
        let controllerClient = client("system:kube-controller-manager")
        let nodes = Informer(client: controllerClient, resource: .nodes, logger: logger)
        let pods = Informer(client: controllerClient, resource: .pods, logger: logger)
        let leases = Informer(client: controllerClient, resource: .leases, namespace: "kube-node-lease", logger: logger)
        let namespaces = Informer(client: controllerClient, resource: .namespaces, logger: logger)
        let budgets = Informer(client: controllerClient, resource: .podDisruptionBudgets, logger: logger)
        let jobs = Informer(client: controllerClient, resource: .jobs, logger: logger)
        let serviceAccounts = Informer(client: controllerClient, resource: .serviceAccounts, logger: logger)
        // Only the one ConfigMap the publisher manages, not every ConfigMap of the cluster.
        let rootCAConfigMaps = Informer(
            client: controllerClient, resource: .configMaps, selectors: ListOptions(fieldSelector: "metadata.name=kube-root-ca.crt"),
            logger: logger)
        let replicaSets = Informer(client: controllerClient, resource: .replicaSets, logger: logger)
        let deployments = Informer(client: controllerClient, resource: .deployments, logger: logger)
        let replicationControllers = Informer(client: controllerClient, resource: .replicationControllers, logger: logger)
        let serviceInformer = Informer(client: controllerClient, resource: .services, logger: logger)
        let endpointsInformer = Informer(client: controllerClient, resource: .endpoints, logger: logger)
        let sliceInformer = Informer(client: controllerClient, resource: .endpointSlices, logger: logger)
        let recorder = EventRecorder(client: controllerClient, component: "node-controller", logger: logger)
        let replicaSetEvents = EventRecorder(client: controllerClient, component: "replicaset-controller", logger: logger)
        let replicationEvents = EventRecorder(client: controllerClient, component: "replication-controller", logger: logger)

        let lifecycle = NodeLifecycleController(
            client: controllerClient, nodes: nodes, leases: leases, pods: pods, recorder: recorder,
            options: .init(gracePeriod: options.nodeMonitorGracePeriod), logger: logger)
        let ipam = NodeIPAMController(client: controllerClient, nodes: nodes, recorder: recorder, clusterCIDR: options.clusterCIDR, logger: logger)
        let disruption = DisruptionController(client: controllerClient, budgets: budgets, pods: pods, logger: logger)
        let cronJobs = Informer(client: controllerClient, resource: .cronJobs, logger: logger)
        let cronJobEvents = EventRecorder(client: controllerClient, component: "cronjob-controller", logger: logger)
        let cronJobController = CronJobController(
            client: controllerClient, cronJobs: cronJobs, jobs: jobs, recorder: cronJobEvents, logger: logger)
        let daemonSets = Informer(client: controllerClient, resource: .daemonSets, logger: logger)
        let controllerRevisions = Informer(client: controllerClient, resource: .controllerRevisions, logger: logger)
        let daemonSetEvents = EventRecorder(client: controllerClient, component: "daemonset-controller", logger: logger)
        let daemonSetController = DaemonSetController(
            client: controllerClient, daemonSets: daemonSets, nodes: nodes, pods: pods, revisions: controllerRevisions, recorder: daemonSetEvents,
            logger: logger)
        let statefulSets = Informer(client: controllerClient, resource: .statefulSets, logger: logger)
        let statefulSetEvents = EventRecorder(client: controllerClient, component: "statefulset-controller", logger: logger)
        let statefulSetController = StatefulSetController(
            client: controllerClient, statefulSets: statefulSets, pods: pods, revisions: controllerRevisions, recorder: statefulSetEvents,
            logger: logger)
        let jobEvents = EventRecorder(client: controllerClient, component: "job-controller", logger: logger)
        let jobController = JobController(client: controllerClient, jobs: jobs, pods: pods, recorder: jobEvents, logger: logger)
        let serviceAccountController = ServiceAccountController(
            client: controllerClient, namespaces: namespaces, serviceAccounts: serviceAccounts, logger: logger)
        let rootCAPublisher = RootCAPublisher(
            client: controllerClient, namespaces: namespaces, configMaps: rootCAConfigMaps, caCertificatePEM: options.caCertificatePEM,
            logger: logger)
        let deploymentEvents = EventRecorder(client: controllerClient, component: "deployment-controller", logger: logger)
        let deploymentController = DeploymentController(
            client: controllerClient, deployments: deployments, replicaSets: replicaSets, pods: pods, recorder: deploymentEvents,
            logger: logger)
        let replicaSetController = ReplicaSetController(
            kind: .replicaSet, client: controllerClient, owners: replicaSets, pods: pods, recorder: replicaSetEvents, logger: logger)
        let replicationController = ReplicaSetController(
            kind: .replicationController, client: controllerClient, owners: replicationControllers, pods: pods, recorder: replicationEvents,
            logger: logger)
        let endpoints = EndpointsController(
            client: controllerClient, services: serviceInformer, pods: pods, endpoints: endpointsInformer, logger: logger)
        let endpointSlices = EndpointSliceController(
            client: controllerClient, services: serviceInformer, pods: pods, slices: sliceInformer, logger: logger)
        // The collector watches every resource that carries ownerReferences, sharing the informers the other
        // controllers already run and starting its own for the rest.
        let shared: [ResourceType: Informer] = [
            .pods: pods, .replicaSets: replicaSets, .deployments: deployments, .statefulSets: statefulSets, .daemonSets: daemonSets,
            .jobs: jobs, .cronJobs: cronJobs, .replicationControllers: replicationControllers, .endpoints: endpointsInformer,
            .endpointSlices: sliceInformer, .serviceAccounts: serviceAccounts, .controllerRevisions: controllerRevisions,
        ]
        let collectorOwned = GarbageCollector.resources.filter { shared[$0] == nil }.map { resource in
            Informer(client: controllerClient, resource: resource, logger: logger)
        }
        let collected = GarbageCollector.resources.compactMap { shared[$0] } + collectorOwned
        let garbageCollector = GarbageCollector(client: controllerClient, informers: collected, logger: logger)

        let schedulerClient = client("system:kube-scheduler")
        let schedulerEvents = EventRecorder(client: schedulerClient, component: Scheduler.defaultName, logger: logger)
        let scheduler = Scheduler(
            client: schedulerClient, pods: pods, nodes: nodes, namespaces: namespaces, recorder: schedulerEvents, logger: logger)

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if options.runControllers || options.runScheduler {
            services += [
                .init(service: BackgroundWork(name: "node-informer") { await nodes.run() }),
                .init(service: BackgroundWork(name: "pod-informer") { await pods.run() }),
                .init(service: BackgroundWork(name: "namespace-informer") { await namespaces.run() }),
            ]
        }
        if options.runControllers {
            services += [
                .init(service: BackgroundWork(name: "lease-informer") { await leases.run() }),
                .init(service: BackgroundWork(name: "pdb-informer") { await budgets.run() }),
                .init(service: BackgroundWork(name: "controller-events") { await recorder.run() }),
                .init(service: BackgroundWork(name: "node-lifecycle-controller") { await lifecycle.run() }),
                .init(service: BackgroundWork(name: "node-ipam-controller") { await ipam.run() }),
                .init(service: BackgroundWork(name: "disruption-controller") { await disruption.run() }),
                .init(service: BackgroundWork(name: "serviceaccount-informer") { await serviceAccounts.run() }),
                .init(service: BackgroundWork(name: "root-ca-configmap-informer") { await rootCAConfigMaps.run() }),
                .init(service: BackgroundWork(name: "serviceaccount-controller") { await serviceAccountController.run() }),
                .init(service: BackgroundWork(name: "root-ca-cert-publisher") { await rootCAPublisher.run() }),
                .init(service: BackgroundWork(name: "job-informer") { await jobs.run() }),
                .init(service: BackgroundWork(name: "job-events") { await jobEvents.run() }),
                .init(service: BackgroundWork(name: "job-controller") { await jobController.run() }),
                .init(service: BackgroundWork(name: "cronjob-informer") { await cronJobs.run() }),
                .init(service: BackgroundWork(name: "cronjob-events") { await cronJobEvents.run() }),
                .init(service: BackgroundWork(name: "cronjob-controller") { await cronJobController.run() }),
                .init(service: BackgroundWork(name: "controllerrevision-informer") { await controllerRevisions.run() }),
                .init(service: BackgroundWork(name: "daemonset-informer") { await daemonSets.run() }),
                .init(service: BackgroundWork(name: "daemonset-events") { await daemonSetEvents.run() }),
                .init(service: BackgroundWork(name: "daemonset-controller") { await daemonSetController.run() }),
                .init(service: BackgroundWork(name: "statefulset-informer") { await statefulSets.run() }),
                .init(service: BackgroundWork(name: "statefulset-events") { await statefulSetEvents.run() }),
                .init(service: BackgroundWork(name: "statefulset-controller") { await statefulSetController.run() }),
                .init(service: BackgroundWork(name: "replicaset-informer") { await replicaSets.run() }),
                .init(service: BackgroundWork(name: "replicationcontroller-informer") { await replicationControllers.run() }),
                .init(service: BackgroundWork(name: "replicaset-events") { await replicaSetEvents.run() }),
                .init(service: BackgroundWork(name: "replication-events") { await replicationEvents.run() }),
                .init(service: BackgroundWork(name: "replicaset-controller") { await replicaSetController.run() }),
                .init(service: BackgroundWork(name: "replicationcontroller-controller") { await replicationController.run() }),
                .init(service: BackgroundWork(name: "deployment-informer") { await deployments.run() }),
                .init(service: BackgroundWork(name: "deployment-events") { await deploymentEvents.run() }),
                .init(service: BackgroundWork(name: "deployment-controller") { await deploymentController.run() }),
                .init(service: BackgroundWork(name: "service-informer") { await serviceInformer.run() }),
                .init(service: BackgroundWork(name: "endpoints-informer") { await endpointsInformer.run() }),
                .init(service: BackgroundWork(name: "endpointslice-informer") { await sliceInformer.run() }),
                .init(service: BackgroundWork(name: "endpoints-controller") { await endpoints.run() }),
                .init(service: BackgroundWork(name: "endpointslice-controller") { await endpointSlices.run() }),
            ]
            services += collectorOwned.map { informer in
                .init(service: BackgroundWork(name: "\(informer.resource.resource)-informer") { await informer.run() })
            }
            services.append(.init(service: BackgroundWork(name: "garbage-collector") { await garbageCollector.run() }))
        }
        if options.runScheduler {
            services += [
                .init(service: BackgroundWork(name: "scheduler-events") { await schedulerEvents.run() }),
                .init(service: BackgroundWork(name: "scheduler") { await scheduler.run() }),
            ]
        }
        if options.hollowNodes > 0 {
            let pool = HollowNodePool(
                client: client("system:node:hollow"),
                options: HollowNodeOptions(count: options.hollowNodes, startDelay: options.hollowStartDelay), logger: logger)
            services.append(.init(service: BackgroundWork(name: "hollow-nodes") { await pool.run() }))
        }
        var local: (agent: NodeAgent, nodeName: String)?
        if let agentOptions = options.agent {
            let agent = NodeAgent(client: client("system:node:\(agentOptions.nodeName)"), options: agentOptions, logger: logger)
            local = (agent, agentOptions.nodeName)
            services.append(.init(service: AgentService(agent: agent)))
        }
        api.connectNodes(
            ClusterNodes(
                local: local,
                kubelets: try RemoteKubelets(
                    client: client("system:kube-apiserver"), clientCertificatePEM: options.kubeletClientCertificatePEM,
                    clientKeyPEM: options.kubeletClientKeyPEM)))
        self.services = services
    }
}
