import APIMachinery
import APIServer
import Foundation
import KubeClient
import Logging
import SQLiteStorage

/// A real API server with its SQLite store in a temporary directory, reached in-process: what controller, scheduler
/// and agent tests run against instead of fakes.
public final class InProcessCluster: Sendable {
    public let api: KubernetesAPI
    public let store: SQLiteStore
    public let directory: URL
    public let logger: Logger

    /// - Parameter serviceAccountAdmission: whether new pods pass the ServiceAccount admission plugin; off, as in
    ///   Kubernetes' integration tests, since no service-account controller creates the `default` accounts here.
    public init(serviceAccountAdmission: Bool = false) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory.appendingPathComponent("state.db").path)
        var logger = Logger(label: "skiff.test")
        logger.logLevel = .warning
        self.logger = logger
        api = try KubernetesAPI(store: store, serviceAccountAdmission: serviceAccountAdmission, logger: logger)
        try await api.bootstrap(apiServerPort: 6443)
    }

    /// A client acting as `user`, e.g. `system:kube-scheduler`.
    public func client(_ user: String = "system:admin") -> KubeClient {
        KubeClient(transport: InProcessTransport(api: api, user: user), fieldManager: user)
    }

    /// Ends watches and removes the store's files.
    public func shutdown() {
        api.beginShutdown()
        store.close()
        try? FileManager.default.removeItem(at: directory)
    }
}
