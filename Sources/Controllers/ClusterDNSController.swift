import APIMachinery
import ControllerRuntime
import KubeClient
import KubeObjects
import Logging

/// Keeps the cluster DNS reachable at its conventional address: the `kube-dns` Service in `kube-system` with the
/// ClusterIP pods' resolv.conf names (k3s' 10.43.0.10) and CoreDNS's ports (53/UDP, 53/TCP, 9153/TCP metrics),
/// recreated if deleted; and its EndpointSlice, listing the DNS address every node publishes on its Node (the
/// `skiff.dev/cluster-dns` annotation), ready while the node is. The Service's `internalTrafficPolicy: Local` sends
/// each node's queries to its own DNS.
public final class ClusterDNSController: Sendable {
    public static let serviceName = "kube-dns"
    static let namespace = "kube-system"
    static let sliceName = "kube-dns-nodes"
    static let addressAnnotation = "skiff.dev/cluster-dns"
    static let managedBy = "cluster-dns.skiff.dev"
    static let key = "kube-dns"

    private let client: KubeClient
    private let nodes: Informer
    private let services: Informer
    private let slices: Informer
    private let clusterIP: String
    private let logger: Logger
    private let queue = WorkQueue<String>()

    /// - Parameter clusterIP: the Service's address (the server's `--cluster-dns`).
    public init(context: ControllerContext, clusterIP: String) {
        client = context.client
        nodes = context.informer(.nodes)
        services = context.informer(.services, namespace: Self.namespace, selectors: ListOptions(fieldSelector: "metadata.name=\(Self.serviceName)"))
        slices = context.informer(.endpointSlices, namespace: Self.namespace, selectors: ListOptions(fieldSelector: "metadata.name=\(Self.sliceName)"))
        self.clusterIP = clusterIP
        logger = context.logger
    }

    public func run() async {
        let any = InformerHandler(
            onAdd: { [queue] _ in queue.add(Self.key) }, onUpdate: { [queue] _, _ in queue.add(Self.key) }, onDelete: { [queue] _ in queue.add(Self.key) })
        await ControllerWorkers.run(
            queue, watching: [Watch(nodes, any), Watch(services, any), Watch(slices, any)], workers: 1, name: "cluster-dns-controller",
            logger: logger
        ) { _ throws(APIError) in
            try await self.reconcile()
        }
    }

    private func reconcile() async throws(APIError) -> ReconcileResult {
        if services.get(ObjectKey(namespace: Self.namespace, name: Self.serviceName)) == nil {
            do {
                _ = try await client.create(.services, namespace: Self.namespace, service)
            } catch where error.isAlreadyExists {
                return .done
            } catch {
                // A create made just before may not be in the informer's cache yet, and the API server reports its
                // address taken before its name: that is no failure.
                if (try? await client.get(.services, namespace: Self.namespace, name: Self.serviceName)) != nil { return .done }
                // Most likely another Service holds the address; the Service's absence is logged until it is freed.
                logger.warning("kube-dns Service not created", metadata: ["clusterIP": "\(clusterIP)", "error": "\(error.message)"])
                return .requeue(after: .seconds(30))
            }
        }
        let endpoints = endpoints
        if var existing = slices.get(ObjectKey(namespace: Self.namespace, name: Self.sliceName)) {
            guard existing["endpoints"] != endpoints || existing["ports"] != Self.slicePorts else { return .done }
            existing["endpoints"] = endpoints
            existing["ports"] = Self.slicePorts
            _ = try await client.update(.endpointSlices, existing)
        } else {
            let slice: JSONValue = [
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": [
                    "name": .string(Self.sliceName), "namespace": .string(Self.namespace),
                    "labels": [
                        EndpointSlice.serviceNameLabel: .string(Self.serviceName),
                        "endpointslice.kubernetes.io/managed-by": .string(Self.managedBy),
                    ],
                ],
                "addressType": "IPv4", "ports": Self.slicePorts, "endpoints": endpoints,
            ]
            do {
                _ = try await client.create(.endpointSlices, namespace: Self.namespace, slice)
            } catch where error.isAlreadyExists {
                return .done
            }
        }
        return .done
    }

    /// One endpoint per node that serves DNS, in name order.
    private var endpoints: JSONValue {
        .array(
            nodes.list().sorted { $0.metadata.name < $1.metadata.name }.compactMap { json in
                guard let address = json.metadata.annotations[Self.addressAnnotation] else { return nil }
                let ready = Node(json).status.conditions["Ready"]?.isTrue ?? false
                return [
                    "addresses": [.string(address)], "nodeName": .string(json.metadata.name),
                    "conditions": ["ready": .bool(ready), "serving": .bool(ready), "terminating": false],
                ]
            })
    }

    static let slicePorts: JSONValue = [
        ["name": "dns", "port": 53, "protocol": "UDP"], ["name": "dns-tcp", "port": 53, "protocol": "TCP"],
        ["name": "metrics", "port": 9153, "protocol": "TCP"],
    ]

    private var service: JSONValue {
        [
            "apiVersion": "v1", "kind": "Service",
            "metadata": [
                "name": .string(Self.serviceName), "namespace": .string(Self.namespace),
                "labels": ["k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "SkiffDNS"],
            ],
            "spec": [
                "clusterIP": .string(clusterIP), "clusterIPs": [.string(clusterIP)], "internalTrafficPolicy": "Local",
                "ports": [
                    ["name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53], ["name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53],
                    ["name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153],
                ],
            ],
        ]
    }
}
