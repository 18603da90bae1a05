import DNSWire
import Foundation

/// Answers queries as the Kubernetes DNS-Based Service Discovery specification (schema 1.1.0) and CoreDNS's
/// kubernetes plugin do, for the cluster domain and for the reverse names of the cluster's addresses:
///
/// - `<service>.<ns>.svc.<zone>`: A for a ClusterIP, one A per published endpoint of a headless Service (NXDOMAIN
///   without any), CNAME for an ExternalName; SRV for each port of the Service.
/// - `<hostname>.<service>.<ns>.svc.<zone>`: the endpoint with that hostname (or dashed address).
/// - `_<port>._<proto>.<service>.<ns>.svc.<zone>`: SRV for a named port, with the targets' A records as additionals.
/// - `<a-b-c-d>.<ns>.pod.<zone>`: A a.b.c.d; `dns-version.<zone>`: TXT with the schema version.
/// - `<d>.<c>.<b>.<a>.in-addr.arpa`: PTR for ClusterIPs and published endpoints.
///
/// A name that exists without the asked type is NODATA, one that does not is NXDOMAIN, both with the zone's SOA;
/// every record lives 5 s. Anything else goes to the node's upstream resolvers.
struct ClusterResolver: Sendable {
    enum Resolution: Sendable {
        case answer(DNSMessage)
        /// Not a cluster name: the upstream resolvers answer it.
        case forward
        /// An ExternalName's CNAME to a name outside the cluster: the response so far, and the question the
        /// upstreams answer the rest of.
        case chase(DNSMessage, DNSQuestion)
    }

    static let ttl: UInt32 = 5
    static let schemaVersion = "1.1.0"
    /// How many CNAMEs inside the cluster domain are followed before giving up (ExternalNames naming each other).
    static let maximumAliases = 8

    let zone: DNSName
    let records: ClusterRecords
    /// The cluster DNS Service's address, the A record of `ns.dns.<zone>`.
    let nameserverAddress: IPv4Address?
    /// The zone's SOA, in every negative answer; its serial is when this server started.
    let soa: DNSResourceRecord

