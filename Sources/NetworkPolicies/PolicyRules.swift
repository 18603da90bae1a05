import APIMachinery
import NFTables

/// One NetworkPolicy's part of the node's table, for the node's pods it selects: a chain per direction it isolates,
/// with a rule per combination of the peers and ports of each of its rules that accepts what that combination
/// allows, and the sets those rules look addresses and ports up in. Lookups are set lookups, so a rule costs the same
/// for 1 or 5 000 peers; pods coming and going change set elements, not rules.
struct PolicyRules: Equatable, Sendable {
    /// The policy's chains and sets (empty when it selects none of the node's pods).
    var table = NFTableContents()
    /// The node's pods it selects, by address, with the directions it isolates them for.
    var isolated: [PolicySpec.Direction: Set<String>] = [:]
    /// Why a rule can never allow anything on this node (a named port none of the pods in question declares).
    var problems: [String] = []

    /// The chain holding the policy's rules for a direction: `ingress-<hash>-<namespace>/<name>`, within nftables'
    /// name length.
    static func chain(_ direction: PolicySpec.Direction, namespace: String, name: String) -> String {
        let identity = "\(namespace)/\(name)"
        return String("\(direction.rawValue)-\(NFTables.shortHash(identity))-\(identity)".prefix(200))
    }

    /// The rules `policy` calls for on `world`'s node.
    init(_ policy: PolicySpec, in world: PolicyWorld) {
        let targets = (world.pods[policy.namespace] ?? [:]).values.filter {
            $0.nodeName == world.nodeName && policy.podSelector.matches($0.labels)
        }
        guard !targets.isEmpty else { return }
        // nftables names start with a letter; the hash may start with a digit.
        let hash = "policy-" + NFTables.shortHash("\(policy.namespace)/\(policy.name)")
        let targetSet = "\(hash)-targets"
        table.collections[targetSet] = "type ipv4_addr; comment \"\(policy.namespace)/\(policy.name): its pods on this node\";"
        table.elements[targetSet] = Dictionary(targets.map { ($0.ip, "") }) { first, _ in first }
        for direction in PolicySpec.Direction.allCases {
            guard let rules = policy.rules(direction) else { continue }
            isolated[direction] = Set(targets.map(\.ip))
            // The pod's own address and the peer's, as the packet carries them in this direction.
            let (own, peer) = direction == .ingress ? ("ip daddr", "ip saddr") : ("ip saddr", "ip daddr")
            var chainRules: [String] = []
            for (index, rule) in rules.enumerated() {
                let prefix = "\(hash)-\(direction.rawValue)\(index)"
                let description = "\(direction.rawValue) rule \(index + 1) of \(policy.namespace)/\(policy.name)"
                var peerMatches = [""]
                if let peers = rule.peers {
                    peerMatches = []
                    let selectors = peers.filter { if case .pods = $0 { true } else { false } }
                    if !selectors.isEmpty {
                        let set = "\(prefix)-pods"
                        table.collections[set] = "type ipv4_addr;"
                        var addresses: [String: String] = [:]
                        for selector in selectors {
                            for pod in world.pods(selectedBy: selector, policyNamespace: policy.namespace) { addresses[pod.ip] = "" }
                        }
                        table.elements[set] = addresses
                        peerMatches.append("\(peer) @\(set) ")
                    }
                    let blocks = peers.compactMap { peer -> (IPv4CIDR, [IPv4CIDR])? in
                        if case .addresses(let cidr, let except) = peer { (cidr, except) } else { nil }
                    }
                    if !blocks.isEmpty {
                        let set = "\(prefix)-blocks"
                        table.collections[set] = "type ipv4_addr; flags interval;"
                        table.elements[set] = Dictionary(AddressRanges(blocks).elements.map { ($0, "") }) { first, _ in first }
                        peerMatches.append("\(peer) @\(set) ")
                    }
                }
                var portMatches = [""]
                if let ports = rule.ports {
                    portMatches = []
                    let numbered = ports.compactMap { port -> String? in
                        switch port.number {
                        case .all: "\(port.proto) . 0-65535"
                        case .range(let range): range.count == 1 ? "\(port.proto) . \(range.lowerBound)" : "\(port.proto) . \(range.lowerBound)-\(range.upperBound)"
                        case .named: nil
                        }
                    }
                    if !numbered.isEmpty {
                        let set = "\(prefix)-ports"
                        table.collections[set] = "type inet_proto . inet_service; flags interval;"
                        table.elements[set] = Dictionary(Self.disjoint(numbered).map { ($0, "") }) { first, _ in first }
                        portMatches.append("meta l4proto . th dport @\(set) ")
                    }
                    let named = ports.compactMap { port -> (String, String)? in
                        if case .named(let name) = port.number { (port.proto, name) } else { nil }
                    }
                    if !named.isEmpty {
                        // Ingress: the port of the pod the policy selects; egress: the port of the pod connected to.
                        let candidates: [PolicyPod]
                        if direction == .ingress {
                            candidates = targets
                        } else if let peers = rule.peers {
                            candidates = peers.flatMap { world.pods(selectedBy: $0, policyNamespace: policy.namespace) }
                        } else {
                            candidates = world.allPods
                        }
                        let set = "\(prefix)-named"
                        table.collections[set] = "type ipv4_addr . inet_proto . inet_service;"
                        var elements: [String: String] = [:]
                        for (proto, name) in named {
                            var found = false
                            for pod in candidates {
                                for port in pod.namedPorts[name] ?? [] where port.proto == proto {
                                    elements["\(pod.ip) . \(proto) . \(port.number)"] = ""
                                    found = true
                                }
                            }
                            if !found {
                                let whose = direction == .ingress ? "the pods it applies to on node \(world.nodeName)" : "the pods it allows traffic to"
                                problems.append(
                                    "\(description) allows port \(GoText.quoted(name)) (\(proto.uppercased())), which none of \(whose) declares: that port allows nothing")
                            }
                        }
                        table.elements[set] = elements
                        portMatches.append("ip daddr . meta l4proto . th dport @\(set) ")
                    }
                }
                for peerMatch in peerMatches {
                    for portMatch in portMatches {
                        chainRules.append("\(own) @\(targetSet) \(peerMatch)\(portMatch)accept")
                    }
                }
            }
            table.chains[Self.chain(direction, namespace: policy.namespace, name: policy.name)] = NFTableContents.Chain(rules: chainRules)
        }
    }

    /// Protocol-and-port elements without overlaps (an interval set refuses overlapping elements): ranges of one
    /// protocol that overlap or touch are joined.
    static func disjoint(_ elements: [String]) -> [String] {
        var ranges: [String: [ClosedRange<Int>]] = [:]
        for element in elements {
            let parts = element.split(separator: " . ")
            guard parts.count == 2 else { continue }
            let bounds = parts[1].split(separator: "-").compactMap { Int($0) }
            guard let low = bounds.first, let high = bounds.last else { continue }
            ranges[String(parts[0]), default: []].append(low...high)
        }
        var result: [String] = []
        for (proto, list) in ranges {
            var merged: [ClosedRange<Int>] = []
            for range in list.sorted(by: { $0.lowerBound < $1.lowerBound }) {
                if let last = merged.last, range.lowerBound <= last.upperBound + 1 {
                    merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
                } else {
                    merged.append(range)
                }
            }
            result += merged.map { $0.count == 1 ? "\(proto) . \($0.lowerBound)" : "\(proto) . \($0.lowerBound)-\($0.upperBound)" }
        }
        return result.sorted()
    }
}
