import APIMachinery
import CRI
import Foundation
import KubeObjects

/// How the kubelet sets up name resolution in a pod: the `/etc/resolv.conf` the runtime writes from the sandbox's DNS
/// config (by `dnsPolicy` and `dnsConfig`), and the `/etc/hosts` it mounts into every container.
public struct PodDNS: Sendable, Equatable {
    /// The cluster DNS Service's addresses (the kubelet's `--cluster-dns`); empty when the cluster has none.
    public var clusterDNS: [String]
    /// The cluster domain (`--cluster-domain`, cluster.local).
    public var clusterDomain: String
    /// The node's own resolver configuration (the kubelet's `--resolv-conf`), for `dnsPolicy: Default` and the search
    /// paths a ClusterFirst pod inherits.
    public var host: ResolverConfiguration

    public init(clusterDNS: [String], clusterDomain: String, host: ResolverConfiguration) {
        self.clusterDNS = clusterDNS
        self.clusterDomain = clusterDomain
        self.host = host
    }

    /// The kubelet's limits: the resolver reads at most three nameservers, and 32 search paths.
    static let maximumNameservers = 3
    static let maximumSearches = 32

    /// The sandbox's DNS config for `pod`, as the kubelet's `GetPodDNS` builds it.
    func sandboxConfig(for pod: JSONValue) -> Runtime_V1_DNSConfig {
        let spec = pod["spec"] ?? .emptyObject
        let hostNetwork = spec["hostNetwork"]?.boolValue == true
        var policy = spec["dnsPolicy"]?.stringValue ?? "ClusterFirst"
        // A host-network pod resolves as the node does unless it asks for the cluster's DNS explicitly.
        if policy == "ClusterFirst" && hostNetwork { policy = "Default" }
        if policy == "ClusterFirstWithHostNet" { policy = "ClusterFirst" }
        if policy == "ClusterFirst" && clusterDNS.isEmpty { policy = "Default" }
        var config = ResolverConfiguration()
        switch policy {
        case "ClusterFirst":
            let namespace = pod.metadata.namespace ?? "default"
            config.nameservers = clusterDNS
            config.searches = ["\(namespace).svc.\(clusterDomain)", "svc.\(clusterDomain)", clusterDomain] + host.searches
            config.options = ["ndots:5"]
        case "Default":
            config = host
        default:
            break
        }
        if let dnsConfig = spec["dnsConfig"] {
            config.merge(
                nameservers: (dnsConfig["nameservers"]?.arrayValue ?? []).compactMap(\.stringValue),
                searches: (dnsConfig["searches"]?.arrayValue ?? []).compactMap(\.stringValue),
                options: (dnsConfig["options"]?.arrayValue ?? []).compactMap { option in
                    option["name"]?.stringValue.map { name in option["value"]?.stringValue.map { "\(name):\($0)" } ?? name }
                })
        }
        return .with {
            $0.servers = Array(config.nameservers.prefix(Self.maximumNameservers))
            $0.searches = Array(config.searches.prefix(Self.maximumSearches))
            $0.options = config.options
        }
    }

