import NFTables

/// The node's `ip skiff-policy-<node hash>` table. Its base chains hook forward (traffic between pods, and from
/// elsewhere to them) and input (from the node's pods to the node itself), after the service proxy's DNAT, so that a
/// Service's traffic is judged by the pod it reaches. Replies to allowed connections pass on conntrack; a new
/// connection from one of the node's pods that some policy isolates for egress goes to its namespace's egress chain,
/// one to such a pod isolated for ingress to its namespace's ingress chain. A namespace chain jumps to each policy's
/// chain, whose rules accept what they allow, and drops what none accepted. Egress and ingress are separate base
/// chains, so that a connection between two of the node's pods must pass both.
struct PolicyTable: Equatable {
    let name: String
    /// The maps and base chains every table has, whatever its policies.
    let base: NFTableContents
    /// Each policy's rules, by `namespace/name`.
    private(set) var policies: [String: PolicyRules] = [:]
    /// The namespace chains and the maps choosing them, made from all policies.
    private(set) var dispatch = NFTableContents()

    init(name: String) {
        self.name = name
        var base = NFTableContents()
        base.collections["ingress-isolated"] = "type ipv4_addr : verdict; comment \"The node's pods isolated for ingress: their namespace's chain\";"
        base.collections["egress-isolated"] = "type ipv4_addr : verdict; comment \"The node's pods isolated for egress: their namespace's chain\";"
        let replies = "ct state established,related accept"
        base.chains["egress-forward"] = .init(
            declaration: "type filter hook forward priority filter; policy accept;", rules: [replies, "ip saddr vmap @egress-isolated"])
        base.chains["ingress-forward"] = .init(
            declaration: "type filter hook forward priority filter + 1; policy accept;", rules: [replies, "ip daddr vmap @ingress-isolated"])
        base.chains["egress-input"] = .init(
            declaration: "type filter hook input priority filter; policy accept;", rules: [replies, "ip saddr vmap @egress-isolated"])
        self.base = base
    }

    static func namespaceChain(_ direction: PolicySpec.Direction, _ namespace: String) -> String {
        String("\(direction.rawValue)-namespace-\(namespace)".prefix(200))
    }

    /// Replaces the rules of the policies in `changed` (nil: the policy is gone), then remakes the dispatch.
    mutating func update(_ changed: [String: PolicyRules?]) {
        for (key, rules) in changed { policies[key] = rules }
        var dispatch = NFTableContents()
        var chainsByNamespace: [PolicySpec.Direction: [String: [String]]] = [:]
        for (key, rules) in policies.sorted(by: { $0.key < $1.key }) {
            guard let slash = key.firstIndex(of: "/") else { continue }
            let namespace = String(key[..<slash])
            let name = String(key[key.index(after: slash)...])
            for (direction, addresses) in rules.isolated {
                let namespaceChain = Self.namespaceChain(direction, namespace)
                chainsByNamespace[direction, default: [:]][namespace, default: []].append(
                    "jump \(PolicyRules.chain(direction, namespace: namespace, name: name))")
                let map = direction == .ingress ? "ingress-isolated" : "egress-isolated"
                for address in addresses { dispatch.elements[map, default: [:]][address] = "goto \(namespaceChain)" }
            }
        }
        for (direction, namespaces) in chainsByNamespace {
            for (namespace, jumps) in namespaces {
                dispatch.chains[Self.namespaceChain(direction, namespace)] = .init(rules: jumps + ["drop"])
            }
        }
        self.dispatch = dispatch
    }

    var ruleCount: Int { base.ruleCount + dispatch.ruleCount + policies.values.map(\.table.ruleCount).reduce(0, +) }

    /// The nft script that turns `previous` (what the kernel holds, nil when unknown) into this table in one
    /// transaction, nil when nothing differs: the table replaced whole without `previous`, otherwise only the policies
    /// whose rules differ and the dispatch. Policy chains come before the namespace chains that jump to them and go
    /// after, which `NFTableContents.script` orders by writing new chains first and deleting old ones last.
    func transaction(from previous: PolicyTable?) -> String? {
        let table = "ip \(name)"
        guard let previous, previous.name == name, previous.base == base else {
            var whole = base
            whole.merge(dispatch)
            for rules in policies.values { whole.merge(rules.table) }
            return "add table \(table)\ndelete table \(table)\n" + NFTableContents.script(table: table, from: NFTableContents(), to: whole)
        }
        var old = NFTableContents()
        var new = NFTableContents()
        for key in Set(policies.keys).union(previous.policies.keys) where policies[key]?.table != previous.policies[key]?.table {
            if let rules = previous.policies[key] { old.merge(rules.table) }
            if let rules = policies[key] { new.merge(rules.table) }
        }
        if dispatch != previous.dispatch {
            old.merge(previous.dispatch)
            new.merge(dispatch)
        }
        guard old != new else { return nil }
        return NFTableContents.script(table: table, from: old, to: new)
    }
}
