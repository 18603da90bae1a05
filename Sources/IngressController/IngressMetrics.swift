import ControllerRuntime
import Synchronization

/// One route's requests by status and their latency histogram, held by the route itself so that a request is
/// counted under a lock of its own, without hashing the Ingress's and Service's names.
final class RouteStatistics: Sendable {
    let namespace: String
    let ingress: String
    let service: String

    struct Counts {
        var byStatus: [Int: UInt64] = [:]
        /// Per bucket of `IngressMetrics.bucketBounds`, not cumulative; the last counts those above every bound.
        var buckets = [UInt64](repeating: 0, count: IngressMetrics.bucketBounds.count + 1)
        var sum: Double = 0
    }

    private let counts = Mutex(Counts())

    init(namespace: String, ingress: String, service: String) {
        self.namespace = namespace
        self.ingress = ingress
        self.service = service
    }

    func record(status: Int, seconds: Double) {
        let bucket = IngressMetrics.bucketBounds.firstIndex { seconds <= $0 } ?? IngressMetrics.bucketBounds.count
        counts.withLock { counts in
            counts.byStatus[status, default: 0] += 1
            counts.buckets[bucket] += 1
            counts.sum += seconds
        }
    }

    var snapshot: Counts { counts.withLock { $0 } }
}

/// ingress-nginx's request metrics, under its names so that its dashboards work: `nginx_ingress_controller_requests`
/// by Ingress, Service and status, and `nginx_ingress_controller_request_duration_seconds` by Ingress and Service.
final class IngressMetrics: Sendable {
    static let bucketBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct RouteKey: Hashable {
        var namespace: String
        var ingress: String
        var service: String
    }

    private let routes = Mutex([RouteKey: RouteStatistics]())
    /// Requests no route matched (404s, redirects).
    let unrouted = RouteStatistics(namespace: "", ingress: "", service: "")

    /// The statistics of the route from `ingress` to `service`, the same object for as long as the process runs, so
    /// that rebuilding the route table keeps the counts.
    func statistics(ingress: ObjectKey, service: String) -> RouteStatistics {
        let key = RouteKey(namespace: ingress.namespace ?? "", ingress: ingress.name, service: service)
        return routes.withLock { routes in
            if let existing = routes[key] { return existing }
            let created = RouteStatistics(namespace: key.namespace, ingress: key.ingress, service: key.service)
            routes[key] = created
            return created
        }
    }

    /// The exposition a scrape of `/metrics` gets.
    var text: String {
        let all = (routes.withLock { Array($0.values) } + [unrouted]).map { ($0, $0.snapshot) }
            .filter { !$0.1.byStatus.isEmpty }
            .sorted { ($0.0.namespace, $0.0.ingress, $0.0.service) < ($1.0.namespace, $1.0.ingress, $1.0.service) }
        var lines = [
            "# HELP nginx_ingress_controller_requests The total number of client requests",
            "# TYPE nginx_ingress_controller_requests counter",
        ]
        for (route, counts) in all {
            for (status, count) in counts.byStatus.sorted(by: { $0.key < $1.key }) {
                lines.append("nginx_ingress_controller_requests{\(Self.labels(route)),status=\"\(status)\"} \(count)")
            }
        }
        lines += [
            "# HELP nginx_ingress_controller_request_duration_seconds The request processing time in seconds",
            "# TYPE nginx_ingress_controller_request_duration_seconds histogram",
        ]
        for (route, counts) in all {
            let labels = Self.labels(route)
            var cumulative: UInt64 = 0
            for (bound, count) in zip(Self.bucketBounds, counts.buckets) {
                cumulative += count
                lines.append("nginx_ingress_controller_request_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(cumulative)")
            }
            let total = counts.buckets.reduce(0, +)
            lines += [
                "nginx_ingress_controller_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(total)",
                "nginx_ingress_controller_request_duration_seconds_sum{\(labels)} \(counts.sum)",
                "nginx_ingress_controller_request_duration_seconds_count{\(labels)} \(total)",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func labels(_ route: RouteStatistics) -> String {
        "controller_class=\"skiff.dev/ingress\",ingress=\"\(route.ingress)\",namespace=\"\(route.namespace)\",service=\"\(route.service)\""
    }
}
