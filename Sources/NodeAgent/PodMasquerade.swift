import Foundation

/// Source NAT for traffic from the node's pods to anything outside their range (the host's other networks), so that
/// pod addresses never leave the machine: one iptables chain per node, `SKIFF-MASQ-<node hash>`, jumped to from
/// `nat POSTROUTING` for the node's pod range. Traffic to the pod range itself and to multicast is left alone, as
/// the CNI bridge plugin's `ipMasq` does per pod.
enum PodMasquerade {
    static func chainName(node: String) -> String { "SKIFF-MASQ-" + PodNetworkConfig.nodeHash(node) }

    /// The iptables invocations (arguments after `iptables`) that make the chain exactly this; run in order, they
    /// are idempotent except the first, which fails harmlessly when the chain exists.
    static func rules(node: String, podCIDR: String) -> (create: [String], contents: [[String]], jump: [String]) {
        let chain = chainName(node: node)
        return (
            create: ["-t", "nat", "-N", chain],
            contents: [
                ["-t", "nat", "-F", chain],
                ["-t", "nat", "-A", chain, "-d", podCIDR, "-j", "RETURN"],
                ["-t", "nat", "-A", chain, "-d", "224.0.0.0/4", "-j", "RETURN"],
                ["-t", "nat", "-A", chain, "-j", "MASQUERADE"],
            ],
            jump: ["POSTROUTING", "-s", podCIDR, "-m", "comment", "--comment", "skiff: pods leaving their range", "-j", chain]
        )
    }

    /// Installs the chain and the jump to it (once).
    static func install(node: String, podCIDR: String) throws {
        guard let iptables = Containerd.find("iptables") else {
            throw AgentError("iptables is not installed (Debian's iptables package); pods could not reach beyond the node")
        }
        let rules = rules(node: node, podCIDR: podCIDR)
        _ = try run(iptables, rules.create)
        for arguments in rules.contents {
            guard try run(iptables, arguments) else { throw AgentError("iptables \(arguments.joined(separator: " ")) failed") }
        }
        if try !run(iptables, ["-t", "nat", "-C"] + rules.jump) {
            guard try run(iptables, ["-t", "nat", "-A"] + rules.jump) else { throw AgentError("iptables could not add the pods' masquerade rule") }
        }
    }

    private static func run(_ executable: String, _ arguments: [String]) throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // `-w`: wait for the xtables lock rather than fail while the CNI plugins hold it.
        process.arguments = ["-w"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
