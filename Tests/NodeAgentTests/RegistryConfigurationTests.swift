import APIMachinery
import Testing

@testable import NodeAgent

/// k3s' registries.yaml, as containerd's hosts.toml files; and the pods' CNI network.
@Suite("node configuration")
struct RegistryConfigurationTests {
    static let yaml = """
        mirrors:
          docker.io:
            endpoint:
              - "http://127.0.0.1:5000"
              - "https://mirror.example.com/v2"
          registry.k8s.io:
            endpoint: ["http://127.0.0.1:5000"]
        configs:
          "mirror.example.com":
            tls:
              ca_file: /etc/ssl/mirror-ca.pem
              cert_file: /etc/ssl/client.pem
              key_file: /etc/ssl/client-key.pem
            auth:
              username: ci
              password: "s3cret"
          "numbers.example.com":
            auth:
              username: 2024
              password: 123456
          "registry.internal:8443":
            tls:
              insecure_skip_verify: true
        """

    @Test func mirrorsBecomeHostsFilesWithEachHostsTLSSettings() throws {
        let configuration = try RegistryConfiguration(yaml: Self.yaml)
        #expect(configuration.mirrors["docker.io"] == ["http://127.0.0.1:5000", "https://mirror.example.com/v2"])
        #expect(configuration.hosts["mirror.example.com"]?.username == "ci" && configuration.hosts["mirror.example.com"]?.password == "s3cret")
        // Scalars are strings, whatever they look like.
        #expect(configuration.hosts["numbers.example.com"]?.username == "2024" && configuration.hosts["numbers.example.com"]?.password == "123456")
        #expect(configuration.hosts["registry.internal:8443"]?.insecureSkipVerify == true)
        #expect(configuration.hosts["mirror.example.com"]?.insecureSkipVerify == false)
        let files = configuration.hostsFiles()
        #expect(files["docker.io"] == """
            server = "https://registry-1.docker.io"

            [host."http://127.0.0.1:5000"]
              capabilities = ["pull", "resolve"]

            [host."https://mirror.example.com/v2"]
              capabilities = ["pull", "resolve"]
              ca = "/etc/ssl/mirror-ca.pem"
              client = [["/etc/ssl/client.pem", "/etc/ssl/client-key.pem"]]

            """)
        #expect(files["registry.k8s.io"]?.hasPrefix("server = \"https://registry.k8s.io\"\n") == true)
        #expect(files["registry.internal:8443"]?.contains("skip_verify = true") == true, "TLS settings without a mirror")
        #expect(Set(files.keys) == ["docker.io", "registry.k8s.io", "registry.internal:8443", "mirror.example.com"])
    }

    @Test func emptyAndBrokenFiles() throws {
        #expect(try RegistryConfiguration(yaml: "") == RegistryConfiguration())
        #expect(throws: RegistryConfiguration.Error.self) { try RegistryConfiguration(yaml: "- just\n- a list\n") }
        #expect(throws: RegistryConfiguration.Error.self) { try RegistryConfiguration(yaml: "mirrors: [unclosed") }
        #expect(RegistryConfiguration.host(of: "https://mirror.example.com:5000/v2/") == "mirror.example.com:5000")
        #expect(RegistryConfiguration.quoted("a\"b\\c") == "\"a\\\"b\\\\c\"")
    }

    @Test func podsGetABridgeNetworkFromTheNodesRange() {
        let conflist = PodNetworkConfig.conflist(node: "worker-1", podCIDR: "10.42.3.0/24", ipamDataDirectory: "/var/lib/skiff/cni")
        let plugins = conflist["plugins"]?.arrayValue ?? []
        #expect(plugins.compactMap { $0["type"]?.stringValue } == ["bridge", "portmap"])
        #expect(plugins.first?[path: "ipam", "ranges"] == [[["subnet": "10.42.3.0/24"]]])
        #expect(plugins.first?["isGateway"] == true && plugins.first?[path: "ipam", "dataDir"] == "/var/lib/skiff/cni")
        let bridge = PodNetworkConfig.bridgeName(node: "worker-1")
        #expect(plugins.first?["bridge"] == .string(bridge) && bridge.count == 13 && bridge.hasPrefix("skiff"))
        #expect(PodNetworkConfig.bridgeName(node: "worker-2") != bridge, "each node on a machine has its own bridge")
        #expect(plugins.first?["ipMasq"] == false, "masquerade is one rule per node, not a chain per pod")
    }

    @Test func podsLeavingTheirRangeAreMasqueradedByOneChainPerNode() {
        let rules = PodMasquerade.rules(node: "worker-1", podCIDR: "10.42.3.0/24")
        let chain = PodMasquerade.chainName(node: "worker-1")
        #expect(chain == "SKIFF-MASQ-" + PodNetworkConfig.bridgeName(node: "worker-1").dropFirst(5) && chain.count <= 28)
        #expect(rules.create == ["-t", "nat", "-N", chain])
        #expect(rules.contents.first == ["-t", "nat", "-F", chain], "re-running replaces the chain's rules, never duplicates them")
        #expect(
            Array(rules.contents.dropFirst()) == [
                ["-t", "nat", "-A", chain, "-d", "10.42.3.0/24", "-j", "RETURN"], ["-t", "nat", "-A", chain, "-d", "224.0.0.0/4", "-j", "RETURN"],
                ["-t", "nat", "-A", chain, "-j", "MASQUERADE"],
            ])
        #expect(rules.jump.first == "POSTROUTING" && rules.jump.contains("10.42.3.0/24") && rules.jump.last == chain)
    }
}
