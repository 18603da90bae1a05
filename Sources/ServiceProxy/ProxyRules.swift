import APIMachinery
import NFTables

/// The nftables ruleset of the service proxy, laid out as kube-proxy's nftables mode lays out its `kube-proxy`
/// table: verdict maps keyed by (destination, protocol, port) so that a lookup costs the same for 10 or 10 000
/// Services, a chain per Service port choosing an endpoint at random (or the client's earlier one, under
/// `ClientIP` affinity), masquerading marked and hairpin traffic on the way out, and checks that reject connections
/// to Services without endpoints and keep packets for the Service range from ever leaving the node.
///
/// Unlike kube-proxy, a Service port's chain picks its endpoint with a cascade of DNAT rules rather than an anonymous
/// verdict map of per-endpoint chains: the kernel checks every jump it is given for loops against every set of the
/// table, so 10 000 anonymous maps and 100 000 endpoint chains made a full load take minutes of kernel time (it grew
/// with the square of the Services); the cascade has no jumps and no sets.
struct ProxyRules: Equatable {
    /// The mark a packet gets when it must be masqueraded (kube-proxy's 0x4000).
    static let masqueradeBit = "0x4000"

    struct Options: Sendable, Equatable {
        /// The node's table (`skiff-<hash of the node name>`): agents sharing a machine keep out of each other's way.
        var table: String
        /// This node, whose endpoints the Local traffic policies keep to.
        var nodeName: String
        /// The Service range: what is left of it after DNAT is dropped (allocated ClusterIPs rejected).
        var serviceCIDR: String
        /// The pods' range: traffic from outside it to a Service is masqueraded, so that replies come back
        /// through the node.
        var clusterCIDR: String
    }

    typealias Chain = NFTableContents.Chain

    /// One Service's part of the table: what it declares and adds to the shared sets and maps, and the endpoint
    /// addresses new connections may be sent to. Each sync rebuilds and rewrites only the Services that changed.
    struct Fragment: Equatable {
        var table = NFTableContents()
        var routed: Set<String> = []
    }

    let options: Options
    /// The sets, maps and chains every table has, whatever its Services.
    let base: NFTableContents
    /// Each Service's rules, by `namespace/name`.
    private(set) var services: [String: Fragment] = [:]
    /// How many Services may send new connections to each endpoint address.
    private var routedCount: [String: Int] = [:]

    func routes(to ip: String) -> Bool { routedCount[ip] != nil }

    /// The rules kube-proxy keeps in the kernel for `ports`.
    init(ports: [ProxiedPort], options: Options) {
        self.init(options: options)
        for (service, servicePorts) in Dictionary(grouping: ports, by: \.serviceKey) { update(service: service, ports: servicePorts) }
    }

    /// The table without Services.
    init(options: Options) {
        self.options = options
        var base = NFTableContents()
        base.collections["cluster-ips"] = "type ipv4_addr; comment \"Active ClusterIPs\";"
        base.collections["service-ips"] = "type ipv4_addr . inet_proto . inet_service : verdict; comment \"ClusterIP traffic\";"
        base.collections["no-endpoint-services"] = "type ipv4_addr . inet_proto . inet_service : verdict; comment \"Services without endpoints\";"
        base.collections["service-nodeports"] = "type inet_proto . inet_service : verdict; comment \"NodePort traffic\";"
        base.collections["no-endpoint-nodeports"] = "type inet_proto . inet_service : verdict; comment \"NodePorts of Services without endpoints\";"
        base.collections["hairpin-endpoints"] = "type ipv4_addr . ipv4_addr; comment \"Endpoints, each paired with itself: a pod reaching itself\";"
        let endpointsCheck = "ip daddr . meta l4proto . th dport vmap @no-endpoint-services"
        // Node ports answer on every address of the node, 127.0.0.1 included (kube-proxy's --nodeport-addresses
        // default): `route_localnet` lets a DNATed loopback packet leave lo, and this keeps loopback addresses from
        // being reached from outside the node.
        let nodePortCheck = "fib daddr type local meta l4proto . th dport vmap @no-endpoint-nodeports"
        let martians = "ct state new ip daddr 127.0.0.0/8 ip saddr != 127.0.0.0/8 drop comment \"block incoming localnet connections\""

        base.chains["filter-input"] = Chain(
            declaration: "type filter hook input priority -110; policy accept;",
            rules: [martians, "ct state new jump nodeport-endpoints-check", "ct state new jump service-endpoints-check"])
        base.chains["filter-forward"] = Chain(
            declaration: "type filter hook forward priority -110; policy accept;",
            rules: ["ct state new jump service-endpoints-check", "ct state new jump cluster-ips-check"])
        base.chains["filter-output"] = Chain(
            declaration: "type filter hook output priority -110; policy accept;",
            rules: ["ct state new jump nodeport-endpoints-check", "ct state new jump service-endpoints-check"])
        // After the OUTPUT DNAT (priority -100): what is still addressed to the Service range went unmatched.
        base.chains["filter-output-post-dnat"] = Chain(
            declaration: "type filter hook output priority -90; policy accept;", rules: ["ct state new jump cluster-ips-check"])
        base.chains["nat-prerouting"] = Chain(declaration: "type nat hook prerouting priority -100; policy accept;", rules: ["jump services"])
        base.chains["nat-output"] = Chain(declaration: "type nat hook output priority -100; policy accept;", rules: ["jump services"])
        // A pod that reaches itself through a Service is masqueraded, or it would answer itself from its own address.
        base.chains["nat-postrouting"] = Chain(
            declaration: "type nat hook postrouting priority 100; policy accept;",
            rules: ["ct status dnat ip saddr . ip daddr @hairpin-endpoints masquerade", "jump masquerading"])
        base.chains["services"] = Chain(rules: [
            "ip daddr . meta l4proto . th dport vmap @service-ips", "fib daddr type local meta l4proto . th dport vmap @service-nodeports",
        ])
        base.chains["service-endpoints-check"] = Chain(rules: [endpointsCheck])
        base.chains["nodeport-endpoints-check"] = Chain(rules: [nodePortCheck])
        base.chains["cluster-ips-check"] = Chain(rules: [
            "ip daddr @cluster-ips reject comment \"Reject traffic to invalid ports of ClusterIPs\"",
            "ip daddr \(options.serviceCIDR) drop comment \"Drop traffic to unallocated ClusterIPs\"",
        ])
        // Plain masquerade keeps the client's source port where it can. kube-proxy's `fully-random` picks a random port
        // for every connection instead; from one busy client (the node itself, at a few thousand connections a
        // second) those picks kept landing on tuples conntrack still held, and about 5 % of connections lost their
        // SYN and waited a second to retry, halving the throughput through a ClusterIP.
        base.chains["masquerading"] = Chain(rules: [
            "meta mark & \(Self.masqueradeBit) == 0 return", "meta mark set meta mark ^ \(Self.masqueradeBit)", "masquerade",
        ])
        base.chains["mark-for-masquerade"] = Chain(rules: ["meta mark set meta mark | \(Self.masqueradeBit)"])
        base.chains["reject-chain"] = Chain(rules: ["reject"])
        self.base = base
    }

