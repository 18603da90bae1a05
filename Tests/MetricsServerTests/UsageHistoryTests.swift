import ResourceUsage
import Testing

@testable import MetricsServer

/// Rates from the last two readings, as metrics-server's storage answers them.
struct UsageHistoryTests {
    static func report(node cpu: Double, at time: Int64, containers: [(pod: String, name: String, cpu: Double, start: Double)] = []) -> ResourceUsageReport {
        ResourceUsageReport(
            node: .init(cpuCoreSeconds: cpu, memoryWorkingSetBytes: 1 << 30, timestampMilliseconds: time),
            containers: containers.map {
                .init(
                    namespace: "default", pod: $0.pod, name: $0.name, startTimeSeconds: $0.start,
                    usage: .init(cpuCoreSeconds: $0.cpu, memoryWorkingSetBytes: 10 << 20, timestampMilliseconds: time))
            })
    }

    @Test func aRateNeedsTwoReadings() {
        var history = UsageHistory(resolution: .seconds(15))
        history.store(Self.report(node: 100, at: 1_000_000), node: "n1")
        #expect(history.nodeUsage("n1") == nil)
        history.store(Self.report(node: 101.5, at: 1_015_000), node: "n1")
        #expect(
            history.nodeUsage("n1")
                == .init(cpuNanoCores: 100_000_000, memoryBytes: 1 << 30, timestampMilliseconds: 1_015_000, windowMilliseconds: 15_000))
        // The same reading again keeps the pair.
        history.store(Self.report(node: 101.5, at: 1_015_000), node: "n1")
        #expect(history.nodeUsage("n1")?.cpuNanoCores == 100_000_000)
    }

    @Test func aPodNeedsEveryContainer() {
        var history = UsageHistory(resolution: .seconds(1))
        history.store(Self.report(node: 1, at: 100_000, containers: [("web", "a", 1, 1), ("web", "b", 1, 1)]), node: "n1")
        // Container b restarted: its counter starts over and it has one reading only.
        history.store(Self.report(node: 2, at: 101_000, containers: [("web", "a", 2, 1), ("web", "b", 0.1, 100.5)]), node: "n1")
        #expect(history.podUsage(namespace: "default", name: "web") == nil)
        history.store(Self.report(node: 3, at: 102_000, containers: [("web", "a", 2.5, 1), ("web", "b", 0.35, 100.5)]), node: "n1")
        let usage = history.podUsage(namespace: "default", name: "web")
        #expect(usage?.containers.map(\.name) == ["a", "b"])
        #expect(usage?.containers.map(\.usage.cpuNanoCores) == [500_000_000, 250_000_000])
        #expect(usage?.windowMilliseconds == 1000)
    }

    @Test func aFreshContainerIsMeasuredFromItsStart() {
        var history = UsageHistory(resolution: .seconds(60))
        // Started 20 s before its first reading, within one resolution: answered at once, as if it read 0 then.
        history.store(Self.report(node: 1, at: 1_020_000, containers: [("job", "main", 10, 1000)]), node: "n1")
        let usage = history.podUsage(namespace: "default", name: "job")
        #expect(usage?.containers.first?.usage.cpuNanoCores == 500_000_000)
        #expect(usage?.windowMilliseconds == 20_000)
    }

    @Test func aNodeThatCannotBeReadLosesItsPods() {
        var history = UsageHistory(resolution: .seconds(1))
        history.store(Self.report(node: 1, at: 1000, containers: [("web", "a", 1, 0)]), node: "n1")
        history.store(Self.report(node: 2, at: 2000, containers: [("web", "a", 2, 0)]), node: "n1")
        #expect(history.podUsage(namespace: "default", name: "web") != nil)
        history.forget(node: "n1")
        #expect(history.podUsage(namespace: "default", name: "web") == nil)
        #expect(history.nodeUsage("n1") == nil)
        #expect(history.nodeNames.isEmpty)
    }

    @Test func quantitiesAreWrittenAsMetricsServerWritesThem() {
        let usage = UsageHistory.Usage(cpuNanoCores: 2_356_729, memoryBytes: 13_766_656, timestampMilliseconds: 0, windowMilliseconds: 0)
        #expect(ResourceMetricsServer.usage(usage) == ["cpu": "2356729n", "memory": "13444Ki"])
    }
}
