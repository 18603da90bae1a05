import Foundation
import Synchronization

/// What kube-proxy reports on its metrics port, in the Prometheus text format: the sync latency histogram
/// (`kubeproxy_sync_proxy_rules_duration_seconds`, with kube-proxy's buckets), the time of the last successful sync,
/// and how many rules and map elements the node's table holds.
public final class ProxyMetrics: Sendable {
    /// kube-proxy's buckets: 1 ms doubling fifteen times, to about 16 s.
    static let bucketBounds: [Double] = (0..<15).map { 0.001 * pow(2, Double($0)) }

    private struct State {
        var bucketCounts = [UInt64](repeating: 0, count: ProxyMetrics.bucketBounds.count)
        var count: UInt64 = 0
        var sum: Double = 0
        var lastSync: Date?
        var rules = 0
    }

    private let state = Mutex(State())

    func recordSync(duration: Duration, rules: Int, at time: Date = Date()) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        state.withLock { state in
            for (index, bound) in Self.bucketBounds.enumerated() where seconds <= bound { state.bucketCounts[index] += 1 }
            state.count += 1
            state.sum += seconds
            state.lastSync = time
            state.rules = rules
        }
    }

    /// The exposition a scrape of `/metrics` gets.
    public var text: String {
        let state = state.withLock { $0 }
        var lines = [
            "# HELP kubeproxy_sync_proxy_rules_duration_seconds SyncProxyRules latency in seconds",
            "# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram",
        ]
        for (bound, count) in zip(Self.bucketBounds, state.bucketCounts) {
            lines.append("kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"\(bound)\"} \(count)")
        }
        lines += [
            "kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"+Inf\"} \(state.count)",
            "kubeproxy_sync_proxy_rules_duration_seconds_sum \(state.sum)",
            "kubeproxy_sync_proxy_rules_duration_seconds_count \(state.count)",
            "# HELP kubeproxy_sync_proxy_rules_last_timestamp_seconds The last time proxy rules were successfully synced",
            "# TYPE kubeproxy_sync_proxy_rules_last_timestamp_seconds gauge",
            "kubeproxy_sync_proxy_rules_last_timestamp_seconds \(state.lastSync?.timeIntervalSince1970 ?? 0)",
            "# HELP skiff_proxy_nftables_rules Rules and map elements in the node's nftables table, as last synced",
            "# TYPE skiff_proxy_nftables_rules gauge",
            "skiff_proxy_nftables_rules \(state.rules)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
