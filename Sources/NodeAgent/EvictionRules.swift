import APIMachinery
import Foundation
import KubeObjects

/// The kubelet's hard eviction thresholds (`--eviction-hard`, e.g. `memory.available<100Mi,nodefs.available<10%`):
/// below one of them the node reports pressure and pods are evicted until the signal recovers.
public struct EvictionThresholds: Sendable, Equatable {
    /// The kubelet's defaults on Linux, plus `pid.available<10%`: the kubelet has no default PID threshold (its
    /// PIDPressure needs one configured), and Skiff reports PIDPressure by the same 10% as the filesystem.
    public static let kubeletDefaults = "memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%,pid.available<10%"

    enum Signal: String, Sendable, CaseIterable {
        case memoryAvailable = "memory.available"
        case nodefsAvailable = "nodefs.available"
        case nodefsInodesFree = "nodefs.inodesFree"
        case imagefsAvailable = "imagefs.available"
        case pidAvailable = "pid.available"

        /// The resource the kubelet names in an eviction message.
        var resource: String {
            switch self {
            case .memoryAvailable: "memory"
            case .nodefsAvailable, .imagefsAvailable: "ephemeral-storage"
            case .nodefsInodesFree: "inodes"
            case .pidAvailable: "pids"
            }
        }
    }

    struct Threshold: Sendable, Equatable {
        var signal: Signal
        /// An amount (bytes, inodes, PIDs), or a fraction of capacity given as a percentage.
        var quantity: Int64?
        var percentage: Double?
        var text: String

        func minimum(capacity: UInt64) -> UInt64 {
            if let quantity { return UInt64(max(0, quantity)) }
            return UInt64(Double(capacity) * (percentage ?? 0) / 100)
        }
    }

    var thresholds: [Threshold]

    /// `kubeletDefaults`, as values.
    public static let defaults = EvictionThresholds(thresholds: [
        Threshold(signal: .memoryAvailable, quantity: 100 * 1024 * 1024, text: "100Mi"),
        Threshold(signal: .nodefsAvailable, percentage: 10, text: "10%"),
        Threshold(signal: .nodefsInodesFree, percentage: 5, text: "5%"),
        Threshold(signal: .imagefsAvailable, percentage: 15, text: "15%"),
        Threshold(signal: .pidAvailable, percentage: 10, text: "10%"),
    ])

    init(thresholds: [Threshold]) {
        self.thresholds = thresholds
    }

    public struct InvalidThreshold: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Parses the kubelet's syntax; a signal given twice, an unknown signal or operator, or a bad quantity is refused
    /// with the kubelet's words.
    public init(parsing text: String) throws(InvalidThreshold) {
        var parsed: [Threshold] = []
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard let less = item.firstIndex(of: "<") else {
                throw InvalidThreshold("invalid eviction threshold \(item): only the operator < is supported")
            }
            let name = String(item[..<less])
            let value = String(item[item.index(after: less)...])
            guard let signal = Signal(rawValue: name) else {
                throw InvalidThreshold("unsupported eviction signal \(name) (supported: \(Signal.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard !parsed.contains(where: { $0.signal == signal }) else { throw InvalidThreshold("threshold for signal \(name) is specified twice") }
            if value.hasSuffix("%") {
                guard let percentage = Double(value.dropLast()), percentage >= 0, percentage <= 100 else {
                    throw InvalidThreshold("invalid eviction threshold percentage \(value) for \(name)")
                }
                parsed.append(Threshold(signal: signal, percentage: percentage, text: value))
            } else {
                guard let quantity = Quantity(value)?.value, quantity >= 0 else {
                    throw InvalidThreshold("invalid eviction threshold quantity \(value) for \(name)")
                }
                parsed.append(Threshold(signal: signal, quantity: quantity, text: value))
            }
        }
        thresholds = parsed
    }

    /// A signal whose threshold is met: how much is left and the minimum it fell below.
    struct Observation: Sendable, Equatable {
        var signal: Signal
        var available: UInt64
        var minimum: UInt64
        var threshold: String
    }

    /// The thresholds `readings` meet now. A reading that could not be taken meets none.
    func met(_ readings: NodeResourceReadings) -> [Observation] {
        thresholds.compactMap { threshold in
            let reading: (available: UInt64, capacity: UInt64)?
            switch threshold.signal {
            case .memoryAvailable:
                reading = readings.memoryAvailableBytes.map { ($0, readings.memoryCapacityBytes ?? 0) }
            case .nodefsAvailable, .imagefsAvailable:
                // The runtime's images live under the agent's directory, so both are the same filesystem here.
                reading = readings.filesystemAvailableBytes.flatMap { available in readings.filesystemCapacityBytes.map { (available, $0) } }
            case .nodefsInodesFree:
                reading = readings.filesystemInodesFree.flatMap { free in readings.filesystemInodes.map { (free, $0) } }
            case .pidAvailable:
                reading = readings.pidMax.flatMap { pidMax in
                    readings.processes.map { processes in (pidMax > processes ? pidMax - processes : 0, pidMax) }
                }
            }
            guard let reading else { return nil }
            if threshold.percentage != nil && reading.capacity == 0 { return nil }
            let minimum = threshold.minimum(capacity: reading.capacity)
            guard reading.available < minimum else { return nil }
            return Observation(signal: threshold.signal, available: reading.available, minimum: minimum, threshold: threshold.text)
        }
    }
}

/// What one pod uses and asks for, as the eviction manager ranks pods.
struct PodUsage: Sendable, Equatable {
    var uid: String
    var priority: Int64
    var memoryRequestBytes: Int64
    var memoryUsageBytes: Int64
    var storageRequestBytes: Int64
    var storageUsageBytes: Int64
    /// Each container's name, memory working set and ephemeral storage (writable layer and logs).
    var containers: [ContainerUsage]

