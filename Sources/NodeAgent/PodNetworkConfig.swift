import APIMachinery

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
