import ControllerRuntime
import Synchronization

/// ingress-nginx's request metrics, under its names so that its dashboards work: `nginx_ingress_controller_requests`
/// by Ingress, Service and status, and `nginx_ingress_controller_request_duration_seconds` by Ingress and Service.
final class IngressMetrics: Sendable {
    static let bucketBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct RequestKey: Hashable {
        var namespace: String
        var ingress: String
        var service: String
        var status: Int
    }

    private struct RouteKey: Hashable {
        var namespace: String
        var ingress: String
        var service: String
    }

    private struct Histogram {
        /// Per bucket, not cumulative; the last counts those above every bound.
        var buckets = [UInt64](repeating: 0, count: IngressMetrics.bucketBounds.count + 1)
        var sum: Double = 0
    }

    private struct State {
        var requests: [RequestKey: UInt64] = [:]
        var durations: [RouteKey: Histogram] = [:]
    }

    private let state = Mutex(State())

    /// Counts a request; `ingress` and `service` are nil for one no route matched.
    func record(ingress: ObjectKey?, service: String?, status: Int, seconds: Double) {
        let route = RouteKey(namespace: ingress?.namespace ?? "", ingress: ingress?.name ?? "", service: service ?? "")
        let bucket = Self.bucketBounds.firstIndex { seconds <= $0 } ?? Self.bucketBounds.count
        state.withLock { state in
            state.requests[RequestKey(namespace: route.namespace, ingress: route.ingress, service: route.service, status: status), default: 0] += 1
            state.durations[route, default: Histogram()].buckets[bucket] += 1
            state.durations[route, default: Histogram()].sum += seconds
        }
    }

    /// The exposition a scrape of `/metrics` gets.
    var text: String {
        let state = state.withLock { $0 }
        var lines = [
            "# HELP nginx_ingress_controller_requests The total number of client requests",
            "# TYPE nginx_ingress_controller_requests counter",
        ]
        for (key, count) in state.requests.sorted(by: { ($0.key.namespace, $0.key.ingress, $0.key.service, $0.key.status) < ($1.key.namespace, $1.key.ingress, $1.key.service, $1.key.status) }) {
            lines.append(
                "nginx_ingress_controller_requests{controller_class=\"skiff.dev/ingress\",ingress=\"\(key.ingress)\",namespace=\"\(key.namespace)\",service=\"\(key.service)\",status=\"\(key.status)\"} \(count)")
        }
        lines += [
            "# HELP nginx_ingress_controller_request_duration_seconds The request processing time in seconds",
            "# TYPE nginx_ingress_controller_request_duration_seconds histogram",
        ]
        for (key, histogram) in state.durations.sorted(by: { ($0.key.namespace, $0.key.ingress, $0.key.service) < ($1.key.namespace, $1.key.ingress, $1.key.service) }) {
            let labels = "controller_class=\"skiff.dev/ingress\",ingress=\"\(key.ingress)\",namespace=\"\(key.namespace)\",service=\"\(key.service)\""
            var cumulative: UInt64 = 0
            for (bound, count) in zip(Self.bucketBounds, histogram.buckets) {
                cumulative += count
                lines.append("nginx_ingress_controller_request_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(cumulative)")
            }
            let total = histogram.buckets.reduce(0, +)
            lines += [
                "nginx_ingress_controller_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(total)",
                "nginx_ingress_controller_request_duration_seconds_sum{\(labels)} \(histogram.sum)",
                "nginx_ingress_controller_request_duration_seconds_count{\(labels)} \(total)",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
