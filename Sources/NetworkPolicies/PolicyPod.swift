import APIMachinery
import KubeObjects

/// What policies need to know of a pod: where it is, its labels, its address, and its named container ports.
struct PolicyPod: Equatable, Sendable {
    struct NamedPort: Hashable, Sendable {
        var proto: String
        var number: Int
    }

    var namespace: String
    var labels: [String: String]
    var ip: String
    var nodeName: String?
    /// Container port name → the protocol and number it stands for.
    var namedPorts: [String: [NamedPort]]

    /// A pod policies apply to, or nil for one they cannot: without an address yet, finished (its address is free for
    /// another pod), or on the node's network (policies leave the node's own traffic alone, as upstream).
    init?(_ json: JSONValue) {
        let pod = Pod(json)
        guard !pod.spec.hostNetwork, !pod.isFinished, let ip = pod.status.podIP, IPv4CIDR.parseAddress(ip) != nil else { return nil }
        namespace = json.metadata.namespace ?? "default"
        labels = json.metadata.labels
        self.ip = ip
        nodeName = pod.spec.nodeName
        var namedPorts: [String: [NamedPort]] = [:]
        for container in pod.spec.initContainers + pod.spec.containers {
            for port in container.ports {
                guard let name = port.name, !name.isEmpty, let number = port.containerPort else { continue }
                namedPorts[name, default: []].append(NamedPort(proto: port.protocol.lowercased(), number: Int(number)))
            }
        }
        self.namedPorts = namedPorts
    }

    /// What the enforcer's cache of every pod in the cluster keeps of each: the fields `init?(_:)` reads, and the
    /// identity the cache needs. A pod's spec and status are most of its size.
    static func cachedFields(_ pod: JSONValue) -> JSONValue {
        var kept: [String: JSONValue] = [:]
        var metadata: [String: JSONValue] = [:]
        for field in ["name", "namespace", "uid", "resourceVersion", "labels"] { metadata[field] = pod["metadata"]?[field] }
        kept["metadata"] = .object(metadata)
        var spec: [String: JSONValue] = [:]
        for field in ["nodeName", "hostNetwork"] { spec[field] = pod["spec"]?[field] }
        for field in ["containers", "initContainers"] {
            if let containers = pod["spec"]?[field]?.arrayValue {
                spec[field] = .array(containers.map { container in container["ports"].map { ["ports": $0] } ?? .emptyObject })
            }
        }
        kept["spec"] = .object(spec)
        var status: [String: JSONValue] = [:]
        for field in ["phase", "podIP"] { status[field] = pod["status"]?[field] }
        kept["status"] = .object(status)
        return .object(kept)
    }

    init(namespace: String, labels: [String: String], ip: String, nodeName: String?, namedPorts: [String: [NamedPort]] = [:]) {
        self.namespace = namespace
        self.labels = labels
        self.ip = ip
        self.nodeName = nodeName
        self.namedPorts = namedPorts
    }

    /// The node's cluster DNS, which answers on the node's pod gateway rather than in a pod: it stands in policies
    /// for the CoreDNS pods of other clusters (`k8s-app: kube-dns` in kube-system, ports `dns` and `dns-tcp`), so
    /// that the usual DNS allowance of an egress policy lets a pod resolve names.
    static func clusterDNS(ip: String, nodeName: String) -> PolicyPod {
        PolicyPod(
            namespace: "kube-system", labels: ["k8s-app": "kube-dns"], ip: ip, nodeName: nodeName,
            namedPorts: [
                "dns": [NamedPort(proto: "udp", number: 53)], "dns-tcp": [NamedPort(proto: "tcp", number: 53)],
                "metrics": [NamedPort(proto: "tcp", number: 9153)],
            ])
    }
}
