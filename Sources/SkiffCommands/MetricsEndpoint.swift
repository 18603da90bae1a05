import ArgumentParser
import Hummingbird
import Logging
import ServiceLifecycle

/// A component's Prometheus metrics over plain HTTP (`GET /metrics`), as kube-proxy serves them on
/// `--metrics-bind-address` (127.0.0.1:10249) and CoreDNS on :9153. A port another process holds is logged and
/// left, not fatal: the node works without its metrics.
struct MetricsEndpoint: Service {
    let component: String
    /// The address to listen on, once known (the cluster DNS's is the node's pod gateway); nil: never.
    let host: @Sendable () async -> String?
    let port: Int
    let text: @Sendable () -> String
    /// Other pages beside `/metrics`, by path (the kubelet's `metrics/resource`).
    let pages: [String: @Sendable () async -> String]
    let logger: Logger

    init(
        component: String, host: @escaping @Sendable () async -> String?, port: Int, text: @escaping @Sendable () -> String,
        pages: [String: @Sendable () async -> String] = [:], logger: Logger
    ) {
        self.component = component
        self.host = host
        self.port = port
        self.text = text
        self.pages = pages
        self.logger = logger
    }

    /// From a `host:port` flag; nil for an empty one (no endpoint).
    init?(
        component: String, address: String, flag: String, text: @escaping @Sendable () -> String,
        pages: [String: @Sendable () async -> String] = [:], logger: Logger
    ) throws {
        guard !address.isEmpty else { return nil }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("\(flag) \(address) is not host:port, such as 127.0.0.1:10249")
        }
        let host = String(address[..<colon])
        self.init(component: component, host: { host }, port: port, text: text, pages: pages, logger: logger)
    }

    func run() async throws {
        guard let host = await host() else { return }
        let router = Router()
        router.get("metrics") { [text] _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text())))
        }
        for (path, page) in pages {
            router.get(RouterPath(path)) { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: await page())))
            }
        }
        let (logger, component) = (self.logger, self.component)
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                logger.info("metrics listening", metadata: ["component": "\(component)", "address": "\(channel.localAddress?.description ?? "")"])
            },
            logger: logger)
        do {
            try await app.run()
        } catch {
            logger.warning("metrics not served", metadata: ["component": "\(component)", "address": "\(host):\(port)", "error": "\(error)"])
            // The service group ends when any service does: wait for the node's shutdown instead.
            try? await gracefulShutdown()
        }
    }
}