    /// The kubelet's managed `/etc/hosts`: localhost, the pod's own name (with its FQDN under a `subdomain`) on its
    /// address, and `hostAliases`; a host-network pod gets the node's file instead of the first part.
    func hostsFile(for pod: JSONValue, podIPs: [String], nodeHosts: String) -> String {
        let spec = pod["spec"] ?? .emptyObject
        var lines: [String]
        if spec["hostNetwork"]?.boolValue == true {
            lines = ["# Kubernetes-managed hosts file (host network).", nodeHosts.trimmingCharacters(in: .newlines)]
        } else {
            lines = [
                "# Kubernetes-managed hosts file.", "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet",
                "fe00::0\tip6-mcastprefix", "fe00::1\tip6-allnodes", "fe00::2\tip6-allrouters",
            ]
            let hostname = spec["hostname"]?.stringValue ?? String(pod.metadata.name.prefix(63))
            let namespace = pod.metadata.namespace ?? "default"
            for ip in podIPs {
                if let subdomain = spec["subdomain"]?.stringValue, !subdomain.isEmpty {
                    lines.append("\(ip)\t\(hostname).\(subdomain).\(namespace).svc.\(clusterDomain)\t\(hostname)")
                } else {
                    lines.append("\(ip)\t\(hostname)")
                }
            }
        }
        let aliases = spec["hostAliases"]?.arrayValue ?? []
        if !aliases.isEmpty {
            lines.append("")
            lines.append("# Entries added by HostAliases.")
            for alias in aliases {
                guard let ip = alias["ip"]?.stringValue else { continue }
                let names = (alias["hostnames"]?.arrayValue ?? []).compactMap(\.stringValue)
                lines.append(([ip] + names).joined(separator: "\t"))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The pod's hostname as its sandbox sees it: the FQDN with `setHostnameAsFQDN` and a `subdomain`.
    func hostname(for pod: JSONValue) -> String {
        let spec = pod["spec"] ?? .emptyObject
        let hostname = spec["hostname"]?.stringValue ?? String(pod.metadata.name.prefix(63))
        guard spec["setHostnameAsFQDN"]?.boolValue == true, let subdomain = spec["subdomain"]?.stringValue, !subdomain.isEmpty else {
            return hostname
        }
        return "\(hostname).\(subdomain).\(pod.metadata.namespace ?? "default").svc.\(clusterDomain)"
    }
}

/// What a `resolv.conf` says: nameservers, search paths (`search` or `domain`) and options.
public struct ResolverConfiguration: Sendable, Equatable {
    public var nameservers: [String] = []
    public var searches: [String] = []
    public var options: [String] = []

    public init() {}

    public init(parsing text: String) {
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = fields.first, !keyword.hasPrefix("#"), !keyword.hasPrefix(";") else { continue }
            let values = Array(fields.dropFirst())
            switch keyword {
            case "nameserver": nameservers += values.prefix(1)
            // The last `search` or `domain` line wins, as in the resolver; "." is the root, no search path.
            case "search", "domain": searches = values.filter { $0 != "." }
            case "options": options += values
            default: break
            }
        }
    }

    /// The node's resolver file: `system` unless it names only loopback stubs (such as systemd-resolved's
    /// 127.0.0.53, which pods cannot reach), in which case systemd-resolved's list of the upstreams behind the stub,
    /// where k3s looks for it too.
    public static func nodeFile(system: String = "/etc/resolv.conf", stubUpstreams: String = "/run/systemd/resolve/resolv.conf") -> String {
        let configuration = ResolverConfiguration(parsing: (try? String(contentsOfFile: system, encoding: .utf8)) ?? "")
        let onlyLoopback = configuration.nameservers.allSatisfy { $0.hasPrefix("127.") || $0 == "::1" }
        guard !configuration.nameservers.isEmpty, onlyLoopback, FileManager.default.fileExists(atPath: stubUpstreams) else { return system }
        return stubUpstreams
    }

    /// Adds a pod's `dnsConfig`: nameservers and searches appended without repeats, options replacing those of the
    /// same name.
    mutating func merge(nameservers extraNameservers: [String], searches extraSearches: [String], options extraOptions: [String]) {
        for server in extraNameservers where !nameservers.contains(server) { nameservers.append(server) }
        for search in extraSearches where !searches.contains(search) { searches.append(search) }
        func name(_ option: String) -> Substring { option.split(separator: ":", maxSplits: 1).first ?? Substring(option) }
        for option in extraOptions {
            options.removeAll { name($0) == name(option) }
            options.append(option)
        }
    }
}

extension NodeAgent {
    /// The kubelet's `/etc/hosts` mount for a container, written to `<pod dir>/etc-hosts` (in place, so containers
    /// already running see the same file); none when the container mounts its own `/etc/hosts` or the pod has no
    /// address yet.
    func hostsMount(for container: JSONValue, pod: JSONValue, uid: String, sandboxIP: String?) throws -> [Runtime_V1_Mount] {
        let hostNetwork = Pod(pod).spec.hostNetwork
        let ownMount = (container["volumeMounts"]?.arrayValue ?? []).contains { $0["mountPath"]?.stringValue == "/etc/hosts" }
        guard !ownMount, hostNetwork || sandboxIP != nil else { return [] }
        let nodeHosts = hostNetwork ? (try? String(contentsOfFile: options.nodeHostsFile, encoding: .utf8)) ?? "" : ""
        let path = "\(paths.pods)/\(uid)/etc-hosts"
        try FileManager.default.createDirectory(atPath: "\(paths.pods)/\(uid)", withIntermediateDirectories: true)
        let content = Data(options.podDNS.hostsFile(for: pod, podIPs: sandboxIP.map { [$0] } ?? [], nodeHosts: nodeHosts).utf8)
        if FileManager.default.contents(atPath: path) != content {
            // An empty file to open; the write below fails with a clear error if it could not be made.
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            let file = try FileHandle(forUpdating: URL(fileURLWithPath: path))
            defer { try? file.close() }
            try file.truncate(atOffset: 0)
            try file.write(contentsOf: content)
        }
        return [.with {
            $0.containerPath = "/etc/hosts"
            $0.hostPath = path
        }]
    }
}
