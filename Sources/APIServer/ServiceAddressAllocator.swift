import APIMachinery
import KubeObjects
import Synchronization

/// Hands out Service cluster IPs from the service CIDR and node ports from 30000-32767, as kube-apiserver does.
///
/// Addresses in use are read from the stored Services, at most every few seconds (reading and decoding every Service
/// on each create made creating the 10 000th Service cost as much as listing them all); what was handed out since is
/// added to that reading, and the ones handed out but maybe not yet stored are remembered briefly so that two
/// concurrent creates never receive the same address. A requested address or port that looks taken is checked
/// against a fresh reading, since it may have been freed since the last.
final class ServiceAddressAllocator: Sendable {
    struct CIDR: Sendable {
        let base: UInt32
        let size: UInt32

        init(_ text: String) throws(APIError) {
            let parts = text.split(separator: "/")
            guard parts.count == 2, let prefix = UInt32(parts[1]), prefix >= 8, prefix <= 30,
                let address = CIDR.parse(String(parts[0]))
            else {
                throw APIError.badRequest("invalid service CIDR \(text): expected an IPv4 range such as 10.43.0.0/16")
            }
            size = UInt32(1) << (32 - prefix)
            base = address & ~(size - 1)
        }

        static func parse(_ text: String) -> UInt32? {
            let octets = text.split(separator: ".").compactMap { UInt32($0) }
            guard octets.count == 4, octets.allSatisfy({ $0 < 256 }) else { return nil }
            return octets.reduce(0) { $0 << 8 | $1 }
        }

        static func format(_ address: UInt32) -> String {
            [24, 16, 8, 0].map { String((address >> UInt32($0)) & 0xff) }.joined(separator: ".")
        }

        func contains(_ address: UInt32) -> Bool { address >= base && address < base + size }
        /// The network's `.1` address, kept for the `kubernetes` Service as in Kubernetes.
        var first: UInt32 { base + 1 }
    }

    static let nodePortRange: ClosedRange<Int64> = 30000...32767

    let cidr: CIDR
    private let pending = Mutex<(addresses: Set<UInt32>, ports: Set<Int64>)>(([], []))
    private struct Usage {
        var addresses: Set<UInt32>
        var ports: Set<Int64>
        var readAt: ContinuousClock.Instant
    }
    private let usage = Mutex<Usage?>(nil)
    static let usageRefreshInterval: Duration = .seconds(5)

    init(cidr: String) throws(APIError) {
        self.cidr = try CIDR(cidr)
    }

    var kubernetesServiceIP: String { CIDR.format(cidr.first) }

    /// The addresses and node ports the stored Services hold, re-read when the last reading is old or `fresh` is asked.
    private func inUse(_ existing: () async throws(APIError) -> [JSONValue], fresh: Bool) async throws(APIError) -> (Set<UInt32>, Set<Int64>) {
        let now = ContinuousClock.now
        if !fresh, let cached = usage.withLock({ $0 }), now - cached.readAt < Self.usageRefreshInterval { return (cached.addresses, cached.ports) }
        let services = try await existing()
        let reading = Usage(
            addresses: Set(services.compactMap { $0[path: "spec", "clusterIP"]?.stringValue.flatMap(CIDR.parse) }),
            ports: Set(services.flatMap { ($0[path: "spec", "ports"]?.arrayValue ?? []).compactMap { $0["nodePort"]?.integerValue } }),
            readAt: now)
        usage.withLock { $0 = reading }
        return (reading.addresses, reading.ports)
    }