    init(zone: DNSName, records: ClusterRecords, nameserverAddress: IPv4Address?) {
        self.zone = zone
        self.records = records
        self.nameserverAddress = nameserverAddress
        let nameserver = DNSName("ns.dns." + zone.description) ?? zone
        soa = DNSResourceRecord(
            name: zone, ttl: Self.ttl,
            data: .soa(
                primaryNameServer: nameserver, mailbox: DNSName("hostmaster." + zone.description) ?? zone,
                serial: UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970)), refresh: 7200, retry: 1800, expire: 86400,
                minimumTTL: Self.ttl))
    }

    func resolve(_ query: DNSMessage) -> Resolution {
        var response = DNSMessage(respondingTo: query)
        response.recursionAvailable = true
        guard query.opcode == 0 else {
            response.rcode = .notImplemented
            return .answer(response)
        }
        guard query.questions.count == 1, let question = query.questions.first else {
            response.rcode = .formatError
            return .answer(response)
        }
        if let labels = question.name.labels(below: zone) {
            guard question.recordClass == .internet || question.recordClass == .any else {
                response.rcode = .refused
                return .answer(response)
            }
            return answer(question, labels: labels, into: response, aliases: 0)
        }
        if let labels = question.name.labels(below: .reverseIPv4Zone), let pointers = reverseLookup(labels) {
            response.isAuthoritative = true
            let matching = question.type == .ptr || question.type == .any ? pointers : []
            response.answers = matching.map { DNSResourceRecord(name: question.name, ttl: Self.ttl, data: .ptr($0)) }
            if matching.isEmpty { response.authorities = [soa] }
            return .answer(response)
        }
        return .forward
    }

    private func answer(_ question: DNSQuestion, labels: [String], into response: DNSMessage, aliases: Int) -> Resolution {
        var response = response
        response.isAuthoritative = true
        switch lookup(labels) {
        case .missing:
            response.rcode = .nxDomain
            response.authorities = [soa]
        case .found(let data, let additionals):
            let matching = data.filter { question.type == .any || $0.type == question.type }
            response.answers += matching.map { DNSResourceRecord(name: question.name, ttl: Self.ttl, data: $0) }
            if matching.isEmpty { response.authorities = [soa] }
            if matching.contains(where: { $0.type == .srv }) { response.additionals += additionals }
        case .alias(let target):
            response.answers.append(DNSResourceRecord(name: question.name, ttl: Self.ttl, data: .cname(target)))
            guard question.type != .cname else { break }
            let next = DNSQuestion(name: target, type: question.type, recordClass: question.recordClass)
            if let targetLabels = target.labels(below: zone) {
                guard aliases < Self.maximumAliases else {
                    response.rcode = .serverFailure
                    break
                }
                return answer(next, labels: targetLabels, into: response, aliases: aliases + 1)
            }
            return .chase(response, next)
        }
        return .answer(response)
    }

    private enum Lookup {
        /// No such name: NXDOMAIN.
        case missing
        /// The name's records of every type (none: the name exists, without data), and the additionals SRV
        /// answers carry.
        case found([DNSRecordData], additionals: [DNSResourceRecord])
        case alias(DNSName)
    }

    /// The records of the name `labels` below the zone (lowercased, leftmost first).
    private func lookup(_ labels: [String]) -> Lookup {
        switch (labels.last, labels.count) {
        case (nil, _):
            return .found([soa.data, .ns(name(["ns", "dns"]))], additionals: [])
        case ("dns-version", 1):
            return .found([.txt([Self.schemaVersion])], additionals: [])
        case ("dns", 2) where labels[0] == "ns":
            return .found(nameserverAddress.map { [.a($0)] } ?? [], additionals: [])
        case ("svc", 1):
            return .found([], additionals: [])
        case ("svc", 2):
            return records.namespaceExists(labels[0]) ? .found([], additionals: []) : .missing
        case ("svc", 3):
            return service(labels[0], namespace: labels[1])
        case ("svc", 4):
            return endpoint(labels[0], service: labels[1], namespace: labels[2])
        case ("svc", 5) where labels[0].hasPrefix("_") && labels[1].hasPrefix("_"):
            return ports(String(labels[0].dropFirst()), proto: String(labels[1].dropFirst()), service: labels[2], namespace: labels[3])
        case ("pod", 3):
            // Any pod address, written with dashes, as kube-dns and CoreDNS's `pods insecure` answer it.
            return IPv4Address(labels[0].replacingOccurrences(of: "-", with: ".")).map { .found([.a($0)], additionals: []) } ?? .missing
        default:
            return .missing
        }
    }

    private func service(_ name: String, namespace: String) -> Lookup {
        guard let service = records.service(name: name, namespace: namespace) else { return .missing }
        if let target = service.externalName { return .alias(target) }
        if service.isHeadless {
            guard !service.endpoints.isEmpty else { return .missing }
            let named = service.ports.filter { !$0.name.isEmpty }
            let addresses = service.endpoints.map { DNSRecordData.a($0.address) }
            let services = service.endpoints.flatMap { endpoint in
                named.map { port in srv(port, target: self.name([endpoint.hostname, service.name, service.namespace, "svc"]), count: service.endpoints.count) }
            }
            return .found(addresses + services, additionals: endpointAddresses(service))
        }
        let target = self.name([service.name, service.namespace, "svc"])
        let addresses = service.clusterIPs.map { DNSRecordData.a($0) }
        let services = service.ports.filter { !$0.name.isEmpty }.map { srv($0, target: target, count: 1) }
        return .found(addresses + services, additionals: service.clusterIPs.map { DNSResourceRecord(name: target, ttl: Self.ttl, data: .a($0)) })
    }

    private func endpoint(_ hostname: String, service name: String, namespace: String) -> Lookup {
        guard let service = records.service(name: name, namespace: namespace) else { return .missing }
        let matching = service.endpoints.filter { $0.hostname == hostname }
        return matching.isEmpty ? .missing : .found(matching.map { .a($0.address) }, additionals: [])
    }

    private func ports(_ port: String, proto: String, service name: String, namespace: String) -> Lookup {
        guard let service = records.service(name: name, namespace: namespace), !port.isEmpty else { return .missing }
        let matching = service.ports.filter { $0.name == port && $0.proto == proto }
        guard !matching.isEmpty else { return .missing }
        if service.isHeadless {
            let services = service.endpoints.flatMap { endpoint in
                matching.map { srv($0, target: self.name([endpoint.hostname, service.name, service.namespace, "svc"]), count: service.endpoints.count) }
            }
            return .found(services, additionals: endpointAddresses(service))
        }
        let target = self.name([service.name, service.namespace, "svc"])
        return .found(
            matching.map { srv($0, target: target, count: 1) },
            additionals: service.clusterIPs.map { DNSResourceRecord(name: target, ttl: Self.ttl, data: .a($0)) })
    }

    /// An SRV record for `port` at `target`: priority 0, the weight shared among `count` targets, as CoreDNS does.
    private func srv(_ port: ServiceRecords.Port, target: DNSName, count: Int) -> DNSRecordData {
        .srv(priority: 0, weight: UInt16(100 / max(1, count)), port: port.number, target: target)
    }

    private func endpointAddresses(_ service: ServiceRecords) -> [DNSResourceRecord] {
        service.endpoints.map {
            DNSResourceRecord(name: name([$0.hostname, service.name, service.namespace, "svc"]), ttl: Self.ttl, data: .a($0.address))
        }
    }

    /// The PTR targets of the address `labels` (d.c.b.a) spells, nil when the cluster has no name for it.
    private func reverseLookup(_ labels: [String]) -> [DNSName]? {
        guard labels.count == 4, let address = IPv4Address(labels.reversed().joined(separator: ".")) else { return nil }
        let names = records.services(publishing: address).flatMap { service in
            service.clusterIPs.filter { $0 == address }.map { _ in name([service.name, service.namespace, "svc"]) }
                + service.endpoints.filter { $0.address == address }.map { name([$0.hostname, service.name, service.namespace, "svc"]) }
        }
        return names.isEmpty ? nil : names
    }

    /// `labels` followed by the zone.
    private func name(_ labels: [String]) -> DNSName {
        DNSName(labels.joined(separator: ".") + "." + zone.description) ?? zone
    }
}
