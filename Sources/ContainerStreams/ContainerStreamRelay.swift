import APIMachinery
import HummingbirdWSClient
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL

/// Carries `kubectl exec`/`attach` from one websocket to another: from the client to the node (as kube-apiserver
/// carries them to the kubelet) and from the node's kubelet endpoint to the container runtime's streaming server.
///
/// Both ends speak the remote-command channel protocol: each binary message is one stream's data behind a one-byte
/// stream number (0 stdin, 1 stdout, 2 stderr, 3 the closing `Status`, 4 terminal resizes). kubectl 1.30+ asks for
/// `v5.channel.k8s.io`, which is `v4.channel.k8s.io` plus a close signal (255, stream) for half-closing stdin;
/// streaming servers of container runtimes such as containerd 1.6 speak v4, so the relay offers them v4 and
/// drops the close signal, which v4 cannot express.
/// A websocket to relay an exec or attach to: the container runtime's streaming server, or a node's kubelet
/// endpoint (`wss://`, with the client certificate to present).
public struct ContainerStreamTarget: Sendable {
    public var url: String
    public var tls: TLSConfiguration?
    /// The name to send in TLS's server name indication when the URL's host is an address, which SNI cannot carry.
    public var serverName: String?

    public init(url: String, tls: TLSConfiguration? = nil, serverName: String? = nil) {
        self.url = url
        self.tls = tls
        self.serverName = serverName
    }
}

public enum ContainerStreamRelay {
    /// The subprotocols the API server accepts from clients, in order of preference.
    public static let clientProtocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"]
    static let upstreamProtocol = "v4.channel.k8s.io"
    static let closeSignal: UInt8 = 255
    /// One stream message can be as large as the client's or runtime's write buffer; `kubectl cp` sends 32 KiB.
    public static let maximumMessageBytes = 1 << 20

    static let errorStream: UInt8 = 3

    /// A message on the error stream: the `Status` that ends the session.
    static func errorMessage(_ status: JSONValue) -> ByteBuffer {
        ByteBuffer(bytes: [errorStream] + status.serialized())
    }

    /// The protocol to answer a client offering `offered` (the `Sec-WebSocket-Protocol` list), if any is spoken.
    public static func negotiate(offered: String?) -> String? {
        let offers = (offered ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return clientProtocols.first { offers.contains($0) }
    }

    /// Serves an upgraded client connection: relays it to `upstream`, or, when the request was refused, sends the
    /// refusal's `Status` on the error stream, which kubectl prints. (Refusing the upgrade itself would make kubectl
    /// retry over SPDY, which Skiff does not speak.)
    public static func serve(
        client inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, upstream: Result<ContainerStreamTarget, APIError>,
        logger: Logger
    ) async throws {
        switch upstream {
        case .success(let target):
            do {
                try await relay(client: inbound, outbound, to: target, logger: logger)
            } catch {
                logger.info("container stream ended with an error", metadata: ["upstream": "\(target.url)", "error": "\(error)"])
            }
        case .failure(let error):
            try await outbound.writeBinaryMessage(errorMessage(error.status))
        }
    }

    /// Relays until either side ends; the runtime ends its side once the process has exited and its `Status` is sent.
    static func relay(
        client inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, to upstream: ContainerStreamTarget, logger: Logger
    ) async throws {
        var configuration = WebSocketClientConfiguration(maxFrameSize: maximumMessageBytes, sniHostname: upstream.serverName)
        configuration.additionalHeaders[.secWebSocketProtocol] = upstreamProtocol
        try await WebSocketClient.connect(
            url: upstream.url, configuration: configuration, tlsConfiguration: upstream.tls, logger: logger
        ) { upstreamInbound, upstreamOutbound, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: maximumMessageBytes) {
                        guard case .binary(let buffer) = message, buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) != closeSignal else {
                            continue
                        }
                        try await upstreamOutbound.writeBinaryMessage(buffer)
                    }
                }
                group.addTask {
                    for try await message in upstreamInbound.messages(maxSize: maximumMessageBytes) {
                        guard case .binary(let buffer) = message else { continue }
                        try await outbound.writeBinaryMessage(buffer)
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }
}
