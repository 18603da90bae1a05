import APIMachinery
import AsyncHTTPClient
import CRI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// What one run of a probe or hook handler found, with the output the kubelet would put into its event.
enum ProbeOutcome: Sendable, Equatable {
    case success
    case failure(String)
    /// The handler could not run at all (the runtime refused the exec): the kubelet does not count it.
    case error(String)
}

/// Where a handler runs: the container (for exec) and the pod's address (for HTTP, TCP and gRPC).
struct ProbeTarget: Sendable {
    var containerID: String
    var podIP: String?
}

/// Runs probe and lifecycle-hook handlers as the kubelet's prober does: exec through the runtime, HTTP(S) GETs
/// that accept 200–399 without verifying certificates, TCP connects and gRPC health checks against the pod's IP
/// (the agent is in the host network namespace, from which pod addresses are reachable).
final class Prober: Sendable {
    /// How much of a command's output or a response body the kubelet keeps (10 KiB).
    static let maxOutputBytes = 10 * 1024
    static let userAgent = "kube-probe/1.32"

    /// Made on the first HTTP handler and shut down with `shutDown()`: most nodes never probe over HTTP.
    private let httpClient = Mutex<HTTPClient?>(nil)

    init() {}

    func run(_ action: Probe.Action, target: ProbeTarget, timeout: Duration, runtime: any ContainerRuntime) async -> ProbeOutcome {
        switch action {
        case let .exec(command):
            return await exec(command, target: target, timeout: timeout, runtime: runtime)
        case let .httpGet(scheme, host, port, path, headers):
            guard let host = host ?? target.podIP else { return .error("failed to find the pod's IP address") }
            return await httpGet(scheme: scheme, host: host, port: port, path: path, headers: headers, timeout: timeout)
        case let .tcpSocket(host, port):
            guard let host = host ?? target.podIP else { return .error("failed to find the pod's IP address") }
            return await tcpConnect(host: host, port: port, timeout: timeout)
        case let .grpc(port, service):
            guard let host = target.podIP else { return .error("failed to find the pod's IP address") }
            return await grpcHealthCheck(host: host, port: port, service: service ?? "", timeout: timeout)
        }
    }

    func shutDown() async {
        guard let client = httpClient.withLock({ client -> HTTPClient? in
            defer { client = nil }
            return client
        }) else { return }
        try? await client.shutdown()
    }

    // MARK: Exec

    private func exec(_ command: [String], target: ProbeTarget, timeout: Duration, runtime: any ContainerRuntime) async -> ProbeOutcome {
        do {
            let response = try await runtime.execSync(containerID: target.containerID, command: command, timeout: timeout)
            if response.exitCode == 0 { return .success }
            var output = response.stdout
            output.append(response.stderr)
            return .failure(String(decoding: output.prefix(Self.maxOutputBytes), as: UTF8.self))
        } catch let error as CRIError where error.code == .deadlineExceeded {
            return .failure(Self.execTimedOut(command))
        } catch {
            return .error((error as? CRIError)?.message ?? "\(error)")
        }
    }

    /// The kubelet's message for an exec that outlived its timeout.
    static func execTimedOut(_ command: [String]) -> String {
        "command \(GoText.quoted(command.joined(separator: " "))) timed out"
    }

    // MARK: HTTP

    private func client() -> HTTPClient {
        httpClient.withLock { client in
            if let client { return client }
            var tls = TLSConfiguration.makeClientConfiguration()
            // Probes do not verify certificates, as the kubelet's (`InsecureSkipVerify`).
            tls.certificateVerification = .none
            let configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
            let created = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
            client = created
            return created
        }
    }

