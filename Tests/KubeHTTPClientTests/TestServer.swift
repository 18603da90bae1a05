import Hummingbird
import Synchronization
import Logging
import ServiceLifecycle

/// A plain-HTTP Hummingbird server on a free loopback port that answers as the test says, for the length of `body`.
enum TestServer {
    struct NotStarted: Error {}

    static func run(
        respond: @escaping @Sendable (Request) async -> Response, body: @Sendable (_ serverURL: String) async throws -> Void
    ) async throws {
        var logger = Logger(label: "test-server")
        // Stopping the server by cancellation makes Hummingbird log errors that say nothing about the test.
        logger.logLevel = .critical
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            responder: CallbackResponder<BasicRequestContext> { request, _ in await respond(request) },
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        let group = ServiceGroup(services: [app], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw NotStarted() }
            defer { tasks.cancelAll() }
            try await body("http://127.0.0.1:\(port)")
        }
    }
}

/// A read-only flag set from a server handler and read by the test.
final class Flag: Sendable {
    private let value = Mutex(false)

    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