    struct ContainerUsage: Sendable, Equatable {
        var name: String
        var memoryBytes: Int64
        var storageBytes: Int64
    }
}

/// The kubelet eviction manager's choices (pkg/kubelet/eviction/helpers.go): which pod goes first under pressure,
/// which pods break their own local storage limits, and the messages it gives.
enum EvictionRules {
    static let reason = "Evicted"

    /// Under memory pressure: pods using more than they requested first, then lower priority, then the most usage
    /// above the request.
    static func rankForMemory(_ pods: [PodUsage]) -> [PodUsage] {
        rank(pods, usage: \.memoryUsageBytes, request: \.memoryRequestBytes)
    }

    /// Under disk pressure: the same order by ephemeral storage (writable layers, logs, emptyDir volumes).
    static func rankForStorage(_ pods: [PodUsage]) -> [PodUsage] {
        rank(pods, usage: \.storageUsageBytes, request: \.storageRequestBytes)
    }

    private static func rank(_ pods: [PodUsage], usage: KeyPath<PodUsage, Int64>, request: KeyPath<PodUsage, Int64>) -> [PodUsage] {
        pods.sorted { left, right in
            let leftExceeds = left[keyPath: usage] > left[keyPath: request]
            let rightExceeds = right[keyPath: usage] > right[keyPath: request]
            if leftExceeds != rightExceeds { return leftExceeds }
            if left.priority != right.priority { return left.priority < right.priority }
            return left[keyPath: usage] - left[keyPath: request] > right[keyPath: usage] - right[keyPath: request]
        }
    }

    /// `The node was low on resource: memory. Threshold quantity: 100Mi, available: 52Mi. Container hog was using
    /// 310Mi, request is 0, has larger consumption of memory. `
    static func nodePressureMessage(_ observation: EvictionThresholds.Observation, pod: PodUsage, requests: [String: Int64]) -> String {
        let resource = observation.signal.resource
        var message = "The node was low on resource: \(resource). Threshold quantity: \(observation.threshold), available: \(format(observation.available, signal: observation.signal)). "
        let usage: (PodUsage.ContainerUsage) -> Int64 = { resource == "memory" ? $0.memoryBytes : $0.storageBytes }
        if resource == "memory" || resource == "ephemeral-storage", let largest = pod.containers.max(by: { usage($0) < usage($1) }) {
            let used = usage(largest)
            message += "Container \(largest.name) was using \(quantity(used)), request is \(quantity(requests[largest.name] ?? 0)), has larger consumption of \(resource). "
        }
        return message
    }

    /// Whether `pod` has a limit on local storage the eviction manager enforces (a disk emptyDir's `sizeLimit`, a
    /// container's `ephemeral-storage` limit).
    static func hasLocalStorageLimits(_ pod: JSONValue) -> Bool {
        Pod(pod).spec.volumes.contains { volume in
            volume[path: "emptyDir", "sizeLimit"] != nil && volume[path: "emptyDir", "medium"]?.stringValue != "Memory"
        }
            || (pod[path: "spec", "containers"]?.arrayValue ?? []).contains { $0[path: "resources", "limits", "ephemeral-storage"] != nil }
    }

