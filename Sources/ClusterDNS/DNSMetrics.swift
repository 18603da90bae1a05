import DNSWire
import Foundation
import Synchronization

/// CoreDNS's request metrics, with its names and labels so that its dashboards and alerts work unchanged:
/// `coredns_dns_requests_total` by transport and type, `coredns_dns_responses_total` by rcode, and
/// `coredns_dns_request_duration_seconds` by type, with CoreDNS's buckets (0.25 ms doubling to about 8 s).
public final class DNSMetrics: Sendable {
    enum Transport: String, Sendable {
        case udp, tcp
    }

    static let bucketBounds: [Double] = (0..<16).map { 0.00025 * pow(2, Double($0)) }
    /// The types CoreDNS counts by name; the rest are `other`.
    static let namedTypes: Set<String> = ["A", "AAAA", "NS", "PTR", "SRV", "CNAME", "SOA", "MX", "TXT", "ANY", "HTTPS", "SVCB"]

    private struct Histogram {
        var buckets = [UInt64](repeating: 0, count: DNSMetrics.bucketBounds.count)
        var count: UInt64 = 0
        var sum: Double = 0

        mutating func record(_ seconds: Double) {
            // Buckets are cumulative: the first bound the value fits and every one above it.
            if let first = DNSMetrics.bucketBounds.firstIndex(where: { seconds <= $0 }) {
                for index in first..<buckets.count { buckets[index] += 1 }
            }
            count += 1
            sum += seconds
        }
    }

    private struct RequestKey: Hashable {
        var transport: Transport
        var type: String
    }

    private struct State {
        var requests: [RequestKey: UInt64] = [:]
        var responses: [String: UInt64] = [:]
        var durations: [String: Histogram] = [:]
    }

    private let state = Mutex(State())

    func record(query: DNSMessage, response: DNSMessage, transport: Transport, duration: Duration) {
        let typeName = query.questions.first.map { Self.namedTypes.contains($0.type.description) ? $0.type.description : "other" } ?? "other"
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        state.withLock { state in
            state.requests[RequestKey(transport: transport, type: typeName), default: 0] += 1
            state.responses[response.rcode.description, default: 0] += 1
            state.durations[typeName, default: Histogram()].record(seconds)
        }
    }

    /// The exposition a scrape of `/metrics` gets.
    public var text: String {
        let state = state.withLock { $0 }
        let server = "server=\"dns://:53\",zone=\".\",view=\"\""
        var lines = [
            "# HELP coredns_dns_requests_total Counter of DNS requests made per zone, protocol and family.",
            "# TYPE coredns_dns_requests_total counter",
        ]
        // Family 1 (IPv4): the listener takes IPv4 only.
        lines += state.requests.sorted { ($0.key.transport.rawValue, $0.key.type) < ($1.key.transport.rawValue, $1.key.type) }.map {
            "coredns_dns_requests_total{\(server),proto=\"\($0.key.transport.rawValue)\",family=\"1\",type=\"\($0.key.type)\"} \($0.value)"
        }
        lines += [
            "# HELP coredns_dns_responses_total Counter of response status codes.",
            "# TYPE coredns_dns_responses_total counter",
        ]
        lines += state.responses.sorted { $0.key < $1.key }.map { "coredns_dns_responses_total{\(server),rcode=\"\($0.key)\",plugin=\"\"} \($0.value)" }
        lines += [
            "# HELP coredns_dns_request_duration_seconds Histogram of the time (in seconds) each request took per zone.",
            "# TYPE coredns_dns_request_duration_seconds histogram",
        ]
        for (type, histogram) in state.durations.sorted(by: { $0.key < $1.key }) {
            for (bound, count) in zip(Self.bucketBounds, histogram.buckets) {
                lines.append("coredns_dns_request_duration_seconds_bucket{\(server),type=\"\(type)\",le=\"\(bound)\"} \(count)")
            }
            lines += [
                "coredns_dns_request_duration_seconds_bucket{\(server),type=\"\(type)\",le=\"+Inf\"} \(histogram.count)",
                "coredns_dns_request_duration_seconds_sum{\(server),type=\"\(type)\"} \(histogram.sum)",
                "coredns_dns_request_duration_seconds_count{\(server),type=\"\(type)\"} \(histogram.count)",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
