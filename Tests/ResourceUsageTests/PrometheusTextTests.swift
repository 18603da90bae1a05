import ResourceUsage
import Testing

/// The kubelet's `/metrics/resource` text, written and read back.
struct PrometheusTextTests {
    let report = ResourceUsageReport(
        node: .init(cpuCoreSeconds: 1234.5, memoryWorkingSetBytes: 2_147_483_648, timestampMilliseconds: 1_700_000_000_123),
        containers: [
            .init(
                namespace: "default", pod: "web-1", name: "nginx", startTimeSeconds: 1_699_999_000.5,
                usage: .init(cpuCoreSeconds: 0.123456789, memoryWorkingSetBytes: 12_582_912, timestampMilliseconds: 1_700_000_000_100)),
            .init(
                namespace: "default", pod: "web-1", name: "sidecar", startTimeSeconds: 1_699_999_000,
                usage: .init(cpuCoreSeconds: 2, memoryWorkingSetBytes: 1024, timestampMilliseconds: 1_700_000_000_200)),
        ])

    @Test func roundTrips() throws {
        let text = report.prometheusText()
        #expect(try ResourceUsageReport(prometheusText: text) == report)
    }

    @Test func writesTheKubeletsFamiliesWithTimestamps() {
        let text = report.prometheusText()
        #expect(text.contains("# TYPE container_cpu_usage_seconds_total counter\n"))
        #expect(text.contains("container_cpu_usage_seconds_total{container=\"nginx\",namespace=\"default\",pod=\"web-1\"} 0.123456789 1700000000100\n"))
        #expect(text.contains("node_memory_working_set_bytes 2147483648 1700000000123\n"))
        // The pod's line sums its containers and carries the latest reading's time.
        #expect(text.contains("pod_cpu_usage_seconds_total{namespace=\"default\",pod=\"web-1\"} 2.123456789 1700000000200\n"))
        #expect(text.hasSuffix("scrape_error 0\n"))
    }

    @Test func readsWhatAKubeletServes() throws {
        // As kubelet 1.32 writes it: Go float formatting, escaped label values, other families in between.
        let text = """
            # HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds
            # TYPE container_cpu_usage_seconds_total counter
            container_cpu_usage_seconds_total{container="coredns",namespace="kube-system",pod="coredns-\\"x\\""} 5.393451 1700000000000
            container_memory_working_set_bytes{container="coredns",namespace="kube-system",pod="coredns-\\"x\\""} 1.2779520e+07 1700000000000
            container_start_time_seconds{container="coredns",namespace="kube-system",pod="coredns-\\"x\\""} 1.6999e+09 1700000000000
            container_memory_working_set_bytes{container="lonely",namespace="a",pod="b"} 5 1700000000000
            node_cpu_usage_seconds_total 3021.5 1700000000001
            node_memory_working_set_bytes 8.5e+08 1700000000001
            resource_scrape_error 0
            """
        let read = try ResourceUsageReport(prometheusText: text)
        #expect(read.node == .init(cpuCoreSeconds: 3021.5, memoryWorkingSetBytes: 850_000_000, timestampMilliseconds: 1_700_000_000_001))
        #expect(read.containers.count == 1)
        #expect(read.containers.first?.pod == "coredns-\"x\"")
        #expect(read.containers.first?.usage.memoryWorkingSetBytes == 12_779_520)
        #expect(read.containers.first?.startTimeSeconds == 1.6999e9)
    }

    @Test func refusesMalformedLines() {
        #expect(throws: PrometheusTextError.self) { try ResourceUsageReport(prometheusText: "node_cpu_usage_seconds_total{a=\"b} 1") }
        #expect(throws: PrometheusTextError.self) { try ResourceUsageReport(prometheusText: "node_cpu_usage_seconds_total one") }
    }

    @Test func writesCadvisorsContainerFamilies() {
        let text = report.cadvisorText()
        #expect(text.contains("# TYPE container_memory_working_set_bytes gauge\n"))
        #expect(text.contains("container_cpu_usage_seconds_total{container=\"sidecar\",namespace=\"default\",pod=\"web-1\"} 2 1700000000200\n"))
        #expect(text.contains("container_start_time_seconds{container=\"nginx\",namespace=\"default\",pod=\"web-1\"} 1699999000.5 1700000000100\n"))
        #expect(!text.contains("node_"))
    }
}
