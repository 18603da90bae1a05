import APIMachinery
import APIServer
import ControllerRuntime
import Controllers
import Foundation
import HollowNodes
import KubeClient
import Logging
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
        var hollowStartDelay: Duration
    }

    let services: [ServiceGroupConfiguration.ServiceConfiguration]

    init(api: KubernetesAPI, options: Options, logger: Logger) {
        func client(_ user: String) -> KubeClient {
            KubeClient(transport: InProcessTransport(api: api, user: user), fieldManager: user.split(separator: ":").last.map(String.init) ?? user)
        }
        let controllerClient = client("system:kube-controller-manager")
        let nodes = Informer(client: controllerClient, resource: .nodes, logger: logger)
        let pods = Informer(client: controllerClient, resource: .pods, logger: logger)
        let leases = Informer(client: controllerClient, resource: .leases, namespace: "kube-node-lease", logger: logger)
        let namespaces = Informer(client: controllerClient, resource: .namespaces, logger: logger)
        let budgets = Informer(client: controllerClient, resource: .podDisruptionBudgets, logger: logger)
        let recorder = EventRecorder(client: controllerClient, component: "node-controller", logger: logger)

        let lifecycle = NodeLifecycleController(
            client: controllerClient, nodes: nodes, leases: leases, pods: pods, recorder: recorder,
            options: .init(gracePeriod: options.nodeMonitorGracePeriod), logger: logger)
        let ipam = NodeIPAMController(client: controllerClient, nodes: nodes, recorder: recorder, clusterCIDR: options.clusterCIDR, logger: logger)
        let disruption = DisruptionController(client: controllerClient, budgets: budgets, pods: pods, logger: logger)
        // The collector watches every resource that carries ownerReferences; pods share the informer above.
        let collected = GarbageCollector.resources.map { resource in
            resource == .pods ? pods : Informer(client: controllerClient, resource: resource, logger: logger)
        }
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
            ]
            services += collected.filter { $0.resource != .pods }.map { informer in
                .init(service: BackgroundWork(name: "\(informer.resource.resource)-informer") { await informer.run() })
            }
            services.append(.init(service: BackgroundWork(name: "garbage-collector") { await garbageCollector.run() }))
        }
        if options.runScheduler {
            services += [
                .init(service: BackgroundWork(name: "namespace-informer") { await namespaces.run() }),
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
        self.services = services
    }
}
