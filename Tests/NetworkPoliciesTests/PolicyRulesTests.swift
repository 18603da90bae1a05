import APIMachinery
import Foundation
import NFTables
import Testing

@testable import NetworkPolicies

@Suite("network policy rules")
struct PolicyRulesTests {
    static func pod(_ namespace: String, _ ip: String, _ labels: [String: String], node: String = "n1", ports: [String: [PolicyPod.NamedPort]] = [:])
        -> PolicyPod
    {
        PolicyPod(namespace: namespace, labels: labels, ip: ip, nodeName: node, namedPorts: ports)
    }

    /// Seed 002's shop: a db pod and an app pod here, an app pod on another node, an unrelated pod, and another
    /// namespace's pods.
    static var world: PolicyWorld {
        var world = PolicyWorld(nodeName: "n1")
        let pods = [
            ("default/db", pod("default", "10.42.0.10", ["role": "db"], ports: ["postgres": [.init(proto: "tcp", number: 5432)]])),
            ("default/app", pod("default", "10.42.0.11", ["role": "app"])),
            ("default/app-2", pod("default", "10.42.1.11", ["role": "app"], node: "n2")),
            ("default/other", pod("default", "10.42.0.12", ["role": "other"])),
            ("monitoring/prometheus", pod("monitoring", "10.42.1.20", ["app": "prometheus"], node: "n2")),
            ("staging/app", pod("staging", "10.42.1.30", ["role": "app"], node: "n2")),
        ]
        for (key, pod) in pods { world.pods[pod.namespace, default: [:]][key] = pod }
        world.namespaceLabels = [
            "default": ["kubernetes.io/metadata.name": "default"], "monitoring": ["kubernetes.io/metadata.name": "monitoring", "team": "ops"],
            "staging": ["kubernetes.io/metadata.name": "staging"],
        ]
        return world
    }

    static func policy(_ yaml: JSONValue) -> PolicySpec? {
        var object = yaml
        object["metadata"] = ["name": "p", "namespace": "default"]
        return PolicySpec(object)
    }