    func assignAddresses(to service: inout JSONValue, existing: () async throws(APIError) -> [JSONValue]) async throws(APIError) {
        var (usedAddresses, usedPorts) = try await inUse(existing, fresh: false)
        let requestedAddress = (service[path: "spec", "clusterIP"]?.stringValue).flatMap(CIDR.parse)
        let requestedPorts = (service[path: "spec", "ports"]?.arrayValue ?? []).compactMap { $0["nodePort"]?.integerValue }.filter { $0 != 0 }
        if requestedAddress.map(usedAddresses.contains) == true || requestedPorts.contains(where: usedPorts.contains) {
            (usedAddresses, usedPorts) = try await inUse(existing, fresh: true)
        }
        defer { remember(service) }
        let type = service[path: "spec", "type"]?.stringValue ?? "ClusterIP"
        var causes: [StatusCause] = []

        if type != "ExternalName" {
            let requested = service[path: "spec", "clusterIP"]?.stringValue ?? ""
            if requested.isEmpty {
                guard let address = reserveAddress(excluding: usedAddresses) else {
                    throw APIError.internalError("failed to allocate a serviceIP: range is full")
                }
                service[path: "spec", "clusterIP"] = .string(CIDR.format(address))
                service[path: "spec", "clusterIPs"] = [.string(CIDR.format(address))]
            } else if requested != "None" {
                guard let address = CIDR.parse(requested), cidr.contains(address) else {
                    throw APIError.invalid(
                        kind: "Service", group: "", name: service.metadata.name,
                        causes: [.invalid("spec.clusterIPs", value: .string(requested), "failed to allocate IP \(requested): the provided IP (\(requested)) is not in the valid range. The range of valid IPs is \(CIDR.format(cidr.base))/\(32 - cidr.size.trailingZeroBitCount)")])
                }
                if usedAddresses.contains(address) {
                    causes.append(.invalid("spec.clusterIPs", value: .string(requested), "failed to allocate IP \(requested): provided IP is already allocated"))
                }
                service[path: "spec", "clusterIPs"] = [.string(requested)]
            } else {
                service[path: "spec", "clusterIPs"] = ["None"]
            }
        }

        if type == "NodePort" || type == "LoadBalancer", var ports = service[path: "spec", "ports"]?.arrayValue {
            var taken = usedPorts
            for index in ports.indices {
                if let requested = ports[index]["nodePort"]?.integerValue, requested != 0 {
                    if taken.contains(requested) {
                        causes.append(.invalid("spec.ports[\(index)].nodePort", value: .integer(requested), "provided port is already allocated"))
                    } else if !Self.nodePortRange.contains(requested) {
                        causes.append(.invalid("spec.ports[\(index)].nodePort", value: .integer(requested), "provided port is not in the valid range. The range of valid ports is 30000-32767"))
                    }
                    taken.insert(requested)
                    continue
                }
                // A load balancer that does not route through node ports asks for none; requested ones are kept.
                if type == "LoadBalancer", service[path: "spec", "allocateLoadBalancerNodePorts"] == .bool(false) { continue }
                guard let port = reservePort(excluding: taken) else {
                    throw APIError.internalError("failed to allocate a nodePort: range is full")
                }
                taken.insert(port)
                ports[index]["nodePort"] = .integer(port)
            }
            service[path: "spec", "ports"] = .array(ports)
        }
        if !causes.isEmpty {
            throw APIError.invalid(kind: "Service", group: "", name: service.metadata.name, causes: causes)
        }
    }

    /// Counts what `service` was given as in use until the next reading of the store.
    private func remember(_ service: JSONValue) {
        let address = (service[path: "spec", "clusterIP"]?.stringValue).flatMap(CIDR.parse)
        let ports = (service[path: "spec", "ports"]?.arrayValue ?? []).compactMap { $0["nodePort"]?.integerValue }
        usage.withLock { usage in
            if let address { usage?.addresses.insert(address) }
            usage?.ports.formUnion(ports)
        }
    }

    /// An update that leaves cluster IPs or node ports empty keeps the ones allocated before, as Kubernetes does.
    static func keepAllocated(_ service: inout JSONValue, old: JSONValue) {
        if (service[path: "spec", "clusterIP"]?.stringValue ?? "").isEmpty, let address = old[path: "spec", "clusterIP"] {
            service[path: "spec", "clusterIP"] = address
            service[path: "spec", "clusterIPs"] = old[path: "spec", "clusterIPs"]
        }
        guard var ports = service[path: "spec", "ports"]?.arrayValue else { return }
        let oldPorts = old[path: "spec", "ports"]?.arrayValue ?? []
        for index in ports.indices where ports[index]["nodePort"] == nil {
            if let match = oldPorts.first(where: { $0["port"] == ports[index]["port"] && $0["protocol"] == ports[index]["protocol"] }),
                let nodePort = match["nodePort"]
            {
                ports[index]["nodePort"] = nodePort
            }
        }
        service[path: "spec", "ports"] = .array(ports)
    }

    private func reserveAddress(excluding used: Set<UInt32>) -> UInt32? {
        pending.withLock { pending in
            // Keep the pending set small: it only needs to cover creates in flight.
            if pending.addresses.count > 1024 { pending.addresses.removeAll() }
            let count = cidr.size - 2
            let start = UInt32.random(in: 0..<count)
            for offset in 0..<count {
                let address = cidr.base + 1 + (start + offset) % count
                if address == cidr.first { continue }
                if !used.contains(address) && !pending.addresses.contains(address) {
                    pending.addresses.insert(address)
                    return address
                }
            }
            return nil
        }
    }

    private func reservePort(excluding used: Set<Int64>) -> Int64? {
        pending.withLock { pending in
            if pending.ports.count > 512 { pending.ports.removeAll() }
            let span = Self.nodePortRange.upperBound - Self.nodePortRange.lowerBound + 1
            let start = Int64.random(in: 0..<span)
            for offset in 0..<span {
                let port = Self.nodePortRange.lowerBound + (start + offset) % span
                if !used.contains(port) && !pending.ports.contains(port) {
                    pending.ports.insert(port)
                    return port
                }
            }
            return nil
        }
    }
}
