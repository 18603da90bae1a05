import Foundation

/// The kubelet's `/metrics/resource` in the Prometheus text format (0.0.4), written and read: the node's
/// `node_cpu_usage_seconds_total` and `node_memory_working_set_bytes`, and per container
/// `container_cpu_usage_seconds_total`, `container_memory_working_set_bytes` and `container_start_time_seconds`
/// labelled `container`, `namespace` and `pod`, each sample stamped with the time it was read.
extension ResourceUsageReport {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private static let families: [(name: String, type: String, help: String)] = [
        ("container_cpu_usage_seconds_total", "counter", "[STABLE] Cumulative cpu time consumed by the container in core-seconds"),
        ("container_memory_working_set_bytes", "gauge", "[STABLE] Current working set of the container in bytes"),
        ("container_start_time_seconds", "gauge", "[STABLE] Start time of the container since unix epoch in seconds"),
        ("node_cpu_usage_seconds_total", "counter", "[STABLE] Cumulative cpu time consumed by the node in core-seconds"),
        ("node_memory_working_set_bytes", "gauge", "[STABLE] Current working set of the node in bytes"),
        ("pod_cpu_usage_seconds_total", "counter", "[STABLE] Cumulative cpu time consumed by the pod in core-seconds"),
        ("pod_memory_working_set_bytes", "gauge", "[STABLE] Current working set of the pod in bytes"),
        ("scrape_error", "gauge", "[ALPHA] 1 if there was an error while getting container metrics, 0 otherwise"),
    ]

