import APIMachinery

/// The CNI network containerd gives each pod sandbox: a Linux bridge on the node with the node's pod range
/// (`spec.podCIDR`) handed out by host-local, the bridge as the pods' gateway so they reach each other and the node,
/// masquerade for traffic leaving the pod range, and portmap for `hostPort`. This is what k3s configures with its
/// flannel bridge on one node; between nodes the routes come later.
enum PodNetworkConfig {
    static let networkName = "skiff"
    static let bridgeName = "skiff0"

    /// The CNI `.conflist` for a node whose pods take addresses from `podCIDR`; host-local keeps its leases in
    /// `ipamDataDirectory`.
    static func conflist(podCIDR: String, ipamDataDirectory: String) -> JSONValue {
        [
            "cniVersion": "0.4.0",
            "name": .string(networkName),
            "plugins": [
                [
                    "type": "bridge", "bridge": .string(bridgeName), "isGateway": true, "ipMasq": true, "hairpinMode": true,
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