    @Test func theSeedsAllowAppToDbAcceptsAppPodsAnywhereAndIsolatesOnlyTheDbPod() throws {
        let policy = try #require(
            Self.policy([
                "spec": [
                    "podSelector": ["matchLabels": ["role": "db"]], "ingress": [["from": [["podSelector": ["matchLabels": ["role": "app"]]]]]],
                    "policyTypes": ["Ingress"],
                ]
            ]))
        let rules = PolicyRules(policy, in: Self.world)
        let hash = "policy-" + NFTables.shortHash("default/p")
        #expect(rules.isolated == [.ingress: ["10.42.0.10"]], "egress is not isolated")
        #expect(rules.table.elements["\(hash)-targets"]?.keys.sorted() == ["10.42.0.10"])
        #expect(rules.table.elements["\(hash)-ingress0-pods"]?.keys.sorted() == ["10.42.0.11", "10.42.1.11"], "both app pods, not staging's")
        #expect(
            rules.table.chains[PolicyRules.chain(.ingress, namespace: "default", name: "p")]?.rules == [
                "ip daddr @\(hash)-targets ip saddr @\(hash)-ingress0-pods accept"
            ])
        #expect(rules.problems.isEmpty)
    }

    @Test func aPolicyWithoutPodsOnThisNodeAddsNothing() throws {
        let policy = try #require(Self.policy(["spec": ["podSelector": ["matchLabels": ["role": "app"]]]]))
        var world = Self.world
        world.nodeName = "n3"
        let rules = PolicyRules(policy, in: world)
        #expect(rules.table == NFTableContents() && rules.isolated.isEmpty)
    }

    @Test func defaultDenyIngressIsAChainThatAcceptsNothing() throws {
        let policy = try #require(Self.policy(["spec": ["podSelector": [:]]]))
        let rules = PolicyRules(policy, in: Self.world)
        #expect(rules.isolated == [.ingress: ["10.42.0.10", "10.42.0.11", "10.42.0.12"]], "every pod of the namespace on this node")
        #expect(rules.table.chains[PolicyRules.chain(.ingress, namespace: "default", name: "p")]?.rules == [])
    }

    @Test func namespaceAndPodSelectorsInOnePeerBothMustMatchWhileTwoPeersAreEither() throws {
        let both = try #require(
            Self.policy([
                "spec": [
                    "podSelector": ["matchLabels": ["role": "db"]],
                    "ingress": [["from": [["namespaceSelector": ["matchLabels": ["team": "ops"]], "podSelector": ["matchLabels": ["role": "app"]]]]]],
                ]
            ]))
        let hash = "policy-" + NFTables.shortHash("default/p")
        #expect(PolicyRules(both, in: Self.world).table.elements["\(hash)-ingress0-pods"] == [:], "no pod of an ops namespace is role=app")
        let either = try #require(
            Self.policy([
                "spec": [
                    "podSelector": ["matchLabels": ["role": "db"]],
                    "ingress": [["from": [["namespaceSelector": ["matchLabels": ["team": "ops"]]], ["podSelector": ["matchLabels": ["role": "app"]]]]]],
                ]
            ]))
        #expect(
            PolicyRules(either, in: Self.world).table.elements["\(hash)-ingress0-pods"]?.keys.sorted() == ["10.42.0.11", "10.42.1.11", "10.42.1.20"])
        let anyNamespace = try #require(
            Self.policy([
                "spec": [
                    "podSelector": ["matchLabels": ["role": "db"]],
                    "ingress": [["from": [["namespaceSelector": [:], "podSelector": ["matchLabels": ["role": "app"]]]]]],
                ]
            ]))
        #expect(
            PolicyRules(anyNamespace, in: Self.world).table.elements["\(hash)-ingress0-pods"]?.keys.sorted() == [
                "10.42.0.11", "10.42.1.11", "10.42.1.30",
            ])
    }

    @Test func portsByNumberRangeProtocolAndNameBecomeSetsOfTheirOwn() throws {
        let policy = try #require(
            Self.policy([
                "spec": [
                    "podSelector": ["matchLabels": ["role": "db"]],
                    "ingress": [
                        [
                            "ports": [
                                ["port": 5432], ["port": 6000, "endPort": 6010, "protocol": "TCP"], ["protocol": "UDP"], ["port": 6005],
                                ["port": "postgres"], ["port": "metrics"],
                            ]
                        ]
                    ],
                ]
            ]))
        let rules = PolicyRules(policy, in: Self.world)
        let hash = "policy-" + NFTables.shortHash("default/p")
        #expect(rules.table.elements["\(hash)-ingress0-ports"]?.keys.sorted() == ["tcp . 5432", "tcp . 6000-6010", "udp . 0-65535"])
        #expect(rules.table.elements["\(hash)-ingress0-named"]?.keys.sorted() == ["10.42.0.10 . tcp . 5432"], "the db pod's own port")
        #expect(
            rules.table.chains[PolicyRules.chain(.ingress, namespace: "default", name: "p")]?.rules == [
                "ip daddr @\(hash)-targets meta l4proto . th dport @\(hash)-ingress0-ports accept",
                "ip daddr @\(hash)-targets ip daddr . meta l4proto . th dport @\(hash)-ingress0-named accept",
            ], "no peers: from anywhere")
        #expect(rules.problems.count == 1)
        #expect(rules.problems.first?.contains("port \"metrics\" (TCP)") == true)
    }

    @Test func egressToANamedPortResolvesOnThePodsConnectedTo() throws {
        let policy = try #require(
            Self.policy([
                "spec": [
                    "podSelector": ["matchLabels": ["role": "app"]], "policyTypes": ["Egress"],
                    "egress": [["to": [["podSelector": ["matchLabels": ["role": "db"]]]], "ports": [["port": "postgres"]]]],
                ]
            ]))
        let rules = PolicyRules(policy, in: Self.world)
        let hash = "policy-" + NFTables.shortHash("default/p")
        #expect(rules.isolated == [.egress: ["10.42.0.11"]])
        #expect(rules.table.elements["\(hash)-egress0-named"]?.keys.sorted() == ["10.42.0.10 . tcp . 5432"])
        #expect(
            rules.table.chains[PolicyRules.chain(.egress, namespace: "default", name: "p")]?.rules == [
                "ip saddr @\(hash)-targets ip daddr @\(hash)-egress0-pods ip daddr . meta l4proto . th dport @\(hash)-egress0-named accept"
            ])
    }

    @Test func theEnforcersPodCacheKeepsWhatPoliciesRead() throws {
        let pod: JSONValue = [
            "metadata": ["name": "db", "namespace": "shop", "labels": ["role": "db"], "resourceVersion": "7", "annotations": ["big": "note"]],
            "spec": [
                "nodeName": "n1",
                "containers": [["name": "db", "image": "postgres", "env": [["name": "A", "value": "b"]], "ports": [["name": "pg", "containerPort": 5432]]]],
                "initContainers": [["name": "init", "image": "busybox"]],
            ],
            "status": ["phase": "Running", "podIP": "10.42.0.10", "conditions": [["type": "Ready", "status": "True"]]],
        ]
        let cached = PolicyPod.cachedFields(pod)
        #expect(PolicyPod(cached) == PolicyPod(pod))
        #expect(PolicyPod(cached)?.namedPorts == ["pg": [PolicyPod.NamedPort(proto: "tcp", number: 5432)]])
        #expect(cached[path: "metadata", "annotations"] == nil && cached[path: "status", "conditions"] == nil)
        #expect(cached[path: "metadata", "resourceVersion"] == "7", "the informer compares versions")
        var finished = pod
        finished[path: "status", "phase"] = "Succeeded"
        #expect(PolicyPod(PolicyPod.cachedFields(finished)) == nil)
    }

    @Test func ipBlocksLoseTheirExceptionsAndOverlappingOrTouchingBlocksJoin() throws {
        let ranges = AddressRanges([
            (try #require(IPv4CIDR("10.0.0.0/24")), [try #require(IPv4CIDR("10.0.0.128/25")), try #require(IPv4CIDR("10.0.0.16/32"))]),
            (try #require(IPv4CIDR("10.0.0.64/26")), []), (try #require(IPv4CIDR("0.0.0.0/0")), [try #require(IPv4CIDR("10.0.0.0/8"))]),
        ])
        #expect(ranges.elements == ["0.0.0.0-10.0.0.15", "10.0.0.17-10.0.0.127", "11.0.0.0-255.255.255.255"])
    }

    @Test func policyTypesDefaultFromTheRulesPresent() throws {
        let egressOnly = try #require(Self.policy(["spec": ["podSelector": [:], "egress": [["ports": [["port": 53, "protocol": "UDP"]]]]]]))
        #expect(egressOnly.ingress == [], "ingress is always isolated without policyTypes")
        #expect(egressOnly.egress?.count == 1)
        #expect(Self.policy(["spec": ["podSelector": [:], "policyTypes": ["Egress"]]])?.ingress == nil)
        #expect(Self.policy(["spec": ["podSelector": [:], "ingress": [["ports": [["port": 0]]]]]]) == nil, "port 0 is refused by the API")
    }

    @Test func theTableDispatchesEachIsolatedPodToItsNamespaceChainAndChangesOnlyWhatChanged() throws {
        let deny = try #require(Self.policy(["spec": ["podSelector": [:], "policyTypes": ["Ingress", "Egress"]]]))
        var table = PolicyTable(name: "skiff-policy-test")
        table.update(["default/p": PolicyRules(deny, in: Self.world)])
        let whole = try #require(table.transaction(from: nil))
        #expect(whole.hasPrefix("add table ip skiff-policy-test\ndelete table ip skiff-policy-test\n"))
        #expect(whole.contains("add element ip skiff-policy-test ingress-isolated { 10.42.0.10 : goto ingress-namespace-default"))
        #expect(whole.contains("add rule ip skiff-policy-test ingress-namespace-default jump \(PolicyRules.chain(.ingress, namespace: "default", name: "p"))"))
        #expect(whole.contains("add rule ip skiff-policy-test egress-namespace-default drop"))
        #expect(table.transaction(from: table) == nil)

        var world = Self.world
        world.pods["default"]?["default/other"] = nil
        var next = table
        next.update(["default/p": PolicyRules(deny, in: world)])
        let change = try #require(next.transaction(from: table))
        #expect(!change.contains("delete table"))
        #expect(change.contains("delete element ip skiff-policy-test ingress-isolated { 10.42.0.12 }"))
        #expect(!change.contains("add rule"), "the chains stay as they are")

        var empty = next
        empty.update(["default/p": nil])
        let removal = try #require(empty.transaction(from: next))
        #expect(removal.contains("delete chain ip skiff-policy-test ingress-namespace-default"))
        #expect(removal.contains("delete set ip skiff-policy-test policy-\(NFTables.shortHash("default/p"))-targets"))
    }

    /// The kernel accepts what the rules write (checked, not committed, with `nft --check`), when nft can be run here.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft") && getuid() == 0))
    func theKernelAcceptsTheScripts() async throws {
        let policy = try #require(
            Self.policy([
                "spec": [
                    "podSelector": [:], "policyTypes": ["Ingress", "Egress"],
                    "ingress": [
                        [
                            "from": [["podSelector": ["matchLabels": ["role": "app"]]], ["ipBlock": ["cidr": "10.0.0.0/8", "except": ["10.42.0.0/16"]]]],
                            "ports": [["port": 80], ["port": 6000, "endPort": 6010], ["protocol": "SCTP"], ["port": "postgres"]],
                        ]
                    ],
                    "egress": [["to": [["namespaceSelector": [:]]], "ports": [["port": "postgres"], ["port": 53, "protocol": "UDP"]]]],
                ]
            ]))
        // Twenty names, so that some hashes start with a digit (nftables names may not).
        var table = PolicyTable(name: "skiff-policy-unit-test")
        var named: [String: PolicyRules?] = [:]
        for index in 0..<20 {
            var copy = policy
            copy.name = "p\(index)"
            named["default/p\(index)"] = PolicyRules(copy, in: Self.world)
        }
        table.update(named)
        let script = try #require(table.transaction(from: nil))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nft")
        process.arguments = ["--check", "-f", "-"]
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(message)\n\(script)")
    }
}
