import Metrics
import Prometheus

/// The process's swift-metrics (API server requests, work queues, scheduling attempts) exported in Prometheus' text
/// format, with the histogram buckets Kubernetes' components use.
enum PrometheusExport {
    /// kube-apiserver's `apiserver_request_duration_seconds` buckets.
    static let requestDurationBuckets: [Duration] = [
        5, 25, 50, 100, 200, 400, 600, 800, 1000, 1250, 1500, 2000, 3000, 4000, 5000, 6000, 8000, 10_000, 15_000, 20_000, 30_000, 45_000, 60_000,
    ].map { .milliseconds($0) }
    /// client-go's work-queue buckets (10 ns to 10 s, by tens) and kube-scheduler's attempt buckets (1 ms doubling).
    static let workDurationBuckets: [Duration] = (0..<10).map { .nanoseconds(Int64(10 * pow10($0))) }
    static let attemptDurationBuckets: [Duration] = (0..<15).map { .microseconds(Int64(1000 << $0)) }

    /// Makes swift-metrics report to a new registry, and returns it; once per process.
    static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            "apiserver_request_duration_seconds": requestDurationBuckets, "workqueue_work_duration_seconds": workDurationBuckets,
            "workqueue_queue_duration_seconds": workDurationBuckets,
            "scheduler_scheduling_attempt_duration_seconds": attemptDurationBuckets,
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }

    private static func pow10(_ exponent: Int) -> Int64 { (0..<exponent).reduce(1) { value, _ in value * 10 } }
}
