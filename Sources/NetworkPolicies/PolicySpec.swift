import APIMachinery

/// A `networking.k8s.io/v1` NetworkPolicy as the enforcer reads it: which pods it isolates in which directions, and
/// the traffic each of its rules allows. Read once per change of the object, with the API's defaults where a field is
/// left out (policyTypes from the presence of egress rules, TCP as the protocol).
struct PolicySpec: Equatable, Sendable {
    enum Direction: String, Sendable, CaseIterable {
        case ingress, egress
    }

    /// Where traffic may come from (ingress) or go to (egress).
    enum Peer: Equatable, Sendable {
        /// Pods chosen by labels: in the policy's namespace when `namespaces` is nil, otherwise in the namespaces it
        /// selects; all pods of those namespaces when `pods` is nil.
        case pods(pods: LabelSelector?, namespaces: LabelSelector?)
        /// A range of addresses without the `except` ranges.
        case addresses(cidr: IPv4CIDR, except: [IPv4CIDR])
    }

    struct Port: Equatable, Sendable {
        enum Number: Equatable, Sendable {
            /// Every port of the protocol.
            case all
            case range(ClosedRange<Int>)
            /// A container port's name, resolved per pod.
            case named(String)
        }

        /// `tcp`, `udp` or `sctp`, as nftables spells them.
        var proto: String
        var number: Number
    }

    /// One entry of `ingress` or `egress`: nil peers or ports allow every peer or port.
    struct Rule: Equatable, Sendable {
        var peers: [Peer]?
        var ports: [Port]?
    }

    var namespace: String
    var name: String
    var podSelector: LabelSelector
    var ingress: [Rule]?
    var egress: [Rule]?

    /// The rules of a direction the policy isolates its pods for (an empty list allows nothing), nil for a direction
    /// it leaves alone.
    func rules(_ direction: Direction) -> [Rule]? { direction == .ingress ? ingress : egress }

    /// The policy as written; nil when it is malformed beyond what the API accepts (left unenforced, as a policy the
    /// API refused would be).
    init?(_ policy: JSONValue) {
        guard let namespace = policy.metadata.namespace else { return nil }
        let spec = policy["spec"] ?? .emptyObject
        guard let podSelector = try? LabelSelector(object: spec["podSelector"] ?? .emptyObject) else { return nil }
        self.namespace = namespace
        name = policy.metadata.name
        self.podSelector = podSelector
        let egressRules = spec["egress"]?.arrayValue ?? []
        let types = (spec["policyTypes"]?.arrayValue ?? []).compactMap(\.stringValue)
        let isolates: (ingress: Bool, egress: Bool) =
            types.isEmpty ? (true, !egressRules.isEmpty) : (types.contains("Ingress"), types.contains("Egress"))
        func rules(_ entries: [JSONValue], peersField: String) -> [Rule]? {
            var rules: [Rule] = []
            for entry in entries {
                let peerEntries = entry[peersField]?.arrayValue ?? []
                let portEntries = entry["ports"]?.arrayValue ?? []
                var peers: [Peer] = []
                for peer in peerEntries {
                    guard let parsed = Self.peer(peer) else { return nil }
                    peers.append(parsed)
                }
                var ports: [Port] = []
                for port in portEntries {
                    guard let parsed = Self.port(port) else { return nil }
                    ports.append(parsed)
                }
                rules.append(Rule(peers: peerEntries.isEmpty ? nil : peers, ports: portEntries.isEmpty ? nil : ports))
            }
            return rules
        }
        if isolates.ingress {
            guard let parsed = rules(spec["ingress"]?.arrayValue ?? [], peersField: "from") else { return nil }
            ingress = parsed
        }
        if isolates.egress {
            guard let parsed = rules(egressRules, peersField: "to") else { return nil }
            egress = parsed
        }
    }

    private static func peer(_ peer: JSONValue) -> Peer? {
        if let block = peer["ipBlock"] {
            guard let cidr = block["cidr"]?.stringValue.flatMap(IPv4CIDR.init) else { return nil }
            var except: [IPv4CIDR] = []
            for entry in block["except"]?.arrayValue ?? [] {
                guard let range = entry.stringValue.flatMap(IPv4CIDR.init) else { return nil }
                except.append(range)
            }
            return .addresses(cidr: cidr, except: except)
        }
        func selector(_ field: String) -> LabelSelector?? {
            guard let object = peer[field], !object.isNull else { return .some(nil) }
            return try? LabelSelector(object: object)
        }
        guard let pods = selector("podSelector"), let namespaces = selector("namespaceSelector") else { return nil }
        return .pods(pods: pods, namespaces: namespaces)
    }

    private static func port(_ port: JSONValue) -> Port? {
        let proto = (port["protocol"]?.stringValue ?? "TCP").lowercased()
        guard ["tcp", "udp", "sctp"].contains(proto) else { return nil }
        switch port["port"] {
        case nil, .null?:
            return Port(proto: proto, number: .all)
        case let value?:
            if let name = value.stringValue, Int(name) == nil { return Port(proto: proto, number: .named(name)) }
            guard let number = value.integerValue ?? value.stringValue.flatMap({ Int64($0) }), (1...65535).contains(number) else { return nil }
            let end = port["endPort"]?.integerValue ?? number
            guard end >= number, end <= 65535 else { return nil }
            return Port(proto: proto, number: .range(Int(number)...Int(end)))
        }
    }
}
