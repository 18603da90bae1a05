import APIMachinery
import Foundation

/// The CNI network containerd gives each pod sandbox: a Linux bridge on the node with the node's pod range
/// (`spec.podCIDR`) handed out by host-local, the bridge as the pods' gateway so they reach each other and the node,
/// and portmap for `hostPort`. Masquerade for traffic leaving the pod range is one rule for the node
/// (`PodMasquerade`), not the bridge plugin's `ipMasq`: that adds an iptables chain per pod, which costs every
/// sandbox start and stop several iptables calls and is left behind whenever a sandbox is never torn down. This is what k3s configures with its
/// flannel bridge on one node; between nodes the routes come later.
enum PodNetworkConfig {
    static let networkName = "skiff"

    /// The node's bridge: `skiff` and a hash of the node name (interface names hold 15 characters), so that
    /// several agents on one machine (each its own node and pod range, as with kind) keep to their own bridges.
    static func bridgeName(node: String) -> String { "skiff" + nodeHash(node) }

    /// FNV-1a of the node name as 8 hex digits: short enough for interface and iptables chain names.
    static func nodeHash(_ node: String) -> String {
        var hash: UInt32 = 0x811C_9DC5
        for byte in node.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// The pods' gateway: the first address of the node's pod range, on its bridge.
    static func gateway(podCIDR: String) -> String? { IPv4CIDR(podCIDR).map { $0.address(at: 1) } }

    /// Makes the node's bridge with its gateway address before the first pod needs it (the bridge plugin takes the
    /// bridge as it finds it), so that what the node serves on the gateway, such as the cluster DNS, answers from the
    /// start, and the pod range is the node's own rather than routed out by default until a pod exists.
    static func ensureBridge(node: String, podCIDR: String) throws {
        guard let ip = Containerd.find("ip") else { throw AgentError("ip is not installed (Debian's iproute2 package)") }
        guard let cidr = IPv4CIDR(podCIDR), let gateway = gateway(podCIDR: podCIDR) else { throw AgentError("pod range \(podCIDR) is not IPv4") }
        let bridge = bridgeName(node: node)
        // Fails harmlessly when the bridge exists from an earlier run or pod.
        _ = try run(ip, ["link", "add", "name", bridge, "type", "bridge"])
        for arguments in [["addr", "replace", "\(gateway)/\(cidr.prefixLength)", "dev", bridge], ["link", "set", bridge, "up"]] {
            guard try run(ip, arguments) else { throw AgentError("ip \(arguments.joined(separator: " ")) failed") }
        }
    }

    private static func run(_ executable: String, _ arguments: [String]) throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// The CNI `.conflist` for a node whose pods take addresses from `podCIDR`; host-local keeps its leases in
    /// `ipamDataDirectory`.
    static func conflist(node: String, podCIDR: String, ipamDataDirectory: String) -> JSONValue {
        [
            "cniVersion": "0.4.0",
            "name": .string(networkName),
            "plugins": [
                [
                    "type": "bridge", "bridge": .string(bridgeName(node: node)), "isGateway": true, "ipMasq": false, "hairpinMode": true,
                    "ipam": [
                        "type": "host-local", "ranges": [[["subnet": .string(podCIDR)]]], "routes": [["dst": "0.0.0.0/0"]],
                        "dataDir": .string(ipamDataDirectory),
                    ],
                ],
                ["type": "portmap", "capabilities": ["portMappings": true]],
            ],
        ]
    }
}
