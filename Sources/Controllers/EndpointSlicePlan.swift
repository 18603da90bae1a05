import APIMachinery
import KubeObjects

/// The writes that bring a Service's EndpointSlices in line with its endpoints, like Kubernetes' endpointslice
/// reconciler: endpoints are grouped by port set, endpoints stay in the slice that already holds them, newcomers fill
/// existing slices before new ones are made, and no slice holds more than `maxEndpointsPerSlice`.
struct EndpointSlicePlan {
    var creates: [JSONValue] = []
    var updates: [JSONValue] = []
    var deletes: [String] = []

    static let serviceNameLabel = "kubernetes.io/service-name"
    static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
    static let controllerName = "endpointslice-controller.k8s.io"

    var isEmpty: Bool { creates.isEmpty && updates.isEmpty && deletes.isEmpty }

    /// - Parameters:
    ///   - existing: the slices this controller already keeps for the Service.
    ///   - stamp: what a written slice gets as its last-change trigger time.
    static func plan(
        service: JSONValue, endpoints: [ServiceEndpoints.Endpoint], existing: [JSONValue], maxEndpointsPerSlice: Int = 100, stamp: String
    ) -> EndpointSlicePlan {
        var plan = EndpointSlicePlan()
        let labels = labels(for: service)
        var groups: [[ServiceEndpoints.Port]: [ServiceEndpoints.Endpoint]] = [:]
        for endpoint in endpoints { groups[Array(Set(endpoint.ports)).sorted(), default: []].append(endpoint) }
        var slicesByPorts: [JSONValue: [JSONValue]] = [:]
        for slice in existing.sorted(by: { name($0) < name($1) }) { slicesByPorts[slice["ports"] ?? [], default: []].append(slice) }

        // With no endpoints at all a Service keeps one empty placeholder slice, as in Kubernetes.
        if groups.isEmpty {
            let slices = existing.sorted { name($0) < name($1) }
            let placeholder = slices.first
            plan.deletes = slices.dropFirst().map(name)
            plan.write(placeholder, ports: [], endpoints: [], labels: labels, service: service, stamp: stamp)
            return plan
        }

        for (ports, members) in groups.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            let portsJSON = JSONValue.array(ports.map(\.sliceJSON))
            let desired = Dictionary(members.map { (identity($0), $0) }, uniquingKeysWith: { first, _ in first })
            var placed: Set<String> = []
            // Slices of this port set keep the endpoints they hold that are still wanted, refreshed.
            var kept: [(slice: JSONValue, endpoints: [JSONValue])] = []
            for slice in slicesByPorts.removeValue(forKey: portsJSON) ?? [] {
                var current: [JSONValue] = []
                for entry in slice["endpoints"]?.arrayValue ?? [] {
                    let id = identity(entry)
                    guard let endpoint = desired[id], !placed.contains(id), current.count < maxEndpointsPerSlice else { continue }
                    placed.insert(id)
                    current.append(json(endpoint))
                }
                kept.append((slice, current))
            }
            var newcomers = members.filter { !placed.contains(identity($0)) }.map(json)
            for index in kept.indices where !newcomers.isEmpty {
                let room = maxEndpointsPerSlice - kept[index].endpoints.count
                guard room > 0 else { continue }
                kept[index].endpoints += newcomers.prefix(room)
                newcomers.removeFirst(min(room, newcomers.count))
            }
            for (slice, entries) in kept {
                if entries.isEmpty {
                    plan.deletes.append(name(slice))
                } else {
                    plan.write(slice, ports: portsJSON, endpoints: entries, labels: labels, service: service, stamp: stamp)
                }
            }
            while !newcomers.isEmpty {
                let chunk = Array(newcomers.prefix(maxEndpointsPerSlice))
                newcomers.removeFirst(chunk.count)
                plan.write(nil, ports: portsJSON, endpoints: chunk, labels: labels, service: service, stamp: stamp)
            }
        }
        // Slices of port sets no endpoint has any more.
        plan.deletes += slicesByPorts.values.flatMap { $0.map(name) }
        return plan
    }

    /// Queues a create (no slice yet) or an update (the slice differs from what is wanted).
    private mutating func write(
        _ slice: JSONValue?, ports: JSONValue, endpoints: [JSONValue], labels: [String: JSONValue], service: JSONValue, stamp: String
    ) {
        if let slice {
            guard slice["ports"] ?? [] != ports || slice["endpoints"] ?? [] != .array(endpoints)
                || slice[path: "metadata", "labels"]?.objectValue ?? [:] != labels
            else { return }
            var updated = slice
            updated["ports"] = ports
            updated["endpoints"] = .array(endpoints)
            updated[path: "metadata", "labels"] = .object(labels)
            updated[path: "metadata", "annotations", EndpointsController.lastChangeTriggerTime] = .string(stamp)
            updates.append(updated)
            return
        }
        let serviceName = service.metadata.name
        creates.append([
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": [
                "generateName": .string("\(serviceName)-"), "namespace": service[path: "metadata", "namespace"] ?? "",
                "labels": .object(labels), "annotations": [EndpointsController.lastChangeTriggerTime: .string(stamp)],
                "ownerReferences": [
                    [
                        "apiVersion": "v1", "kind": "Service", "name": .string(serviceName), "uid": service[path: "metadata", "uid"] ?? "",
                        "controller": true, "blockOwnerDeletion": true,
                    ]
                ],
            ],
            "addressType": "IPv4", "ports": ports, "endpoints": .array(endpoints),
        ])
    }

    static func labels(for service: JSONValue) -> [String: JSONValue] {
        var labels = ServiceEndpoints.inheritedLabels(service)
        labels[serviceNameLabel] = service[path: "metadata", "name"] ?? ""
        labels[managedByLabel] = .string(controllerName)
        return labels
    }

    /// The EndpointSlice form of an endpoint.
    static func json(_ endpoint: ServiceEndpoints.Endpoint) -> JSONValue {
        var entry: JSONValue = [
            "addresses": [.string(endpoint.ip)],
            "conditions": ["ready": .bool(endpoint.ready), "serving": .bool(endpoint.serving), "terminating": .bool(endpoint.terminating)],
            "targetRef": endpoint.targetRef,
        ]
        if let nodeName = endpoint.nodeName { entry["nodeName"] = .string(nodeName) }
        if let hostname = endpoint.hostname { entry["hostname"] = .string(hostname) }
        return entry
    }

    /// Which pod an endpoint stands for: its UID, or its address when it names no pod.
    private static func identity(_ endpoint: ServiceEndpoints.Endpoint) -> String {
        endpoint.targetRef["uid"]?.stringValue ?? endpoint.ip
    }

    private static func identity(_ entry: JSONValue) -> String {
        entry[path: "targetRef", "uid"]?.stringValue ?? entry["addresses"]?.arrayValue?.first?.stringValue ?? ""
    }

    private static func name(_ slice: JSONValue) -> String {
        slice.metadata.name
    }
}