    /// Replaces one Service's rules by those for `ports` (none: the Service is gone or proxies nothing).
    mutating func update(service: String, ports: [ProxiedPort]) {
        let fragment = ports.isEmpty ? nil : Self.fragment(for: ports, options: options)
        guard services[service] != fragment else { return }
        for ip in services[service]?.routed ?? [] {
            if let count = routedCount[ip], count > 1 { routedCount[ip] = count - 1 } else { routedCount[ip] = nil }
        }
        for ip in fragment?.routed ?? [] { routedCount[ip, default: 0] += 1 }
        services[service] = fragment
    }

    /// The whole table: its fixed part and every Service's rules.
    var merged: NFTableContents {
        var whole = base
        for fragment in services.values { whole.merge(fragment.table) }
        return whole
    }

    var ruleCount: Int { base.ruleCount + services.values.map(\.table.ruleCount).reduce(0, +) + routedCount.count }

    /// The hairpin set's element for an endpoint address.
    private static func hairpin(_ ip: String) -> String { "\(ip) . \(ip)" }

    private static func fragment(for ports: [ProxiedPort], options: Options) -> Fragment {
        var fragment = Fragment()
        for port in ports {
            fragment.table.elements["cluster-ips", default: [:]][port.clusterIP] = ""
            let key = "\(port.clusterIP) . \(port.proto) . \(port.port)"
            let loadBalancerKeys = port.loadBalancerIPs.map { "\($0) . \(port.proto) . \(port.port)" }
            let nodePortKey = port.nodePort.map { "\(port.proto) . \($0)" }
            let endpoints = port.usableEndpoints
            guard !endpoints.isEmpty else {
                for key in [key] + loadBalancerKeys { fragment.table.elements["no-endpoint-services", default: [:]][key] = "goto reject-chain" }
                if let nodePortKey { fragment.table.elements["no-endpoint-nodeports", default: [:]][nodePortKey] = "goto reject-chain" }
                continue
            }
            let masquerade = "ip daddr \(port.clusterIP) \(port.proto) dport \(port.port) ip saddr != \(options.clusterCIDR) jump mark-for-masquerade"
            // Every usable endpoint (the cluster's), and this node's alone (for the Local traffic policies; none of
            // them here means the traffic is dropped, as kube-proxy drops it).
            let clusterChain = chainName("service", port.identity)
            fragment.table.chains[clusterChain] = Chain(rules: [masquerade] + fragment.pick(endpoints, for: port))
            let local = endpoints.filter { $0.nodeName == options.nodeName }
            let localChain = chainName("local", port.identity)
            if port.internalLocal || port.externalLocal {
                // The masquerade rule matches ClusterIP traffic only: external traffic keeps its source here.
                fragment.table.chains[localChain] = Chain(
                    rules: local.isEmpty ? ["drop comment \"no local endpoints\""] : [masquerade] + fragment.pick(local, for: port))
            }
            fragment.table.elements["service-ips", default: [:]][key] = "goto \(port.internalLocal ? localChain : clusterChain)"
            if nodePortKey != nil || !loadBalancerKeys.isEmpty {
                let externalChain = chainName("external", port.identity)
                fragment.table.chains[externalChain] = Chain(
                    rules: port.externalLocal
                        ? [
                            // Pods and the node itself reach a Local Service through any endpoint, as kube-proxy lets
                            // them; traffic from elsewhere keeps its source address and stays on this node.
                            "ip saddr \(options.clusterCIDR) goto \(clusterChain)", "fib saddr type local jump mark-for-masquerade",
                            "fib saddr type local goto \(clusterChain)", "goto \(localChain)",
                        ]
                        // Masqueraded, so that replies come back through this node whichever node's endpoint answers.
                        : ["jump mark-for-masquerade", "goto \(clusterChain)"])
                for key in loadBalancerKeys { fragment.table.elements["service-ips", default: [:]][key] = "goto \(externalChain)" }
                if let nodePortKey { fragment.table.elements["service-nodeports", default: [:]][nodePortKey] = "goto \(externalChain)" }
            }
        }
        return fragment
    }

