/// The kubelet's `/metrics/cadvisor` families Prometheus dashboards graph containers by, from the same reading: the
/// CPU counter, working set and start time of each running container, labelled as cAdvisor labels them.
extension ResourceUsageReport {
    public func cadvisorText() -> String {
        let families: [(name: String, type: String, help: String, value: (Container) -> String)] = [
            ("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.", { Self.number($0.usage.cpuCoreSeconds) }),
            ("container_memory_working_set_bytes", "gauge", "Current working set in bytes.", { "\($0.usage.memoryWorkingSetBytes)" }),
            ("container_start_time_seconds", "gauge", "Start time of the container since unix epoch in seconds.", { Self.number($0.startTimeSeconds) }),
        ]
        let sorted = containers.sorted { ($0.namespace, $0.pod, $0.name) < ($1.namespace, $1.pod, $1.name) }
        var text = ""
        for family in families {
            text += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.type)\n"
            for container in sorted {
                let labels = Self.labels([("container", container.name), ("namespace", container.namespace), ("pod", container.pod)])
                text += "\(family.name)\(labels) \(family.value(container)) \(container.usage.timestampMilliseconds)\n"
            }
        }
        return text
    }
}