    /// The first local storage limit `pod` breaks, as the kubelet words it: an emptyDir over its `sizeLimit`, a
    /// container over its `ephemeral-storage` limit. `emptyDirUsage` is each measured volume's bytes.
    static func localStorageViolation(pod: JSONValue, emptyDirUsage: [String: Int64], containerUsage: [String: Int64]) -> String? {
        for volume in Pod(pod).spec.volumes {
            guard let name = volume["name"]?.stringValue, let sizeLimit = volume[path: "emptyDir", "sizeLimit"],
                volume[path: "emptyDir", "medium"]?.stringValue != "Memory", let limit = Quantity(json: sizeLimit)?.value,
                let used = emptyDirUsage[name], used > limit
            else { continue }
            return "Usage of EmptyDir volume \"\(name)\" exceeds the limit \"\(sizeLimit.stringValue ?? String(limit))\". "
        }
        for container in pod[path: "spec", "containers"]?.arrayValue ?? [] {
            guard let name = container["name"]?.stringValue,
                let limitValue = container[path: "resources", "limits", "ephemeral-storage"], let limit = Quantity(json: limitValue)?.value,
                let used = containerUsage[name], used > limit
            else { continue }
            return "Container \(name) exceeded its local ephemeral storage limit \"\(limitValue.stringValue ?? String(limit))\". "
        }
        return nil
    }

    /// Why a new pod may not start on a node with `pressure` (the kubelet eviction manager's admission), or nil:
    /// under memory pressure alone only best-effort pods are refused (unless they tolerate the memory-pressure
    /// taint); any other pressure refuses every pod. Critical pods are always admitted.
    static func admissionRefusal(_ pod: JSONValue, pressure: NodePressure) -> String? {
        let conditions = [("MemoryPressure", pressure.memory), ("DiskPressure", pressure.disk), ("PIDPressure", pressure.pids)]
            .filter(\.1).map(\.0)
        guard !conditions.isEmpty, Pod(pod).spec.priority < systemCriticalPriority else { return nil }
        if conditions == ["MemoryPressure"] {
            guard Pod(pod).status.qosClass == "BestEffort" else { return nil }
            let tolerated = Pod(pod).spec.tolerations.contains { toleration in
                let key = toleration["key"]?.stringValue ?? ""
                let effect = toleration["effect"]?.stringValue ?? ""
                return (key.isEmpty && toleration["operator"]?.stringValue == "Exists" || key == "node.kubernetes.io/memory-pressure")
                    && (effect.isEmpty || effect == "NoSchedule")
            }
            if tolerated { return nil }
        }
        return "The node had condition: [\(conditions.joined(separator: " "))]. "
    }

    /// `system-cluster-critical`'s priority: pods at or above it are critical to the cluster.
    static let systemCriticalPriority: Int64 = 2_000_000_000

    /// The sum of the containers' requests of `resource` (`memory`, `ephemeral-storage`), by container.
    static func requests(_ pod: JSONValue, resource: String) -> [String: Int64] {
        var requests: [String: Int64] = [:]
        for container in pod[path: "spec", "containers"]?.arrayValue ?? [] {
            guard let name = container["name"]?.stringValue else { continue }
            requests[name] = container[path: "resources", "requests", resource].flatMap { Quantity(json: $0)?.value } ?? 0
        }
        return requests
    }

    private static func format(_ value: UInt64, signal: EvictionThresholds.Signal) -> String {
        switch signal {
        case .memoryAvailable, .nodefsAvailable, .imagefsAvailable: quantity(Int64(clamping: value))
        case .nodefsInodesFree, .pidAvailable: String(value)
        }
    }

    /// Bytes in the binary suffix that divides them, as Kubernetes prints quantities (`52Mi`, `1536Ki`, `0`).
    static func quantity(_ bytes: Int64) -> String {
        guard bytes != 0 else { return "0" }
        for (suffix, unit) in [("Gi", Int64(1) << 30), ("Mi", Int64(1) << 20), ("Ki", Int64(1) << 10)] where bytes % unit == 0 {
            return "\(bytes / unit)\(suffix)"
        }
        return String(bytes)
    }
}
