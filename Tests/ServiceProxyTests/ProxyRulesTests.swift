import APIMachinery
import Foundation
import Testing

@testable import ServiceProxy

@Suite("service proxy rules")
struct ProxyRulesTests {
    static let options = ProxyRules.Options(table: "skiff-test", nodeName: "n1", serviceCIDR: "10.43.0.0/16", clusterCIDR: "10.42.0.0/16")

    static func service(_ name: String, clusterIP: String = "10.43.0.10", ports: [JSONValue] = [["name": "http", "port": 80, "targetPort": "web"]],
                        extra: [String: JSONValue] = [:]) -> JSONValue {
        var spec: [String: JSONValue] = ["clusterIP": .string(clusterIP), "ports": .array(ports)]
        for (key, value) in extra { spec[key] = value }
        return ["metadata": ["name": .string(name), "namespace": "shop"], "spec": .object(spec)]
    }

    static func slice(_ service: String, endpoints: [(String, JSONValue)], port: Int64 = 8080, name: String = "http") -> JSONValue {
        [
            "metadata": ["name": .string("\(service)-abc"), "namespace": "shop", "labels": ["kubernetes.io/service-name": .string(service)]],
            "addressType": "IPv4", "ports": [["name": .string(name), "port": .integer(port), "protocol": "TCP"]],
            "endpoints": .array(endpoints.map { ["addresses": [.string($0.0)], "conditions": $0.1] }),
        ]
    }

    @Test func readyEndpointsAreChosenAndTerminatingOnesOnlyWhenNoneIsReady() {
        let ports = ProxiedPort.all(
            services: [Self.service("web")],
            slices: [
                Self.slice(
                    "web",
                    endpoints: [
                        ("10.42.0.5", ["ready": true]), ("10.42.0.6", ["ready": false, "serving": true, "terminating": true]),
                        ("10.42.0.7", [:]),
                    ])
            ])
        #expect(ports.count == 1)
        #expect(ports[0].identity == "shop/web/tcp/http")
        #expect(ports[0].usableEndpoints.map(\.ip) == ["10.42.0.5", "10.42.0.7"], "no condition counts as ready")
        #expect(ports[0].usableEndpoints.allSatisfy { $0.port == 8080 }, "the named target port resolves through the slice")

        let draining = ProxiedPort.all(
            services: [Self.service("web")],
            slices: [Self.slice("web", endpoints: [("10.42.0.6", ["ready": false, "serving": true, "terminating": true]), ("10.42.0.8", ["ready": false])])])
        #expect(draining[0].usableEndpoints.map(\.ip) == ["10.42.0.6"])
    }

    @Test func headlessExternalNameAndOtherServicesSlicesGetNoRules() {
        let ports = ProxiedPort.all(
            services: [
                Self.service("headless", clusterIP: "None"), Self.service("outside", clusterIP: "", extra: ["type": "ExternalName"]),
                Self.service("web"),
            ],
            slices: [Self.slice("other", endpoints: [("10.42.0.9", [:])])])
        #expect(ports.map(\.serviceName) == ["web"])
        #expect(ports[0].endpoints.isEmpty)
    }

