import ArgumentParser
import Hummingbird
import Logging
import ServiceLifecycle
import ServiceProxy

/// The service proxy's metrics port, as kube-proxy's `--metrics-bind-address` (127.0.0.1:10249): plain HTTP,
/// `GET /metrics` in the Prometheus text format. A port another process holds is logged and left, not fatal: the
/// node works without its metrics.
struct ProxyMetricsEndpoint: Service {
    let host: String
    let port: Int
    let metrics: ProxyMetrics
    let logger: Logger

    /// `host:port`, nil for an empty address (no endpoint).
    init?(address: String, metrics: ProxyMetrics, logger: Logger) throws {
        guard !address.isEmpty else { return nil }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--proxy-metrics-address \(address) is not host:port, such as 127.0.0.1:10249")
        }
        host = String(address[..<colon])
        self.port = port
        self.metrics = metrics
        self.logger = logger
    }

    func run() async throws {
        let router = Router()
        router.get("metrics") { [metrics] _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.text)))
        }
        let logger = self.logger
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in logger.info("service proxy metrics listening", metadata: ["address": "\(channel.localAddress?.description ?? "")"]) },
            logger: logger)
        do {
            try await app.run()
        } catch {
            logger.warning("service proxy metrics not served", metadata: ["address": "\(host):\(port)", "error": "\(error)"])
            try? await gracefulShutdown()
        }
    }
}
