import APIMachinery
import KubeObjects

/// What the Endpoints and EndpointSlice controllers share: which pods back a Service and on which ports, as
/// Kubernetes' `endpointsliceutil.ShouldPodBeInEndpoints` and `podutil.FindPort` decide.
enum ServiceEndpoints {
    /// One port of an endpoint: the Service port's name and protocol with the pod's port number.
    struct Port: Hashable, Comparable {
        var name: String
        var port: Int64
        var `protocol`: String
        var appProtocol: String?

        static func < (lhs: Port, rhs: Port) -> Bool {
            (lhs.name, lhs.port, lhs.protocol) < (rhs.name, rhs.port, rhs.protocol)
        }

        /// The Endpoints form (`EndpointPort`), which leaves an empty name out.
        var json: JSONValue {
            var port: JSONValue = ["port": .integer(port), "protocol": .string(self.protocol)]
            if !name.isEmpty { port["name"] = .string(name) }
            if let appProtocol { port["appProtocol"] = .string(appProtocol) }
            return port
        }

        /// The EndpointSlice form, whose name the API server defaults to "".
        var sliceJSON: JSONValue {
            var port = json
            port["name"] = .string(name)
            return port
        }
    }

    /// One pod backing a Service.
    struct Endpoint {
        var ip: String
        var nodeName: String?
        var hostname: String?
        var targetRef: JSONValue
        /// Ready to receive traffic (always when the Service publishes not-ready addresses).
        var ready: Bool
        var serving: Bool
        var terminating: Bool
        /// The Service's ports as this pod serves them; a named target port the pod lacks is left out.
        var ports: [Port]

        /// The Endpoints address form (`EndpointAddress`).
        var address: JSONValue {
            var address: JSONValue = ["ip": .string(ip), "targetRef": targetRef]
            if let nodeName { address["nodeName"] = .string(nodeName) }
            if let hostname { address["hostname"] = .string(hostname) }
            return address
        }
    }

    static let headlessLabel = "service.kubernetes.io/headless"

    static func selects(_ service: JSONValue, _ pod: JSONValue) -> Bool {
        guard service.metadata.namespace == pod.metadata.namespace, let selector = Service(service).spec.selector else { return false }
        let labels = pod.metadata.labels
        return selector.allSatisfy { labels[$0.key] == $0.value }
    }

    /// The labels both controllers give their objects: the Service's own, plus the headless marker for headless ones.
    static func inheritedLabels(_ service: JSONValue) -> [String: JSONValue] {
        var labels = service[path: "metadata", "labels"]?.objectValue ?? [:]
        if Service(service).isHeadless { labels[headlessLabel] = "" }
        return labels
    }

    /// The endpoint a pod contributes, or nil when it has no IP yet, has finished, or is going away and terminating
    /// pods are not wanted (Endpoints never lists them unless the Service publishes not-ready addresses).
    static func endpoint(for object: JSONValue, service: JSONValue, includeTerminating: Bool) -> Endpoint? {
        let pod = Pod(object)
        guard let ip = pod.status.podIP, !pod.isFinished else { return nil }
        let terminating = pod.metadata.isDeleting
        let publishNotReady = Service(service).spec.publishNotReadyAddresses
        guard !terminating || includeTerminating || publishNotReady else { return nil }
        let serving = publishNotReady || pod.isReady
        let targetRef: JSONValue = [
            "kind": "Pod", "namespace": .string(pod.metadata.namespace ?? ""), "name": .string(pod.metadata.name), "uid": .string(pod.metadata.uid),
        ]
        // A pod is addressable by hostname only inside the Service named by its subdomain.
        let hostname = pod.spec.subdomain == service.metadata.name ? pod.spec.hostname : nil
        return Endpoint(
            ip: ip, nodeName: object[path: "spec", "nodeName"]?.stringValue, hostname: hostname, targetRef: targetRef,
            ready: publishNotReady || (serving && !terminating), serving: serving, terminating: terminating,
            ports: ports(of: service, for: object))
    }

