import APIServer
import Foundation
import Logging
import PKI
import SQLiteStorage
import ServiceLifecycle

/// A real `HTTPSServer` over a SQLite store in a temporary directory, with the cluster PKI, an admin kubeconfig
/// and a join token, as `skiff server` assembles them, for the length of `body`.
struct LiveCluster: Sendable {
    let url: String
    let kubeconfigPath: String
    let caPEM: String
    let token: JoinToken

    struct NotStarted: Error {}

    static func run(_ body: @Sendable (LiveCluster) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "live-cluster-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var logger = Logger(label: "live-cluster")
        // Stopping the server by cancellation makes Hummingbird log errors that say nothing about the test.
        logger.logLevel = .critical

        let pki = try ClusterPKI.loadOrCreate(directory: "\(directory)/tls", extraHostnames: [], extraIPAddresses: [])
        let token = JoinToken.generate(caCertificatePEM: pki.caCertificatePEM)
        let store = try SQLiteStore(path: "\(directory)/state.db")
        defer { store.close() }
        let api = try KubernetesAPI(store: store, logger: logger)
        try await api.bootstrap(apiServerPort: 0)
        let authenticator = RequestAuthenticator(bearerTokens: [token.text: .agent, token.secret: .agent]) { der in
            pki.clientIdentity(certificateDER: der).map { AuthenticatedUser(name: $0.user, groups: $0.groups) }
        }
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let server = HTTPSServer(
            api: api,
            configuration: HTTPSServerConfiguration(
                bindAddress: "127.0.0.1", port: 0, certificateChainPEM: pki.servingCertificatePEM, privateKeyPEM: pki.servingKeyPEM,
                clientCAPEM: pki.caCertificatePEM, authenticator: authenticator),
            logger: logger
        ) { port in portContinuation.yield(port) }
        let group = ServiceGroup(services: [server], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw NotStarted() }
            defer { tasks.cancelAll() }
            let url = "https://127.0.0.1:\(port)"
            let kubeconfigPath = "\(directory)/kubeconfig.yaml"
            try Kubeconfig.write(
                Kubeconfig.render(
                    serverURL: url, caPEM: pki.caCertificatePEM, clientCertificatePEM: pki.adminCertificatePEM, clientKeyPEM: pki.adminKeyPEM),
                to: kubeconfigPath)
            try await body(LiveCluster(url: url, kubeconfigPath: kubeconfigPath, caPEM: pki.caCertificatePEM, token: token))
        }
    }
}
