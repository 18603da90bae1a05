import Testing

@testable import CRI

@Suite("CRI client")
struct CRIClientTests {
    @Test func endpointsAreUnixSockets() throws {
        #expect(try CRIClient.socketPath(endpoint: "unix:///run/containerd/containerd.sock") == "/run/containerd/containerd.sock")
        #expect(try CRIClient.socketPath(endpoint: "/run/containerd/containerd.sock") == "/run/containerd/containerd.sock")
        #expect(throws: CRIError.self) { try CRIClient.socketPath(endpoint: "tcp://127.0.0.1:1234") }
    }

    @Test(.enabled(if: TestContainerd.unavailableReason == nil, "\(TestContainerd.unavailableReason ?? "")"))
    func talksToARealContainerd() async throws {
        let containerd = try TestContainerd()
        defer { containerd.stop() }

        try await CRIClient.withClient(endpoint: containerd.endpoint, requestTimeout: .seconds(20)) { client in
            let version = try await client.version()
            #expect(version.runtimeName == "containerd")
            #expect(version.runtimeApiVersion == "v1")
            #expect(!version.runtimeVersion.isEmpty)

            #expect(try await client.listPodSandboxes().isEmpty)
            #expect(try await client.listContainers().isEmpty)
            #expect(try await client.imageStatus(.with { $0.image = "registry.k8s.io/pause:3.6" }) == nil)

            let error = await #expect(throws: CRIError.self) { try await client.podSandboxStatus(id: "no-such-sandbox") }
            #expect(error?.isNotFound == true)
            #expect(error?.method == "RuntimeService/PodSandboxStatus")
        }
    }

    /// containerd answers nearly every request with a flow-control PING, and the HTTP/2 stack closes a connection that
    /// receives more than 200 within 30 s; a burst of calls larger than that must not break a connection under them.
    @Test(.enabled(if: TestContainerd.unavailableReason == nil, "\(TestContainerd.unavailableReason ?? "")"))
    func aBurstOfCallsKeepsItsConnections() async throws {
        let containerd = try TestContainerd()
        defer { containerd.stop() }

        try await CRIClient.withClient(endpoint: containerd.endpoint, requestTimeout: .seconds(20)) { client in
            for _ in 0..<600 {
                _ = try await client.listContainers()
            }
            #expect(client.retriedCalls == 0)
        }
    }
}
