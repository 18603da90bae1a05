import APIMachinery
import DNSWire
import KubeObjects
import Synchronization

/// The cluster's names as DNS answers them, kept current from Service and EndpointSlice events: each Service's
/// records, the namespaces that have Services, and the reverse (PTR) names of every ClusterIP and published endpoint.
/// A change rebuilds only the Service it concerns; a lookup holds the lock for a dictionary read.
final class ClusterRecords: Sendable {
    /// Counts the changes to what DNS answers: an answer computed while it held a value stays right until it moves.
    private let changes = Atomic<UInt64>(0)
    private struct State {
        var services: [String: JSONValue] = [:]
        /// Service key → slice name → slice.
        var slices: [String: [String: JSONValue]] = [:]
        var records: [String: ServiceRecords] = [:]
        /// Namespace → how many Services it has.
        var namespaces: [String: Int] = [:]
        /// Address → the Service keys that publish a name for it.
        var reverse: [IPv4Address: Set<String>] = [:]
    }

    private let state = Mutex(State())

    /// `name.namespace`, lowercased: how queries find a Service.
    static func key(name: String, namespace: String) -> String { "\(name.lowercased()).\(namespace.lowercased())" }

    func serviceChanged(_ service: JSONValue, deleted: Bool = false) {
        let key = Self.key(name: service.metadata.name, namespace: service.metadata.namespace ?? "default")
        state.withLock { state in
            state.services[key] = deleted ? nil : service
            rebuild(key, in: &state)
        }
    }

    func sliceChanged(_ slice: JSONValue, deleted: Bool = false) {
        guard let service = EndpointSlice(slice).serviceName else { return }
        let key = Self.key(name: service, namespace: slice.metadata.namespace ?? "default")
        state.withLock { state in
            state.slices[key, default: [:]][slice.metadata.name] = deleted ? nil : slice
            if state.slices[key]?.isEmpty == true { state.slices[key] = nil }
            rebuild(key, in: &state)
        }
    }

    private func rebuild(_ key: String, in state: inout State) {
        let old = state.records[key]
        let new = state.services[key].flatMap { ServiceRecords(service: $0, slices: Array((state.slices[key] ?? [:]).values)) }
        guard old != new else { return }
        for address in old.map(Self.reverseAddresses) ?? [] {
            state.reverse[address]?.remove(key)
            if state.reverse[address]?.isEmpty == true { state.reverse[address] = nil }
        }
        for address in new.map(Self.reverseAddresses) ?? [] { state.reverse[address, default: []].insert(key) }
        if let old {
            let remaining = (state.namespaces[old.namespace] ?? 1) - 1
            state.namespaces[old.namespace] = remaining > 0 ? remaining : nil
        }
        if let new { state.namespaces[new.namespace, default: 0] += 1 }
        state.records[key] = new
        changes.add(1, ordering: .releasing)
    }

    /// Which state of the records answers now: answers kept from one generation are valid while it lasts.
    var generation: UInt64 { changes.load(ordering: .acquiring) }

    private static func reverseAddresses(_ records: ServiceRecords) -> [IPv4Address] {
        records.clusterIPs + records.endpoints.map(\.address)
    }

    func service(name: String, namespace: String) -> ServiceRecords? {
        let key = Self.key(name: name, namespace: namespace)
        return state.withLock { $0.records[key] }
    }

    func namespaceExists(_ namespace: String) -> Bool {
        state.withLock { $0.namespaces[namespace.lowercased()] != nil }
    }

    /// The Services that publish a name for `address`: as a ClusterIP, or as one of their endpoints.
    func services(publishing address: IPv4Address) -> [ServiceRecords] {
        state.withLock { state in (state.reverse[address] ?? []).sorted().compactMap { state.records[$0] } }
    }
}
