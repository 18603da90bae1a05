import KubeObjects
import NIOCore
import Synchronization

/// The ready endpoints of one Service port, taken in turn.
final class EndpointRotation: Sendable {
    let addresses: [SocketAddress]
    private let next = Atomic<Int>(0)

    init(addresses: [SocketAddress]) {
        self.addresses = addresses
    }

    /// The next endpoint in round-robin order, skipping `excluded` when another is left.
    func pick(excluding excluded: SocketAddress? = nil) -> SocketAddress? {
        guard !addresses.isEmpty else { return nil }
        let turn = Int(next.wrappingAdd(1, ordering: .relaxed).oldValue.magnitude % UInt(addresses.count))
        let address = addresses[turn]
        if address == excluded, addresses.count > 1 { return addresses[(turn + 1) % addresses.count] }
        return address
    }
}

/// A Service's ports and, per port name, its ready endpoints from the Service's EndpointSlices.
struct ServiceEndpoints: Sendable {
    var ports: [ServicePort]
    var endpointsByPortName: [String: EndpointRotation]

    init(service: Service, slices: [EndpointSlice]) {
        ports = service.spec.ports
        var addresses: [String: [SocketAddress]] = [:]
        for slice in slices where slice.addressType == "IPv4" {
            for port in slice.ports {
                guard let number = port.port, port.protocol == "TCP" else { continue }
                for endpoint in slice.endpoints where endpoint.ready {
                    for address in endpoint.addresses {
                        if let socket = try? SocketAddress(ipAddress: address, port: Int(number)) { addresses[port.name, default: []].append(socket) }
                    }
                }
            }
        }
        endpointsByPortName = addresses.mapValues { EndpointRotation(addresses: $0) }
    }

    /// The endpoints behind the Service port `reference` names by number or name; nil when the Service has no such
    /// port.
    func endpoints(for reference: PortReference) -> EndpointRotation? {
        let port = ports.first { servicePort in
            switch reference {
            case .number(let number): servicePort.port == number
            case .name(let name): servicePort.name == name
            }
        }
        guard let port else { return nil }
        return endpointsByPortName[port.name] ?? EndpointRotation(addresses: [])
    }
}