    @Test func aServiceWithEndpointsIsMappedToAChainThatPicksOneUniformlyAtRandom() {
        let ports = ProxiedPort.all(
            services: [Self.service("web")], slices: [Self.slice("web", endpoints: [("10.42.0.5", [:]), ("10.42.0.6", [:])])])
        let rules = ProxyRules(ports: ports, options: Self.options)
        let serviceChain = ProxyRules.chainName("service", "shop/web/tcp/http")
        #expect(rules.merged.elements["service-ips"]?["10.43.0.10 . tcp . 80"] == "goto \(serviceChain)")
        #expect(rules.merged.elements["cluster-ips"]?.keys.sorted() == ["10.43.0.10"])
        let chain = rules.merged.chains[serviceChain]?.rules ?? []
        #expect(chain.first == "ip daddr 10.43.0.10 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade")
        #expect(
            Array(chain.dropFirst()) == [
                "numgen random mod 2 == 0 meta l4proto tcp dnat to 10.42.0.5:8080", "meta l4proto tcp dnat to 10.42.0.6:8080",
            ], "the first endpoint takes half, the second the rest")
        #expect(!rules.merged.chains.keys.contains { $0.hasPrefix("endpoint-") }, "no chain per endpoint without affinity")
        let hairpin = (rules.transaction(from: nil) ?? "").split(separator: "\n").filter { $0.hasPrefix("add element ip skiff-test hairpin-endpoints") }
        #expect(hairpin == ["add element ip skiff-test hairpin-endpoints { 10.42.0.5 . 10.42.0.5, 10.42.0.6 . 10.42.0.6 }"])
        #expect(rules.merged.chains["cluster-ips-check"]?.rules.last?.hasPrefix("ip daddr 10.43.0.0/16 drop") == true)
    }

    @Test func aServiceWithoutEndpointsIsRejected() {
        let rules = ProxyRules(ports: ProxiedPort.all(services: [Self.service("web")], slices: []), options: Self.options)
        #expect(rules.merged.elements["no-endpoint-services"]?["10.43.0.10 . tcp . 80"] == "goto reject-chain")
        #expect(rules.merged.elements["service-ips"] == nil)
        #expect(rules.merged.elements["cluster-ips"]?["10.43.0.10"] != nil)
    }

    @Test func clientIPAffinityRemembersEachClientsEndpoint() {
        let ports = ProxiedPort.all(
            services: [Self.service("web", extra: ["sessionAffinity": "ClientIP"])], slices: [Self.slice("web", endpoints: [("10.42.0.5", [:])])])
        let rules = ProxyRules(ports: ports, options: Self.options)
        let affinity = rules.merged.collections.filter { $0.key.hasPrefix("affinity-") }
        #expect(affinity.count == 1)
        #expect(affinity.first?.value == "type ipv4_addr; flags dynamic,timeout; timeout 10800s;")
        let serviceChain = rules.merged.chains[ProxyRules.chainName("service", "shop/web/tcp/http")]?.rules ?? []
        #expect(serviceChain.contains { $0.hasPrefix("ip saddr @\(affinity.first?.key ?? "") goto endpoint-") })
    }

    @Test func aSyncWritesOnlyWhatChanged() {
        let before = ProxyRules(
            ports: ProxiedPort.all(services: [Self.service("web")], slices: [Self.slice("web", endpoints: [("10.42.0.5", [:]), ("10.42.0.6", [:])])]),
            options: Self.options)
        let first = before.transaction(from: nil) ?? ""
        #expect(first.hasPrefix("add table ip skiff-test\ndelete table ip skiff-test\nadd table ip skiff-test\n"), "a first sync replaces what an earlier run left")

        let after = ProxyRules(
            ports: ProxiedPort.all(services: [Self.service("web")], slices: [Self.slice("web", endpoints: [("10.42.0.5", [:])])]), options: Self.options)
        let change = (after.transaction(from: before) ?? "").split(separator: "\n").map(String.init)
        let service = ProxyRules.chainName("service", "shop/web/tcp/http")
        #expect(change.contains("flush chain ip skiff-test \(service)"))
        #expect(change.contains("delete element ip skiff-test hairpin-endpoints { 10.42.0.6 . 10.42.0.6 }"))
        #expect(!change.contains { $0.contains("cluster-ips-check") || $0.contains("delete table") }, "unchanged chains are left alone")
        #expect(after.transaction(from: after) == nil, "nothing changed, nothing written")
        #expect(before.routes(to: "10.42.0.6") && !after.routes(to: "10.42.0.6") && after.routes(to: "10.42.0.5"))
    }

    @Test func aChangeToOneServiceWritesThatServiceAlone() {
        let web = Self.slice("web", endpoints: [("10.42.0.5", [:])])
        let api = Self.service("api", clusterIP: "10.43.0.11")
        var rules = ProxyRules(
            ports: ProxiedPort.all(
                services: [Self.service("web"), api], slices: [web, Self.slice("api", endpoints: [("10.42.0.6", [:])])]),
            options: Self.options)
        let before = rules
        rules.update(service: "shop/api", ports: ProxiedPort.all(services: [api], slices: [Self.slice("api", endpoints: [("10.42.0.7", [:])])]))
        let change = rules.transaction(from: before) ?? ""
        #expect(change.contains("dnat to 10.42.0.7:8080") && change.contains("delete element ip skiff-test hairpin-endpoints { 10.42.0.6 . 10.42.0.6 }"))
        #expect(!change.contains("shop/web") && !change.contains("10.42.0.5"), "the unchanged Service is not written")

        rules.update(service: "shop/api", ports: [])
        let removal = (rules.transaction(from: before) ?? "").split(separator: "\n").map(String.init)
        #expect(removal.contains("delete element ip skiff-test cluster-ips { 10.43.0.11 }"))
        #expect(removal.contains("delete element ip skiff-test service-ips { 10.43.0.11 . tcp . 80 }"))
        #expect(removal.contains("delete chain ip skiff-test \(ProxyRules.chainName("service", "shop/api/tcp/http"))"))
        #expect(!removal.contains { $0.contains("shop/web") })
        #expect(rules.routes(to: "10.42.0.5") && !rules.routes(to: "10.42.0.6") && !rules.routes(to: "10.42.0.7"))
        #expect(rules.merged == ProxyRules(ports: ProxiedPort.all(services: [Self.service("web")], slices: [web]), options: Self.options).merged)
    }

    @Test func metricsAreKubeProxysHistogramAndTheRuleCount() {
        let metrics = ProxyMetrics()
        metrics.recordSync(duration: .milliseconds(3), rules: 42, at: Date(timeIntervalSince1970: 1_700_000_000))
        metrics.recordSync(duration: .seconds(20), rules: 40, at: Date(timeIntervalSince1970: 1_700_000_001))
        let lines = metrics.text.split(separator: "\n").map(String.init)
        #expect(lines.contains("kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.002\"} 0"))
        #expect(lines.contains("kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.004\"} 1"))
        #expect(lines.contains("kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"16.384\"} 1"))
        #expect(lines.contains("kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"+Inf\"} 2"))
        #expect(lines.contains("kubeproxy_sync_proxy_rules_duration_seconds_count 2"))
        #expect(lines.contains("kubeproxy_sync_proxy_rules_last_timestamp_seconds 1700000001.0"))
        #expect(lines.contains("skiff_proxy_nftables_rules 40"))
    }

    @Test func nodePortsAndLoadBalancerAddressesGoThroughAMasqueradingChain() {
        var service = Self.service("front", extra: ["type": "LoadBalancer", "ports": [["port": 80, "nodePort": 30080, "protocol": "TCP"]]])
        service["status"] = ["loadBalancer": ["ingress": [["ip": "192.0.2.10"]]]]
        let withEndpoints = ProxyRules(
            ports: ProxiedPort.all(services: [service], slices: [Self.slice("front", endpoints: [("10.42.0.5", [:])], port: 80, name: "")]),
            options: Self.options)
        let external = ProxyRules.chainName("external", "shop/front/tcp/p80")
        #expect(withEndpoints.merged.elements["service-nodeports"]?["tcp . 30080"] == "goto \(external)")
        #expect(withEndpoints.merged.elements["service-ips"]?["192.0.2.10 . tcp . 80"] == "goto \(external)")
        #expect(withEndpoints.merged.chains[external]?.rules == ["jump mark-for-masquerade", "goto \(ProxyRules.chainName("service", "shop/front/tcp/p80"))"])
        let without = ProxyRules(ports: ProxiedPort.all(services: [service], slices: []), options: Self.options)
        #expect(without.merged.elements["no-endpoint-nodeports"]?["tcp . 30080"] == "goto reject-chain")
        #expect(without.merged.elements["no-endpoint-services"]?["192.0.2.10 . tcp . 80"] == "goto reject-chain")
    }

    @Test func localTrafficPoliciesKeepToThisNodesEndpoints() {
        var service = Self.service(
            "front", extra: ["type": "NodePort", "externalTrafficPolicy": "Local", "ports": [["port": 80, "nodePort": 30080, "protocol": "TCP"]]])
        var slice = Self.slice("front", endpoints: [("10.42.0.5", [:]), ("10.42.1.5", [:])], port: 80, name: "")
        slice["endpoints"] = [
            ["addresses": ["10.42.0.5"], "nodeName": "n1"], ["addresses": ["10.42.1.5"], "nodeName": "n2"],
        ]
        var rules = ProxyRules(ports: ProxiedPort.all(services: [service], slices: [slice]), options: Self.options)
        let identity = "shop/front/tcp/p80"
        let local = rules.merged.chains[ProxyRules.chainName("local", identity)]?.rules ?? []
        #expect(local.last == "meta l4proto tcp dnat to 10.42.0.5:80" && !local.contains { $0.contains("10.42.1.5") })
        let external = rules.merged.chains[ProxyRules.chainName("external", identity)]?.rules ?? []
        #expect(external.last == "goto \(ProxyRules.chainName("local", identity))")
        #expect(!external.contains("jump mark-for-masquerade"), "outside clients keep their address")
        #expect(rules.merged.elements["service-ips"]?["10.43.0.10 . tcp . 80"] == "goto \(ProxyRules.chainName("service", identity))")

        service[path: "spec", "internalTrafficPolicy"] = "Local"
        slice["endpoints"] = [["addresses": ["10.42.1.5"], "nodeName": "n2"]]
        rules = ProxyRules(ports: ProxiedPort.all(services: [service], slices: [slice]), options: Self.options)
        #expect(rules.merged.elements["service-ips"]?["10.43.0.10 . tcp . 80"] == "goto \(ProxyRules.chainName("local", identity))")
        #expect(rules.merged.chains[ProxyRules.chainName("local", identity)]?.rules == ["drop comment \"no local endpoints\""])
    }

    /// The scripts are valid nftables for this kernel: checked (not applied) in a network namespace of the test's own.
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft") && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")))
    func theScriptsAreAcceptedByNft() throws {
        let before = ProxyRules(
            ports: ProxiedPort.all(
                services: [
                    Self.service("web", extra: ["sessionAffinity": "ClientIP"]), Self.service("empty", clusterIP: "10.43.0.11"),
                    Self.service("front", clusterIP: "10.43.0.12", ports: [["name": "http", "port": 80, "nodePort": 30080]]),
                    Self.service(
                        "local", clusterIP: "10.43.0.13", ports: [["name": "http", "port": 80, "nodePort": 30081]],
                        extra: ["externalTrafficPolicy": "Local", "internalTrafficPolicy": "Local"]),
                ],
                slices: [
                    Self.slice("web", endpoints: [("10.42.0.5", [:]), ("10.42.0.6", [:])]), Self.slice("local", endpoints: [("10.42.0.8", [:])]),
                ]),
            options: Self.options)
        let after = ProxyRules(
            ports: ProxiedPort.all(services: [Self.service("web")], slices: [Self.slice("web", endpoints: [("10.42.0.7", [:])])]), options: Self.options)
        let script = (before.transaction(from: nil) ?? "") + (after.transaction(from: before) ?? "")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-proxy-\(UUID().uuidString).nft")
        try script.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--net", "/usr/sbin/nft", "-f", file.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(message)\n\(script)")
    }
}
