import DNSWire
import Foundation
import Synchronization

/// CoreDNS's request metrics, with its names and labels so that its dashboards and alerts work unchanged:
/// `coredns_dns_requests_total` by transport and type, `coredns_dns_responses_total` by rcode, and
/// `coredns_dns_request_duration_seconds` by type, with CoreDNS's buckets (0.25 ms doubling to about 8 s).
///
/// Recording is on every query's path, so it indexes fixed arrays rather than hashing label strings, and keeps
/// per-bucket counts that the exposition sums into Prometheus' cumulative ones.
public final class DNSMetrics: Sendable {
    enum Transport: Int, Sendable, CaseIterable {
        case udp, tcp

        var label: String { self == .udp ? "udp" : "tcp" }
    }

    static let bucketBounds: [Double] = (0..<16).map { 0.00025 * pow(2, Double($0)) }
    /// The types CoreDNS counts by name, in the order of their counters; the rest are `other`, counted last.
    static let namedTypes: [DNSRecordType] = [
        .a, .aaaa, .ns, .ptr, .srv, .cname, .soa, DNSRecordType(rawValue: 15), .txt, .any, DNSRecordType(rawValue: 65), DNSRecordType(rawValue: 64),
    ]
    static let typeLabels = ["A", "AAAA", "NS", "PTR", "SRV", "CNAME", "SOA", "MX", "TXT", "ANY", "HTTPS", "SVCB", "other"]

    private struct Histogram {
        /// Observations per bucket, not cumulative; the last counts those above every bound.
        var buckets = [UInt64](repeating: 0, count: DNSMetrics.bucketBounds.count + 1)
        var sum: Double = 0
    }

    private struct State {
        /// Transport × type.
        var requests = [UInt64](repeating: 0, count: Transport.allCases.count * DNSMetrics.typeLabels.count)
        var responses: [UInt16: UInt64] = [:]
        var durations = [Histogram](repeating: Histogram(), count: DNSMetrics.typeLabels.count)
    }

    private let state = Mutex(State())

    static func typeIndex(_ type: DNSRecordType?) -> Int {
        type.flatMap { namedTypes.firstIndex(of: $0) } ?? namedTypes.count
    }

    /// The bucket of `seconds`: the first bound it does not exceed. Bounds double from 0.25 ms, so this is a
    /// logarithm rather than a search.
    static func bucketIndex(_ seconds: Double) -> Int {
        guard seconds > bucketBounds[0] else { return 0 }
        let index = Int(log2(seconds / bucketBounds[0]).rounded(.up))
        return min(index, bucketBounds.count)
    }

    func record(type: DNSRecordType?, rcode: DNSResponseCode, transport: Transport, duration: Duration) {
        let typeIndex = Self.typeIndex(type)
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let bucket = Self.bucketIndex(seconds)
        state.withLock { state in
            state.requests[transport.rawValue * Self.typeLabels.count + typeIndex] += 1
            state.responses[rcode.rawValue, default: 0] += 1
            state.durations[typeIndex].buckets[bucket] += 1
            state.durations[typeIndex].sum += seconds
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
        for transport in Transport.allCases {
            for (typeIndex, type) in Self.typeLabels.enumerated().sorted(by: { $0.element < $1.element }) {
                let count = state.requests[transport.rawValue * Self.typeLabels.count + typeIndex]
                guard count > 0 else { continue }
                lines.append("coredns_dns_requests_total{\(server),proto=\"\(transport.label)\",family=\"1\",type=\"\(type)\"} \(count)")
            }
        }
        lines += [
            "# HELP coredns_dns_responses_total Counter of response status codes.",
            "# TYPE coredns_dns_responses_total counter",
        ]
        lines += state.responses.map { (DNSResponseCode(rawValue: $0.key).description, $0.value) }.sorted { $0.0 < $1.0 }.map {
            "coredns_dns_responses_total{\(server),rcode=\"\($0.0)\",plugin=\"\"} \($0.1)"
        }
        lines += [
            "# HELP coredns_dns_request_duration_seconds Histogram of the time (in seconds) each request took per zone.",
            "# TYPE coredns_dns_request_duration_seconds histogram",
        ]
        for (typeIndex, type) in Self.typeLabels.enumerated().sorted(by: { $0.element < $1.element }) {
            let histogram = state.durations[typeIndex]
            let count = histogram.buckets.reduce(0, +)
            guard count > 0 else { continue }
            var cumulative: UInt64 = 0
            for (bound, inBucket) in zip(Self.bucketBounds, histogram.buckets) {
                cumulative += inBucket
                lines.append("coredns_dns_request_duration_seconds_bucket{\(server),type=\"\(type)\",le=\"\(bound)\"} \(cumulative)")
            }
            lines += [
                "coredns_dns_request_duration_seconds_bucket{\(server),type=\"\(type)\",le=\"+Inf\"} \(count)",
                "coredns_dns_request_duration_seconds_sum{\(server),type=\"\(type)\"} \(histogram.sum)",
                "coredns_dns_request_duration_seconds_count{\(server),type=\"\(type)\"} \(count)",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
