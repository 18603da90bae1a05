import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging

/// Serves `type: LoadBalancer` Services without a cloud, as k3s' ServiceLB does: a Service gets the nodes' internal
/// addresses in `status.loadBalancer.ingress`, and every node's service proxy forwards `<node address>:<port>` to its
/// endpoints. Two Services cannot both take a port of the nodes' addresses: the one created first keeps it, the other
/// stays pending with an event saying which Service holds the port, and gets its addresses once the port is free. A
/// Service naming a `loadBalancerClass` is left to that class's implementation.
public final class ServiceLoadBalancerController: Sendable {
    private let client: KubeClient
    private let services: Informer
    private let nodes: Informer
    private let recorder: EventRecorder
    private let logger: Logger
    private let queue = WorkQueue<ObjectKey>()

    public init(context: ControllerContext) {
        client = context.client
        services = context.informer(.services)
        nodes = context.informer(.nodes)
        recorder = context.recorder(component: "service-lb-controller")
        logger = context.logger
    }

    public func run() async {
        // A Service's port freed, or a node's address changed: every LoadBalancer Service is looked at again.
        let everyLoadBalancer: @Sendable (JSONValue) -> Void = { [services, queue] _ in
            for service in services.list() where Self.isServed(service) { queue.add(ObjectKey(service)) }
        }
        let watches = [
            Watch(
                services,
                InformerHandler(
                    onAdd: { [queue] service in if Self.isServed(service) { queue.add(ObjectKey(service)) } },
                    onUpdate: { [queue] old, new in
                        if Self.isServed(new) { queue.add(ObjectKey(new)) }
                        if Self.isServed(old) && (!Self.isServed(new) || old["spec"] != new["spec"]) { everyLoadBalancer(old) }
                    },
                    onDelete: { service in if Self.isServed(service) { everyLoadBalancer(service) } })),
            Watch(
                nodes,
                InformerHandler(
                    onAdd: everyLoadBalancer,
                    onUpdate: { old, new in if Node(old).status.internalIPs != Node(new).status.internalIPs { everyLoadBalancer(new) } },
                    onDelete: everyLoadBalancer)),
        ]
        await ControllerWorkers.run(queue, watching: watches, workers: 1, name: "service-lb", logger: logger) { key throws(APIError) in
            try await self.reconcile(key)
        }
    }

    /// A LoadBalancer Service this controller serves (no other class asked for).
    static func isServed(_ service: JSONValue) -> Bool {
        let view = Service(service)
        return view.spec.type == "LoadBalancer" && view.spec.loadBalancerClass == nil
    }

    /// Who holds each (port, protocol) of the nodes' addresses: a Service that has its addresses keeps them, and
    /// among the others the oldest (creation times have whole seconds: two Services of the same second go by name).
    static func portHolders(_ services: [JSONValue]) -> [String: ObjectKey] {
        var holders: [String: ObjectKey] = [:]
        func order(_ service: JSONValue) -> (Int, String, String, String) {
            let serving = Service(service).status.loadBalancerIPs.isEmpty ? 1 : 0
            return (serving, service.metadata.creationTimestamp ?? "", service.metadata.namespace ?? "", service.metadata.name)
        }
        let ordered = services.filter(isServed).sorted { order($0) < order($1) }
        for service in ordered {
            let ports = Service(service).spec.ports.compactMap { port in port.port.map { "\($0)/\(port.protocol)" } }
            guard ports.allSatisfy({ holders[$0] == nil }) else { continue }
            for port in ports { holders[port] = ObjectKey(service) }
        }
        return holders
    }

    private func reconcile(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard var service = services.get(key), Self.isServed(service) else { return .done }
        let holders = Self.portHolders(services.list())
        let ports = Service(service).spec.ports.compactMap { port in port.port.map { "\($0)/\(port.protocol)" } }
        var ingress: [JSONValue] = []
        if let taken = ports.first(where: { holders[$0] != key }) {
            let holder = holders[taken].map { "\($0)" } ?? "another Service"
            recorder.record(
                service, type: .warning, reason: "SyncLoadBalancerFailed",
                message: "Error syncing load balancer: port \(taken) of the nodes' addresses is already used by LoadBalancer Service \(holder)")
        } else {
            let addresses = Set(nodes.list().flatMap { Node($0).status.internalIPs }).sorted()
            ingress = addresses.map { ["ip": .string($0), "ipMode": "VIP"] }
        }
        let current = service[path: "status", "loadBalancer", "ingress"]?.arrayValue ?? []
        guard current != ingress else { return .done }
        service[path: "status", "loadBalancer"] = ingress.isEmpty ? .emptyObject : ["ingress": .array(ingress)]
        _ = try await client.update(.services, service, subresource: "status")
        if !ingress.isEmpty {
            recorder.record(service, type: .normal, reason: "UpdatedLoadBalancer", message: "Updated LoadBalancer with new IPs: \(ingress.compactMap { $0["ip"]?.stringValue })")
        }
        return .done
    }
}