    /// The Service's ports with each `targetPort` resolved for one pod: a number as is, a name through the pod's
    /// container ports of the same protocol (`podutil.FindPort`); unresolvable names are skipped.
    static func ports(of service: JSONValue, for pod: JSONValue) -> [Port] {
        let containerPorts = Pod(pod).spec.containers.flatMap(\.ports)
        return Service(service).spec.ports.compactMap { servicePort in
            let number: Int64?
            switch servicePort.targetPort {
            case .number(let port): number = port
            case .name(let name): number = containerPorts.first { $0.name == name && $0.protocol == servicePort.protocol }?.containerPort
            case nil: number = nil
            }
            guard let number, number > 0 else { return nil }
            return Port(name: servicePort.name, port: number, protocol: servicePort.protocol, appProtocol: servicePort.appProtocol)
        }
    }

    /// The endpoints a Service has now: its selected pods' endpoints in a stable order.
    static func endpoints(for service: JSONValue, pods: [JSONValue], includeTerminating: Bool) -> [Endpoint] {
        pods.filter { selects(service, $0) }
            .compactMap { endpoint(for: $0, service: service, includeTerminating: includeTerminating) }
            .sorted { ($0.ip, $0.targetRef["name"]?.stringValue ?? "") < ($1.ip, $1.targetRef["name"]?.stringValue ?? "") }
    }

    /// The Endpoints `subsets`, packed as Kubernetes' `RepackSubsets` does: addresses that serve the same set of
    /// ports share a subset. A headless Service without ports still lists its addresses, in a portless subset.
    static func subsets(for service: JSONValue, endpoints: [Endpoint]) -> [JSONValue] {
        let hasPorts = !Service(service).spec.ports.isEmpty
        var groups: [[Port]: (ready: [JSONValue], notReady: [JSONValue])] = [:]
        for endpoint in endpoints {
            let ports = Array(Set(endpoint.ports)).sorted()
            // A Service with ports needs at least one the pod serves; only a headless one lists bare addresses.
            if ports.isEmpty && (hasPorts || !Service(service).isHeadless) { continue }
            if endpoint.ready {
                groups[ports, default: ([], [])].ready.append(endpoint.address)
            } else {
                groups[ports, default: ([], [])].notReady.append(endpoint.address)
            }
        }
        return groups.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { ports, addresses in
            var subset: JSONValue = .emptyObject
            if !addresses.ready.isEmpty { subset["addresses"] = .array(addresses.ready) }
            if !addresses.notReady.isEmpty { subset["notReadyAddresses"] = .array(addresses.notReady) }
            if !ports.isEmpty { subset["ports"] = .array(ports.map(\.json)) }
            return subset
        }
    }

    /// Endpoints hold at most `capacity` addresses (Kubernetes' 1000): beyond it the not-ready addresses are cut
    /// first, then ready ones too, each subset keeping its share (rounded up), as `truncateEndpoints` does.
    /// Returns the subsets and whether anything was cut (the `endpoints.kubernetes.io/over-capacity` annotation).
    static func truncated(_ subsets: [JSONValue], capacity: Int = 1000) -> (subsets: [JSONValue], truncated: Bool) {
        let ready = subsets.map { $0["addresses"]?.arrayValue?.count ?? 0 }.reduce(0, +)
        let notReady = subsets.map { $0["notReadyAddresses"]?.arrayValue?.count ?? 0 }.reduce(0, +)
        guard ready + notReady > capacity else { return (subsets, false) }
        let cutReady = ready > capacity
        let field = cutReady ? "addresses" : "notReadyAddresses"
        let room = cutReady ? capacity : capacity - ready
        let total = cutReady ? ready : notReady
        var left = room
        let cut = subsets.map { subset -> JSONValue in
            var subset = subset
            let addresses = subset[field]?.arrayValue ?? []
            let share = min(left, Int((Double(addresses.count) / Double(total) * Double(room)).rounded(.up)))
            let kept = Array(addresses.prefix(share))
            left -= kept.count
            subset[field] = kept.isEmpty ? JSONValue?.none : .array(kept)
            if cutReady { subset["notReadyAddresses"] = nil }
            return subset
        }
        return (cut, true)
    }
}
