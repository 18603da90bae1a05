import APIMachinery

/// The nftables ruleset of the service proxy, laid out as kube-proxy's nftables mode lays out its `kube-proxy`
/// table: verdict maps keyed by (destination, protocol, port) so that a lookup costs the same for 10 or 10 000
/// Services, a chain per Service port choosing an endpoint at random (or the client's earlier one, under
/// `ClientIP` affinity), a chain per endpoint that DNATs, masquerading marked traffic on the way out, and checks that
/// reject connections to Services without endpoints and keep packets for the Service range from ever leaving the
/// node.
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

    /// A named set or map: its declaration and its elements (key → verdict for a map; key → "" for a set).
    struct Collection: Equatable {
        var declaration: String
        var elements: [String: String] = [:]
        var isMap: Bool { declaration.contains(":") }
    }

    /// A chain: its base-chain declaration (hook and priority) for those the kernel calls, and its rules.
    struct Chain: Equatable {
        var declaration: String?
        var rules: [String]
    }

    var table: String
    var collections: [String: Collection] = [:]
    var chains: [String: Chain] = [:]
    /// The endpoint addresses new connections may be sent to.
    var routed: Set<String> = []

    func routes(to ip: String) -> Bool { routed.contains(ip) }

    init(ports: [ProxiedPort], options: Options) {
        table = options.table
        let endpointsCheck = "ip daddr . meta l4proto . th dport vmap @no-endpoint-services"
        collections["cluster-ips"] = Collection(declaration: "type ipv4_addr; comment \"Active ClusterIPs\";")
        collections["service-ips"] = Collection(declaration: "type ipv4_addr . inet_proto . inet_service : verdict; comment \"ClusterIP traffic\";")
        collections["no-endpoint-services"] = Collection(
            declaration: "type ipv4_addr . inet_proto . inet_service : verdict; comment \"Services without endpoints\";")
        collections["service-nodeports"] = Collection(declaration: "type inet_proto . inet_service : verdict; comment \"NodePort traffic\";")
        collections["no-endpoint-nodeports"] = Collection(
            declaration: "type inet_proto . inet_service : verdict; comment \"NodePorts of Services without endpoints\";")
        // Node ports answer on every address of the node, 127.0.0.1 included (kube-proxy's --nodeport-addresses
        // default): `route_localnet` lets a DNATed loopback packet leave lo, and this keeps loopback addresses from
        // being reached from outside the node.
        let nodePortCheck = "fib daddr type local meta l4proto . th dport vmap @no-endpoint-nodeports"
        let martians = "ct state new ip daddr 127.0.0.0/8 ip saddr != 127.0.0.0/8 drop comment \"block incoming localnet connections\""

        chains["filter-input"] = Chain(
            declaration: "type filter hook input priority -110; policy accept;",
            rules: [martians, "ct state new jump nodeport-endpoints-check", "ct state new jump service-endpoints-check"])
        chains["filter-forward"] = Chain(
            declaration: "type filter hook forward priority -110; policy accept;",
            rules: ["ct state new jump service-endpoints-check", "ct state new jump cluster-ips-check"])
        chains["filter-output"] = Chain(
            declaration: "type filter hook output priority -110; policy accept;",
            rules: ["ct state new jump nodeport-endpoints-check", "ct state new jump service-endpoints-check"])
        // After the OUTPUT DNAT (priority -100): what is still addressed to the Service range went unmatched.
        chains["filter-output-post-dnat"] = Chain(
            declaration: "type filter hook output priority -90; policy accept;", rules: ["ct state new jump cluster-ips-check"])
        chains["nat-prerouting"] = Chain(declaration: "type nat hook prerouting priority -100; policy accept;", rules: ["jump services"])
        chains["nat-output"] = Chain(declaration: "type nat hook output priority -100; policy accept;", rules: ["jump services"])
        chains["nat-postrouting"] = Chain(declaration: "type nat hook postrouting priority 100; policy accept;", rules: ["jump masquerading"])
        chains["services"] = Chain(rules: [
            "ip daddr . meta l4proto . th dport vmap @service-ips", "fib daddr type local meta l4proto . th dport vmap @service-nodeports",
        ])
        chains["service-endpoints-check"] = Chain(rules: [endpointsCheck])
        chains["nodeport-endpoints-check"] = Chain(rules: [nodePortCheck])
        chains["cluster-ips-check"] = Chain(rules: [
            "ip daddr @cluster-ips reject comment \"Reject traffic to invalid ports of ClusterIPs\"",
            "ip daddr \(options.serviceCIDR) drop comment \"Drop traffic to unallocated ClusterIPs\"",
        ])
        chains["masquerading"] = Chain(rules: [
            "meta mark & \(Self.masqueradeBit) == 0 return", "meta mark set meta mark ^ \(Self.masqueradeBit)", "masquerade fully-random",
        ])
        chains["mark-for-masquerade"] = Chain(rules: ["meta mark set meta mark | \(Self.masqueradeBit)"])
        chains["reject-chain"] = Chain(rules: ["reject"])

        for port in ports {
            collections["cluster-ips"]?.elements[port.clusterIP] = ""
            let key = "\(port.clusterIP) . \(port.proto) . \(port.port)"
            let loadBalancerKeys = port.loadBalancerIPs.map { "\($0) . \(port.proto) . \(port.port)" }
            let nodePortKey = port.nodePort.map { "\(port.proto) . \($0)" }
            let endpoints = port.usableEndpoints
            guard !endpoints.isEmpty else {
                for key in [key] + loadBalancerKeys { collections["no-endpoint-services"]?.elements[key] = "goto reject-chain" }
                if let nodePortKey { collections["no-endpoint-nodeports"]?.elements[nodePortKey] = "goto reject-chain" }
                continue
            }
            let masquerade = "ip daddr \(port.clusterIP) \(port.proto) dport \(port.port) ip saddr != \(options.clusterCIDR) jump mark-for-masquerade"
            // Every usable endpoint (the cluster's), and this node's alone (for the Local traffic policies; none of
            // them here means the traffic is dropped, as kube-proxy drops it).
            let clusterChain = Self.chainName("service", port.identity)
            chains[clusterChain] = Chain(rules: [masquerade] + pick(endpoints, for: port))
            let local = endpoints.filter { $0.nodeName == options.nodeName }
            let localChain = Self.chainName("local", port.identity)
            if port.internalLocal || port.externalLocal {
                // The masquerade rule matches ClusterIP traffic only: external traffic keeps its source here.
                chains[localChain] = Chain(rules: local.isEmpty ? ["drop comment \"no local endpoints\""] : [masquerade] + pick(local, for: port))
            }
            collections["service-ips"]?.elements[key] = "goto \(port.internalLocal ? localChain : clusterChain)"
            if nodePortKey != nil || !loadBalancerKeys.isEmpty {
                let externalChain = Self.chainName("external", port.identity)
                chains[externalChain] = Chain(
                    rules: port.externalLocal
                        ? [
                            // Pods and the node itself reach a Local Service through any endpoint, as kube-proxy lets
                            // them; traffic from elsewhere keeps its source address and stays on this node.
                            "ip saddr \(options.clusterCIDR) goto \(clusterChain)", "fib saddr type local jump mark-for-masquerade",
                            "fib saddr type local goto \(clusterChain)", "goto \(localChain)",
                        ]
                        // Masqueraded, so that replies come back through this node whichever node's endpoint answers.
                        : ["jump mark-for-masquerade", "goto \(clusterChain)"])
                for key in loadBalancerKeys { collections["service-ips"]?.elements[key] = "goto \(externalChain)" }
                if let nodePortKey { collections["service-nodeports"]?.elements[nodePortKey] = "goto \(externalChain)" }
            }
        }
    }

    /// The rules that send a new connection to one of `endpoints` (each with a chain of its own that DNATs): the
    /// endpoint a client used lately under `ClientIP` affinity, else one at random.
    private mutating func pick(_ endpoints: [ProxiedPort.Endpoint], for port: ProxiedPort) -> [String] {
        var rules: [String] = []
        var endpointChains: [String] = []
        routed.formUnion(endpoints.map(\.ip))
        for endpoint in endpoints {
            let endpointIdentity = "\(port.identity)__\(endpoint.ip)/\(endpoint.port)"
            let name = Self.chainName("endpoint", endpointIdentity)
            endpointChains.append(name)
            var endpointRules = ["ip saddr \(endpoint.ip) jump mark-for-masquerade"]
            if let timeout = port.affinityTimeout {
                // The clients that chose this endpoint lately: they come back to it until their entry times out.
                let endpointSet = "affinity-\(Self.shortHash(endpointIdentity))"
                collections[endpointSet] = Collection(declaration: "type ipv4_addr; flags dynamic,timeout; timeout \(timeout)s;")
                endpointRules.append("update @\(endpointSet) { ip saddr }")
                rules.append("ip saddr @\(endpointSet) goto \(name)")
            }
            endpointRules.append("meta l4proto \(port.proto) dnat to \(endpoint.ip):\(endpoint.port)")
            chains[name] = Chain(rules: endpointRules)
        }
        let choices = endpointChains.enumerated().map { "\($0.offset) : goto \($0.element)" }.joined(separator: ", ")
        return rules + ["numgen random mod \(endpointChains.count) vmap { \(choices) }"]
    }

    /// kube-proxy's chain names: a prefix, a hash of the whole name (unique however the readable rest is cut), and
    /// the readable rest, within nftables' 256-byte names.
    static func chainName(_ prefix: String, _ identity: String) -> String {
        String("\(prefix)-\(shortHash(identity))-\(identity)".prefix(200))
    }

    /// Eight base-32 characters of a 64-bit FNV-1a hash: stable across runs and machines.
    static func shortHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        return String((0..<8).map { alphabet[Int((hash >> (UInt64($0) * 5)) & 31)] })
    }

    /// The nft script that turns `previous` (what the kernel holds, nil when unknown) into this ruleset in one
    /// atomic transaction: new sets and chains first, then the map entries that go away, the chains whose rules
    /// changed, the entries that come, and last the chains and sets nothing refers to any more. Unchanged chains and
    /// entries are not touched, so a sync costs what changed, and affinity sets keep their clients.
    func transaction(from previous: ProxyRules?) -> String {
        let table = "ip \(self.table)"
        var script: [String] = []
        let old = previous ?? ProxyRules(table: self.table, collections: [:], chains: [:])
        if previous == nil {
            // Whatever an earlier run left is replaced, not stacked upon.
            script += ["add table \(table)", "delete table \(table)"]
        }
        script.append("add table \(table)")
        for (name, collection) in collections.sorted(by: { $0.key < $1.key }) where old.collections[name] == nil {
            script.append("add \(collection.isMap ? "map" : "set") \(table) \(name) { \(collection.declaration) }")
        }
        for (name, chain) in chains.sorted(by: { $0.key < $1.key }) where old.chains[name] == nil {
            script.append("add chain \(table) \(name)" + (chain.declaration.map { " { \($0) }" } ?? ""))
        }
        for (name, collection) in collections.sorted(by: { $0.key < $1.key }) where !collection.declaration.contains("dynamic") {
            let gone = (old.collections[name]?.elements ?? [:]).filter { collection.elements[$0.key] != $0.value }.keys.sorted()
            if !gone.isEmpty { script.append("delete element \(table) \(name) { \(gone.joined(separator: ", ")) }") }
        }
        for (name, chain) in chains.sorted(by: { $0.key < $1.key }) where old.chains[name]?.rules != chain.rules {
            if old.chains[name] != nil { script.append("flush chain \(table) \(name)") }
            script += chain.rules.map { "add rule \(table) \(name) \($0)" }
        }
        for (name, collection) in collections.sorted(by: { $0.key < $1.key }) where !collection.declaration.contains("dynamic") {
            let come = collection.elements.filter { old.collections[name]?.elements[$0.key] != $0.value }.sorted { $0.key < $1.key }
            guard !come.isEmpty else { continue }
            let elements = come.map { collection.isMap ? "\($0.key) : \($0.value)" : $0.key }
            script.append("add element \(table) \(name) { \(elements.joined(separator: ", ")) }")
        }
        let staleChains = old.chains.keys.filter { chains[$0] == nil }.sorted()
        script += staleChains.map { "flush chain \(table) \($0)" }
        script += staleChains.map { "delete chain \(table) \($0)" }
        script += old.collections.keys.filter { collections[$0] == nil }.sorted().map { name in
            "delete \(old.collections[name]?.isMap == true ? "map" : "set") \(table) \(name)"
        }
        return script.joined(separator: "\n") + "\n"
    }

    private init(table: String, collections: [String: Collection], chains: [String: Chain]) {
        self.table = table
        self.collections = collections
        self.chains = chains
    }

    /// The rules the kernel holds for this ruleset, counted as `/metrics` reports them.
    var ruleCount: Int { chains.values.map(\.rules.count).reduce(0, +) + collections.values.map(\.elements.count).reduce(0, +) }
}
