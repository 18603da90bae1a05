import APIMachinery
import KubeObjects

/// One port of one Service as the proxy programs it: where clients send (the ClusterIP and port), and the endpoints
/// a new connection may go to.
struct ProxiedPort: Sendable, Equatable {
    struct Endpoint: Sendable, Equatable, Comparable {
        var ip: String
        var port: Int64
        var ready: Bool
        var serving: Bool
        var terminating: Bool
        /// The node the endpoint runs on, when the slice says.
        var nodeName: String?

        static func < (lhs: Endpoint, rhs: Endpoint) -> Bool { (lhs.ip, lhs.port) < (rhs.ip, rhs.port) }
    }

    var namespace: String
    var serviceName: String
    /// The Service port's name ("" when the Service has one unnamed port).
    var portName: String
    /// `tcp`, `udp` or `sctp`, as nftables writes the protocol.
    var proto: String
    var clusterIP: String
    var port: Int64
    /// The port on every node address (NodePort and LoadBalancer Services).
    var nodePort: Int64?
    /// The addresses a LoadBalancer Service was given, reached on `port`.
    var loadBalancerIPs: [String] = []
    /// `externalTrafficPolicy: Local`: node-port and load-balancer traffic only to this node's endpoints, with the
    /// client's address kept.
    var externalLocal = false
    /// `internalTrafficPolicy: Local`: ClusterIP traffic only to this node's endpoints.
    var internalLocal = false
    /// Seconds a client keeps its endpoint (`sessionAffinity: ClientIP`); nil without affinity.
    var affinityTimeout: Int64?
    var endpoints: [Endpoint]

    /// The endpoints new connections go to, as kube-proxy picks them: the ready ones; when none is ready, those
    /// still serving while they terminate (so that a rolling update does not drop connections in between).
    var usableEndpoints: [Endpoint] {
        let ready = endpoints.filter(\.ready)
        return ready.isEmpty ? endpoints.filter { $0.serving && $0.terminating } : ready
    }

    /// `namespace/name` of the Service.
    var serviceKey: String { "\(namespace)/\(serviceName)" }

    /// `namespace/name/proto/port-name` (kube-proxy's "service port name"), `p<port>` for an unnamed port.
    var identity: String { "\(namespace)/\(serviceName)/\(proto)/\(portName.isEmpty ? "p\(port)" : portName)" }

    /// The proxied ports of every Service that has a ClusterIP: each Service port with the endpoints of its
    /// EndpointSlices (IPv4 ones) whose port has the same name and protocol. Headless and ExternalName Services
    /// get none (DNS answers them), nor do ports with a protocol nftables cannot match here.
    static func all(services: [JSONValue], slices: [JSONValue]) -> [ProxiedPort] {
        var slicesByService: [String: [EndpointSlice]] = [:]
        for json in slices {
            let slice = EndpointSlice(json)
            guard slice.addressType == "IPv4", let service = slice.serviceName else { continue }
            slicesByService["\(slice.metadata.namespace ?? "")/\(service)", default: []].append(slice)
        }
        var result: [ProxiedPort] = []
        for json in services {
            let service = Service(json)
            guard service.spec.type != "ExternalName", let clusterIP = service.spec.clusterIP, clusterIP != "None",
                IPv4CIDR(clusterIP + "/32") != nil
            else { continue }
            let namespace = service.metadata.namespace ?? ""
            let serviceSlices = slicesByService["\(namespace)/\(service.metadata.name)"] ?? []
            for servicePort in service.spec.ports {
                guard let port = servicePort.port, let proto = Self.nftablesProtocol(servicePort.protocol) else { continue }
                var endpoints: [Endpoint] = []
                for slice in serviceSlices {
                    guard let slicePort = slice.ports.first(where: { $0.name == servicePort.name && $0.protocol == servicePort.protocol }),
                        let targetPort = slicePort.port
                    else { continue }
                    for endpoint in slice.endpoints {
                        for address in endpoint.addresses {
                            endpoints.append(
                                Endpoint(
                                    ip: address, port: targetPort, ready: endpoint.ready, serving: endpoint.serving,
                                    terminating: endpoint.terminating, nodeName: endpoint.nodeName))
                        }
                    }
                }
                result.append(
                    ProxiedPort(
                        namespace: namespace, serviceName: service.metadata.name, portName: servicePort.name, proto: proto, clusterIP: clusterIP,
                        port: port, nodePort: servicePort.nodePort, loadBalancerIPs: service.status.loadBalancerIPs,
                        externalLocal: service.spec.externalTrafficPolicy == "Local", internalLocal: service.spec.internalTrafficPolicy == "Local",
                        affinityTimeout: service.spec.sessionAffinity == "ClientIP" ? service.spec.sessionAffinityTimeoutSeconds : nil,
                        endpoints: Self.unique(endpoints)))
            }
        }
        return result.sorted { $0.identity < $1.identity }
    }

    /// Each endpoint once (a pod listed by two slices during a handover), in a stable order.
    private static func unique(_ endpoints: [Endpoint]) -> [Endpoint] {
        var seen: Set<String> = []
        return endpoints.sorted().filter { seen.insert("\($0.ip):\($0.port)").inserted }
    }

    static func nftablesProtocol(_ kubernetes: String) -> String? {
        switch kubernetes {
        case "TCP": "tcp"
        case "UDP": "udp"
        case "SCTP": "sctp"
        default: nil
        }
    }
}