    /// kube-proxy's chain names: a prefix, a hash of the whole name (unique however the readable rest is cut), and
    /// the readable rest, within nftables' 256-byte names.
    static func chainName(_ prefix: String, _ identity: String) -> String {
        String("\(prefix)-\(NFTables.shortHash(identity))-\(identity)".prefix(200))
    }

    /// The nft script that turns `previous` (what the kernel holds, nil when unknown) into these rules in one atomic
    /// transaction, nil when there is nothing to write. Without `previous` the table is replaced whole; otherwise only
    /// the Services whose rules differ are written (unchanged fragments share storage, so finding them costs little),
    /// and affinity sets keep their clients.
    func transaction(from previous: ProxyRules?) -> String? {
        let table = "ip \(options.table)"
        guard let previous, previous.options == options, previous.base == base else {
            // Whatever an earlier run left is replaced, not stacked upon.
            var whole = merged
            whole.elements["hairpin-endpoints"] = Dictionary(uniqueKeysWithValues: routedCount.keys.map { (Self.hairpin($0), "") })
            return "add table \(table)\ndelete table \(table)\n" + NFTableContents.script(table: table, from: NFTableContents(), to: whole)
        }
        var old = NFTableContents()
        var new = NFTableContents()
        for service in Set(services.keys).union(previous.services.keys) where services[service] != previous.services[service] {
            if let fragment = previous.services[service] { old.merge(fragment.table) }
            if let fragment = services[service] { new.merge(fragment.table) }
        }
        // The hairpin set follows the addresses routed to, whichever Services route to them.
        let wasRouted = Set(previous.routedCount.keys)
        let isRouted = Set(routedCount.keys)
        old.elements["hairpin-endpoints"] = Dictionary(uniqueKeysWithValues: wasRouted.subtracting(isRouted).map { (Self.hairpin($0), "") })
        new.elements["hairpin-endpoints"] = Dictionary(uniqueKeysWithValues: isRouted.subtracting(wasRouted).map { (Self.hairpin($0), "") })
        guard old != new else { return nil }
        return NFTableContents.script(table: table, from: old, to: new)
    }
}

extension ProxyRules.Fragment {
    /// The rules that send a new connection to one of `endpoints`: under `ClientIP` affinity the endpoint a client
    /// used lately (each endpoint a chain of its own that remembers its clients, chosen by a random verdict map),
    /// otherwise a cascade that draws one uniformly, its i-th rule taking 1/(n-i) of the connections that reach it.
    fileprivate mutating func pick(_ endpoints: [ProxiedPort.Endpoint], for port: ProxiedPort) -> [String] {
        routed.formUnion(endpoints.map(\.ip))
        guard let timeout = port.affinityTimeout else {
            return endpoints.enumerated().map { index, endpoint in
                let dnat = "meta l4proto \(port.proto) dnat to \(endpoint.ip):\(endpoint.port)"
                return index == endpoints.count - 1 ? dnat : "numgen random mod \(endpoints.count - index) == 0 \(dnat)"
            }
        }
        var rules: [String] = []
        var endpointChains: [String] = []
        for endpoint in endpoints {
            let endpointIdentity = "\(port.identity)__\(endpoint.ip)/\(endpoint.port)"
            let name = ProxyRules.chainName("endpoint", endpointIdentity)
            endpointChains.append(name)
            // The clients that chose this endpoint lately: they come back to it until their entry times out.
            let endpointSet = "affinity-\(NFTables.shortHash(endpointIdentity))"
            table.collections[endpointSet] = "type ipv4_addr; flags dynamic,timeout; timeout \(timeout)s;"
            rules.append("ip saddr @\(endpointSet) goto \(name)")
            table.chains[name] = ProxyRules.Chain(rules: [
                "update @\(endpointSet) { ip saddr }", "meta l4proto \(port.proto) dnat to \(endpoint.ip):\(endpoint.port)",
            ])
        }
        let choices = endpointChains.enumerated().map { "\($0.offset) : goto \($0.element)" }.joined(separator: ", ")
        return rules + ["numgen random mod \(endpointChains.count) vmap { \(choices) }"]
    }
}
