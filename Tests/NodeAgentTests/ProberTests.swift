import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Testing

@testable import NodeAgent

/// The prober's network handlers against servers of this process.
@Suite("prober")
struct ProberTests {
    /// Messages as raw protobuf bytes: the test server answers `grpc.health.v1.Health/Check` by hand.
    struct RawBytes: MessageSerializer, MessageDeserializer {
        func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
        func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
            serializedMessageBytes.withUnsafeBytes { Array($0) }
        }
    }

    @Test func grpcHealthChecksAnswerServingOrNot() async throws {
        let transport = HTTP2ServerTransport.Posix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext)
        var router = RPCRouter<HTTP2ServerTransport.Posix>()
        router.registerHandler(
            forMethod: MethodDescriptor(fullyQualifiedService: "grpc.health.v1.Health", method: "Check"), deserializer: RawBytes(),
            serializer: RawBytes()
        ) { request, _ in
            var service: [UInt8] = []
            for try await message in request.messages { service = message }
            // The whole server is healthy; any named service (field 1 present) is NOT_SERVING (2).
            return StreamingServerResponse(single: ServerResponse(message: service.isEmpty ? [0x08, 0x01] : [0x08, 0x02]))
        }
        let server = GRPCServer(transport: transport, router: router)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await server.serve() }
            let port = try #require(try await transport.listeningAddress.ipv4?.port)
            let prober = Prober()
            #expect(await prober.grpcHealthCheck(host: "127.0.0.1", port: port, service: "", timeout: .seconds(5)) == .success)
            #expect(
                await prober.grpcHealthCheck(host: "127.0.0.1", port: port, service: "db", timeout: .seconds(5))
                    == .failure(#"service unhealthy (responded with "NOT_SERVING")"#))
            server.beginGracefulShutdown()
        }
    }

    @Test func aClosedPortFailsTCPAndGRPCProbesAsTheKubeletWordsIt() async throws {
        let prober = Prober()
        // Port 1 on the loopback address: nothing listens there in a test environment.
        #expect(await prober.tcpConnect(host: "127.0.0.1", port: 1, timeout: .seconds(2)) == .failure("dial tcp 127.0.0.1:1: connect: connection refused"))
        #expect(
            await prober.grpcHealthCheck(host: "127.0.0.1", port: 1, service: "", timeout: .seconds(1))
                == .failure(#"timeout: failed to connect service "127.0.0.1:1" within 1s: context deadline exceeded"#))
    }
}
