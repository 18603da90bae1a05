import APIMachinery
import Foundation
import Testing

@testable import NodeAgent

/// The resolv.conf and /etc/hosts a pod gets, as the kubelet builds them from `dnsPolicy`, `dnsConfig`, the node's
/// resolver configuration and the pod's names.
@Suite("pod DNS")
struct PodDNSTests {
    static let host = ResolverConfiguration(parsing: """
        # written by the network
        nameserver 192.0.2.53
        nameserver 192.0.2.54
        search corp.example .
        options timeout:2 rotate
        """)
    static let dns = PodDNS(clusterDNS: ["10.43.0.10"], clusterDomain: "cluster.local", host: host)

    static func pod(_ spec: JSONValue = .emptyObject, name: String = "web") -> JSONValue {
        var pod: JSONValue = ["metadata": ["name": .string(name), "namespace": "shop"], "spec": spec]
        if pod[path: "spec", "containers"] == nil { pod[path: "spec", "containers"] = [["name": "c", "image": "busybox"]] }
        return pod
    }

    @Test func theNodesResolvConfIsRead() {
        #expect(Self.host.nameservers == ["192.0.2.53", "192.0.2.54"])
        #expect(Self.host.searches == ["corp.example"], "the root is no search path")
        #expect(Self.host.options == ["timeout:2", "rotate"])
    }

    @Test func aLoopbackStubIsFollowedToTheUpstreamsBehindIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-resolv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let system = directory.appendingPathComponent("resolv.conf").path
        let upstreams = directory.appendingPathComponent("upstreams.conf").path
        try "nameserver 127.0.0.53\noptions edns0\n".write(toFile: system, atomically: true, encoding: .utf8)
        #expect(ResolverConfiguration.nodeFile(system: system, stubUpstreams: upstreams) == system, "no upstream list: the file as it is")
        try "nameserver 192.0.2.53\n".write(toFile: upstreams, atomically: true, encoding: .utf8)
        #expect(ResolverConfiguration.nodeFile(system: system, stubUpstreams: upstreams) == upstreams)
        try "nameserver 127.0.0.53\nnameserver 192.0.2.1\n".write(toFile: system, atomically: true, encoding: .utf8)
        #expect(ResolverConfiguration.nodeFile(system: system, stubUpstreams: upstreams) == system, "a real resolver among them: kept")
    }

    @Test func clusterFirstUsesTheClusterDNSWithTheNamespacesSearchPathsAndNdots5() {
        let config = Self.dns.sandboxConfig(for: Self.pod())
        #expect(config.servers == ["10.43.0.10"])
        #expect(config.searches == ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example"])
        #expect(config.options == ["ndots:5"])
    }

    @Test func hostNetworkPodsResolveAsTheNodeUnlessTheyAskForTheCluster() {
        #expect(Self.dns.sandboxConfig(for: Self.pod(["hostNetwork": true])).servers == ["192.0.2.53", "192.0.2.54"])
        let withHostNet = Self.dns.sandboxConfig(for: Self.pod(["hostNetwork": true, "dnsPolicy": "ClusterFirstWithHostNet"]))
        #expect(withHostNet.servers == ["10.43.0.10"])
        let noClusterDNS = PodDNS(clusterDNS: [], clusterDomain: "cluster.local", host: Self.host)
        #expect(noClusterDNS.sandboxConfig(for: Self.pod()).servers == ["192.0.2.53", "192.0.2.54"], "no cluster DNS: the node's")
    }

    @Test func defaultIsTheNodesFileAndNoneIsExactlyTheDNSConfig() {
        let fallback = Self.dns.sandboxConfig(for: Self.pod(["dnsPolicy": "Default"]))
        #expect(fallback.servers == ["192.0.2.53", "192.0.2.54"] && fallback.searches == ["corp.example"] && fallback.options == ["timeout:2", "rotate"])
        let none = Self.dns.sandboxConfig(
            for: Self.pod([
                "dnsPolicy": "None",
                "dnsConfig": [
                    "nameservers": ["1.2.3.4"], "searches": ["ns1.svc.cluster-domain.example", "my.dns.search.suffix"],
                    "options": [["name": "ndots", "value": "2"], ["name": "edns0"]],
                ],
            ]))
        #expect(none.servers == ["1.2.3.4"])
        #expect(none.searches == ["ns1.svc.cluster-domain.example", "my.dns.search.suffix"])
        #expect(none.options == ["ndots:2", "edns0"])
    }

    @Test func aDNSConfigIsMergedIntoThePolicysResult() {
        let merged = Self.dns.sandboxConfig(
            for: Self.pod([
                "dnsConfig": [
                    "nameservers": ["10.43.0.10", "1.2.3.4", "5.6.7.8", "9.9.9.9"], "searches": ["cluster.local", "extra.example"],
                    "options": [["name": "ndots", "value": "1"]],
                ]
            ]))
        #expect(merged.servers == ["10.43.0.10", "1.2.3.4", "5.6.7.8"], "repeats dropped, at most three")
        #expect(merged.searches == ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "extra.example"])
        #expect(merged.options == ["ndots:1"], "the pod's option replaces the one of the same name")
    }

    @Test func hostsFileNamesThePodWithItsFQDNUnderASubdomainAndAddsHostAliases() {
        let plain = Self.dns.hostsFile(for: Self.pod(), podIPs: ["10.42.0.7"], nodeHosts: "")
        #expect(plain.hasPrefix("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"))
        #expect(plain.hasSuffix("fe00::2\tip6-allrouters\n10.42.0.7\tweb\n"))
        let pet = Self.pod(
            ["hostname": "db-0", "subdomain": "db", "hostAliases": [["ip": "127.0.0.1", "hostnames": ["foo.local", "bar.local"]]]], name: "x")
        let hosts = Self.dns.hostsFile(for: pet, podIPs: ["10.42.0.8"], nodeHosts: "")
        #expect(hosts.contains("\n10.42.0.8\tdb-0.db.shop.svc.cluster.local\tdb-0\n"))
        #expect(hosts.hasSuffix("\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n"))
        let onHost = Self.dns.hostsFile(for: Self.pod(["hostNetwork": true]), podIPs: [], nodeHosts: "127.0.0.1 localhost\n192.0.2.2 box\n")
        #expect(onHost == "# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n192.0.2.2 box\n")
    }

    @Test func setHostnameAsFQDNGivesTheSandboxTheFullName() {
        #expect(Self.dns.hostname(for: Self.pod(["hostname": "db-0", "subdomain": "db"])) == "db-0")
        #expect(Self.dns.hostname(for: Self.pod(["hostname": "db-0", "subdomain": "db", "setHostnameAsFQDN": true])) == "db-0.db.shop.svc.cluster.local")
    }
}