    public func prometheusText(scrapeFailed: Bool = false) -> String {
        var lines: [String: [String]] = [:]
        for container in containers.sorted(by: { ($0.namespace, $0.pod, $0.name) < ($1.namespace, $1.pod, $1.name) }) {
            let labels = Self.labels([("container", container.name), ("namespace", container.namespace), ("pod", container.pod)])
            let stamp = " \(container.usage.timestampMilliseconds)"
            lines["container_cpu_usage_seconds_total", default: []].append(labels + " " + Self.number(container.usage.cpuCoreSeconds) + stamp)
            lines["container_memory_working_set_bytes", default: []].append(labels + " \(container.usage.memoryWorkingSetBytes)" + stamp)
            lines["container_start_time_seconds", default: []].append(labels + " " + Self.number(container.startTimeSeconds) + stamp)
        }
        for (pod, usage) in podTotals() {
            let labels = Self.labels([("namespace", pod.namespace), ("pod", pod.name)])
            lines["pod_cpu_usage_seconds_total", default: []].append(labels + " " + Self.number(usage.cpuCoreSeconds) + " \(usage.timestampMilliseconds)")
            lines["pod_memory_working_set_bytes", default: []].append(labels + " \(usage.memoryWorkingSetBytes) \(usage.timestampMilliseconds)")
        }
        if let node {
            lines["node_cpu_usage_seconds_total"] = [" " + Self.number(node.cpuCoreSeconds) + " \(node.timestampMilliseconds)"]
            lines["node_memory_working_set_bytes"] = [" \(node.memoryWorkingSetBytes) \(node.timestampMilliseconds)"]
        }
        lines["scrape_error"] = [scrapeFailed ? " 1" : " 0"]
        var text = ""
        for family in Self.families {
            guard let samples = lines[family.name] else { continue }
            text += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.type)\n"
            for sample in samples { text += family.name + sample + "\n" }
        }
        return text
    }

    /// Each pod's containers summed, stamped with the latest of their readings.
    private func podTotals() -> [(pod: (namespace: String, name: String), usage: Sample)] {
        var totals: [String: (namespace: String, name: String, usage: Sample)] = [:]
        for container in containers {
            let key = container.namespace + "/" + container.pod
            var total = totals[key] ?? (container.namespace, container.pod, Sample(cpuCoreSeconds: 0, memoryWorkingSetBytes: 0, timestampMilliseconds: 0))
            total.usage.cpuCoreSeconds += container.usage.cpuCoreSeconds
            total.usage.memoryWorkingSetBytes += container.usage.memoryWorkingSetBytes
            total.usage.timestampMilliseconds = max(total.usage.timestampMilliseconds, container.usage.timestampMilliseconds)
            totals[key] = total
        }
        return totals.sorted { $0.key < $1.key }.map { (($0.value.namespace, $0.value.name), $0.value.usage) }
    }

    /// Reads what `prometheusText()` writes, or what a kubelet serves: unknown families and comments are skipped; a
    /// container is kept when both its CPU and memory are there.
    public init(prometheusText text: String) throws(PrometheusTextError) {
        struct Partial {
            var cpu: (value: Double, stamp: Int64)?
            var memory: Double?
            var start: Double = 0
        }
        var containers: [[String]: Partial] = [:]
        var nodeCPU: (value: Double, stamp: Int64)?
        var nodeMemory: Double?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard !trimmed.isEmpty, trimmed.first != "#" else { continue }
            let sample = try PrometheusSample(line: trimmed, number: index + 1)
            let stamp = sample.timestampMilliseconds ?? 0
            switch sample.name {
            case "node_cpu_usage_seconds_total": nodeCPU = (sample.value, stamp)
            case "node_memory_working_set_bytes": nodeMemory = sample.value
            case "container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "container_start_time_seconds":
                let key = ["namespace", "pod", "container"].map { sample.labels[$0] ?? "" }
                var partial = containers[key] ?? Partial()
                switch sample.name {
                case "container_cpu_usage_seconds_total": partial.cpu = (sample.value, stamp)
                case "container_memory_working_set_bytes": partial.memory = sample.value
                default: partial.start = sample.value
                }
                containers[key] = partial
            default: continue
            }
        }
        if let nodeCPU, let nodeMemory {
            node = Sample(cpuCoreSeconds: nodeCPU.value, memoryWorkingSetBytes: UInt64(max(nodeMemory, 0)), timestampMilliseconds: nodeCPU.stamp)
        } else {
            node = nil
        }
        self.containers = containers.sorted { $0.key.lexicographicallyPrecedes($1.key) }.compactMap { key, partial in
            guard let cpu = partial.cpu, let memory = partial.memory else { return nil }
            return Container(
                namespace: key[0], pod: key[1], name: key[2], startTimeSeconds: partial.start,
                usage: Sample(cpuCoreSeconds: cpu.value, memoryWorkingSetBytes: UInt64(max(memory, 0)), timestampMilliseconds: cpu.stamp))
        }
    }

    static func labels(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Nanosecond precision without exponent, as the counters are read back to the nanosecond.
    static func number(_ value: Double) -> String {
        var text = String(format: "%.9f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

/// A line of Prometheus text that is not `name{labels} value [timestamp]`.
public struct PrometheusTextError: Error, Equatable, CustomStringConvertible {
    public var line: Int
    public var reason: String
    public var description: String { "line \(line): \(reason)" }
}

/// One sample line: `name{label="value",...} value [timestamp]`.
struct PrometheusSample {
    var name: String
    var labels: [String: String]
    var value: Double
    var timestampMilliseconds: Int64?

    init(line: Substring, number: Int) throws(PrometheusTextError) {
        var rest = line[...]
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " || $0 == "\t" } ?? rest.endIndex
        name = String(rest[..<nameEnd])
        rest = rest[nameEnd...]
        labels = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while true {
                rest = rest.drop { $0 == " " || $0 == "," }
                if rest.first == "}" {
                    rest = rest.dropFirst()
                    break
                }
                guard let equals = rest.firstIndex(of: "=") else { throw PrometheusTextError(line: number, reason: "a label without a value") }
                let key = String(rest[..<equals]).trimmingCharacters(in: .whitespaces)
                rest = rest[rest.index(after: equals)...]
                guard rest.first == "\"" else { throw PrometheusTextError(line: number, reason: "label \(key)'s value is not quoted") }
                rest = rest.dropFirst()
                var value = ""
                var escaped = false
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        value.append(character == "n" ? "\n" : character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { throw PrometheusTextError(line: number, reason: "label \(key)'s value is not closed") }
                labels[key] = value
            }
        }
        let fields = rest.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard !name.isEmpty, let first = fields.first, let value = Self.parse(first) else {
            throw PrometheusTextError(line: number, reason: "no sample value")
        }
        self.value = value
        timestampMilliseconds = fields.count > 1 ? Int64(fields[1]) : nil
    }

    private static func parse(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }
}