    private func httpGet(scheme: String, host: String, port: Int, path: String, headers: [Probe.Header], timeout: Duration) async -> ProbeOutcome {
        let url = Self.url(scheme: scheme, host: host, port: port, path: path)
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: Self.userAgent)
        request.headers.add(name: "Accept", value: "*/*")
        // A fresh connection per probe, as the kubelet's (keep-alives disabled), so a dead server cannot hide.
        request.headers.add(name: "Connection", value: "close")
        for header in headers {
            request.headers.replaceOrAdd(name: header.name, value: header.value)
        }
        do {
            let response = try await client().execute(request, timeout: TimeAmount(timeout))
            // The kubelet reads at most 10 KiB of the body; what is left is dropped with the connection.
            var received = 0
            for try await chunk in response.body {
                received += chunk.readableBytes
                if received >= Self.maxOutputBytes { break }
            }
            return Self.httpVerdict(statusCode: Int(response.status.code))
        } catch {
            return .failure("Get \(GoText.quoted(url)): \(Self.goHTTPError(error, host: host, port: port))")
        }
    }

    /// 200–399 is healthy, as the kubelet's HTTP prober (redirects are not followed; a redirect counts as success).
    static func httpVerdict(statusCode: Int) -> ProbeOutcome {
        (200..<400).contains(statusCode) ? .success : .failure("HTTP probe failed with statuscode: \(statusCode)")
    }

    static func url(scheme: String, host: String, port: Int, path: String) -> String {
        let address = host.contains(":") ? "[\(host)]" : host
        let absolutePath = path.hasPrefix("/") ? path : "/\(path)"
        return "\(scheme.lowercased())://\(address):\(port)\(absolutePath)"
    }

    // MARK: TCP

    func tcpConnect(host: String, port: Int, timeout: Duration) async -> ProbeOutcome {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(timeout))
                .connect(host: host, port: port).get()
            try? await channel.close()
            return .success
        } catch {
            return .failure(Self.goDialError(error, host: host, port: port))
        }
    }

    // MARK: gRPC

    func grpcHealthCheck(host: String, port: Int, service: String, timeout: Duration) async -> ProbeOutcome {
        let address = "\(host.contains(":") ? "[\(host)]" : host):\(port)"
        do {
            let target: any ResolvableTarget =
                host.contains(":")
                ? ResolvableTargets.IPv6(addresses: [.init(host: host, port: port)])
                : ResolvableTargets.IPv4(addresses: [.init(host: host, port: port)])
            let transport = try HTTP2ClientTransport.Posix(target: target, transportSecurity: .plaintext)
            return try await withGRPCClient(transport: transport) { client in
                var options = CallOptions.defaults
                options.timeout = timeout
                // As the kubelet's blocking dial: a server that is not listening yet is retried until the timeout.
                options.waitForReady = true
                return try await client.unary(
                    request: ClientRequest(message: service, metadata: ["user-agent": .string(Self.userAgent)]),
                    descriptor: MethodDescriptor(fullyQualifiedService: "grpc.health.v1.Health", method: "Check"),
                    serializer: HealthCheckRequestSerializer(), deserializer: HealthCheckResponseDeserializer(), options: options
                ) { response in
                    let status = try response.message
                    return status == 1 ? .success : .failure("service unhealthy (responded with \(GoText.quoted(Self.servingStatusName(status))))")
                }
            }
        } catch let error as RPCError {
            switch error.code {
            case .unimplemented:
                return .failure("error: this server does not implement the grpc health protocol (grpc.health.v1.Health): \(error.message)")
            case .deadlineExceeded:
                return .failure("timeout: failed to connect service \(GoText.quoted(address)) within \(NodeAgent.goDuration(timeout)): context deadline exceeded")
            default:
                return .failure("error: health rpc probe failed: rpc error: code = \(Self.grpcCodeName(error.code)) desc = \(error.message)")
            }
        } catch {
            return .failure("error: health rpc probe failed: \(error)")
        }
    }

    /// `grpc.health.v1.HealthCheckResponse.ServingStatus` by number.
    static func servingStatusName(_ status: Int) -> String {
        switch status {
        case 0: "UNKNOWN"
        case 1: "SERVING"
        case 2: "NOT_SERVING"
        case 3: "SERVICE_UNKNOWN"
        default: "\(status)"
        }
    }

    /// A gRPC code as grpc-go prints it (`Unavailable`, `PermissionDenied`).
    static func grpcCodeName(_ code: RPCError.Code) -> String {
        let name = "\(code)"
        return (name.first?.uppercased() ?? "") + name.dropFirst()
    }

    // MARK: Go's error texts

    /// A dial failure as Go's net package words it: `dial tcp 10.42.0.5:81: connect: connection refused`, or
    /// `dial tcp 10.42.0.5:81: i/o timeout`.
    static func goDialError(_ error: any Error, host: String, port: Int) -> String {
        let address = "\(host.contains(":") ? "[\(host)]" : host):\(port)"
        if let errno = Self.errno(of: error) { return "dial tcp \(address): connect: \(goErrnoText(errno))" }
        if isTimeout(error) { return "dial tcp \(address): i/o timeout" }
        return "dial tcp \(address): \(error)"
    }

    static func goHTTPError(_ error: any Error, host: String, port: Int) -> String {
        if Self.errno(of: error) != nil { return goDialError(error, host: host, port: port) }
        if isTimeout(error) { return "context deadline exceeded (Client.Timeout exceeded while awaiting headers)" }
        if let error = error as? HTTPClientError, error == .remoteConnectionClosed { return "EOF" }
        return "\(error)"
    }

    /// Go's text for an errno: the C library's, starting lower-case (`connection refused`, `no route to host`).
    static func goErrnoText(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return (text.first?.lowercased() ?? "") + text.dropFirst()
    }

    private static func errno(of error: any Error) -> Int32? {
        if let error = error as? IOError { return error.errnoCode }
        if let error = error as? NIOConnectionError {
            return error.connectionErrors.lazy.compactMap { ($0.error as? IOError)?.errnoCode }.first
        }
        return nil
    }

    private static func isTimeout(_ error: any Error) -> Bool {
        if case ChannelError.connectTimeout = error { return true }
        if let error = error as? HTTPClientError {
            return error == .deadlineExceeded || error == .connectTimeout || error == .readTimeout || error == .writeTimeout
        }
        if let error = error as? NIOConnectionError { return error.connectionErrors.contains { isTimeout($0.error) } }
        return false
    }

}

/// `grpc.health.v1.HealthCheckRequest { string service = 1; }`, encoded by hand: one optional string field.
private struct HealthCheckRequestSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ service: String) throws -> Bytes {
        let utf8 = Array(service.utf8)
        guard !utf8.isEmpty else { return Bytes([]) }
        var bytes: [UInt8] = [0x0A]
        var length = utf8.count
        while length >= 0x80 {
            bytes.append(UInt8(length & 0x7F) | 0x80)
            length >>= 7
        }
        bytes.append(UInt8(length))
        return Bytes(bytes + utf8)
    }
}

/// `grpc.health.v1.HealthCheckResponse { ServingStatus status = 1; }`: the status number (0, UNKNOWN, when absent).
private struct HealthCheckResponseDeserializer: MessageDeserializer {
    struct Malformed: Error {}

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Int {
        let bytes = serializedMessageBytes.withUnsafeBytes { Array($0) }
        var index = 0
        var status = 0
        func varint() throws -> Int {
            var value = 0
            var shift = 0
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                value |= Int(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
                guard shift < 64 else { throw Malformed() }
            }
            throw Malformed()
        }
        while index < bytes.count {
            let key = try varint()
            switch key & 7 {
            case 0:
                let value = try varint()
                if key >> 3 == 1 { status = value }
            case 2: index += try varint()
            case 1: index += 8
            case 5: index += 4
            default: throw Malformed()
            }
        }
        return status
    }
}
