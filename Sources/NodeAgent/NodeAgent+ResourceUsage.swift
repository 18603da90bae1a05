import CRI
import Foundation
import ResourceUsage

extension NodeAgent {
    /// The node's and its running containers' CPU and memory, read now, as the kubelet's `/metrics/resource`
    /// serves them: containers from their cgroups (`ContainerCgroups`), or from the runtime's stats
    /// (`ListContainerStats`) for those whose cgroup cannot be read; the machine from `/proc`. Nothing is sampled in
    /// between, so a node nobody scrapes spends nothing on it.
    public func resourceUsage() async throws -> ResourceUsageReport {
        let runtime = try runtime
        var running = Runtime_V1_ContainerFilter()
        running.state = .with { $0.state = .containerRunning }
        let containers = try await runtime.listContainers(filter: running)
        let paths = await cgroups.paths(for: containers.map(\.id)) { id in
            (try? await runtime.containerStatus(id: id, verbose: true)).flatMap { ContainerCgroups.cgroupsPath(verboseInfo: $0.info) }
        }
        var report = ResourceUsageReport(node: MachineUsage.read(), containers: [])
        var unread: [String: Runtime_V1_Container] = [:]
        for container in containers {
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            guard let path = paths[container.id], let usage = cgroups.usage(cgroupsPath: path) else {
                unread[container.id] = container
                continue
            }
            append(
                container, to: &report,
                usage: .init(cpuCoreSeconds: Double(usage.cpuNanoseconds) / 1e9, memoryWorkingSetBytes: usage.workingSetBytes, timestampMilliseconds: now))
        }
        guard !unread.isEmpty else { return report }
        for stat in try await runtime.listContainerStats() {
            // Stats of containers that have stopped are left out, as the kubelet leaves out terminated containers.
            guard let container = unread[stat.attributes.id], stat.hasCpu, stat.hasMemory else { continue }
            append(
                container, to: &report,
                usage: .init(
                    cpuCoreSeconds: Double(stat.cpu.usageCoreNanoSeconds.value) / 1e9, memoryWorkingSetBytes: stat.memory.workingSetBytes.value,
                    timestampMilliseconds: stat.cpu.timestamp / 1_000_000))
        }
        return report
    }

    private func append(_ container: Runtime_V1_Container, to report: inout ResourceUsageReport, usage: ResourceUsageReport.Sample) {
        let labels = container.labels
        guard let namespace = labels[RuntimeConfigs.podNamespaceLabel], let pod = labels[RuntimeConfigs.podNameLabel],
            let name = labels[RuntimeConfigs.containerNameLabel]
        else { return }
        report.containers.append(
            .init(namespace: namespace, pod: pod, name: name, startTimeSeconds: Double(container.createdAt) / 1e9, usage: usage))
    }
}

extension NodeAgent {
    /// `/metrics/resource` as the kubelet serves it: `scrape_error 1` when the runtime cannot answer.
    public func resourceMetricsText() async -> String {
        do {
            return try await resourceUsage().prometheusText()
        } catch {
            return ResourceUsageReport(node: nil, containers: []).prometheusText(scrapeFailed: true)
        }
    }

    /// `/metrics/cadvisor`'s container families; empty when the runtime cannot answer.
    public func cadvisorMetricsText() async -> String {
        (try? await resourceUsage())?.cadvisorText() ?? ""
    }
}

/// The machine's CPU time and working set from `/proc/stat` and `/proc/meminfo`, which every Linux has, whichever
/// cgroup version it runs.
enum MachineUsage {
    static func read(now: Date = Date()) -> ResourceUsageReport.Sample? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
            let cpu = cpuCoreSeconds(stat: stat, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK)))),
            let memory = workingSetBytes(meminfo: meminfo)
        else { return nil }
        return .init(cpuCoreSeconds: cpu, memoryWorkingSetBytes: memory, timestampMilliseconds: Int64(now.timeIntervalSince1970 * 1000))
    }

    /// Time every CPU spent not idle (user, nice, system, irq, softirq, steal; not idle or iowait), from the
    /// `cpu` line of `/proc/stat`.
    static func cpuCoreSeconds(stat: String, ticksPerSecond: Double) -> Double? {
        guard ticksPerSecond > 0, let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 4 else { return nil }
        let busy = ticks.enumerated().filter { [0, 1, 2, 5, 6, 7].contains($0.offset) }.reduce(0) { $0 + $1.element }
        return busy / ticksPerSecond
    }

    /// Total memory less what the kernel could hand out without swapping (`MemTotal - MemAvailable`).
    static func workingSetBytes(meminfo: String) -> UInt64? {
        var fields: [Substring: UInt64] = [:]
        for line in meminfo.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let kibibytes = UInt64(parts[1]) else { continue }
            fields[parts[0].dropLast()] = kibibytes * 1024
        }
        guard let total = fields["MemTotal"], let available = fields["MemAvailable"], total >= available else { return nil }
        return total - available
    }
}
