import APIMachinery
import DNSWire
import KubeObjects

/// What the cluster DNS answers about one Service, from the Service and its EndpointSlices: its ClusterIP (none for
/// a headless Service), its ExternalName, its ports, and its endpoints with their hostnames.
struct ServiceRecords: Sendable, Equatable {
    struct Port: Sendable, Equatable {
        /// The port's name, lowercased (SRV records exist only for named ports).
        var name: String
        /// `tcp`, `udp` or `sctp`, as SRV names spell the protocol.
        var proto: String
        var number: UInt16
    }

    struct Endpoint: Sendable, Equatable {
        var address: IPv4Address
        /// The endpoint's `hostname` (a StatefulSet pod's name, a pod's `hostname` under a matching `subdomain`),
        /// lowercased; else its address with dashes, as CoreDNS names endpoints.
        var hostname: String
        /// Whether the endpoint has a name of its own (only those get PTR records).
        var hasHostname: Bool
    }

    var name: String
    var namespace: String
    var clusterIPs: [IPv4Address]
    var externalName: DNSName?
    var ports: [Port]
    /// The endpoints DNS publishes: the ready ones, or all with `publishNotReadyAddresses`.
    var endpoints: [Endpoint]

    var isHeadless: Bool { clusterIPs.isEmpty && externalName == nil }

    /// The records of `service` and its `slices` (each at most once per address), nil for a Service DNS has no
    /// name for.
    init?(service json: JSONValue, slices: [JSONValue]) {
        let service = Service(json)
        name = service.metadata.name.lowercased()
        namespace = (service.metadata.namespace ?? "default").lowercased()
        if service.spec.type == "ExternalName" {
            guard let target = service.spec.externalName.flatMap({ DNSName($0) }) else { return nil }
            externalName = target
            clusterIPs = []
        } else {
            externalName = nil
            clusterIPs = service.spec.clusterIPs.compactMap { IPv4Address($0) }
        }
        ports = service.spec.ports.compactMap { port in
            guard let number = port.port, let value = UInt16(exactly: number) else { return nil }
            return Port(name: port.name.lowercased(), proto: port.protocol.lowercased(), number: value)
        }
        let publishNotReady = service.spec.publishNotReadyAddresses
        var seen: Set<IPv4Address> = []
        var endpoints: [Endpoint] = []
        for slice in slices.map(EndpointSlice.init) where slice.addressType == "IPv4" {
            for endpoint in slice.endpoints where endpoint.ready || publishNotReady {
                for text in endpoint.addresses {
                    guard let address = IPv4Address(text), seen.insert(address).inserted else { continue }
                    let hostname = endpoint.hostname?.lowercased()
                    endpoints.append(
                        Endpoint(
                            address: address, hostname: hostname ?? text.replacingOccurrences(of: ".", with: "-"), hasHostname: hostname != nil))
                }
            }
        }
        self.endpoints = endpoints.sorted { $0.address.value < $1.address.value }
    }
}
