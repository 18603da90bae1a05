import APIMachinery
import HummingbirdWSClient
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL

/// Carries `kubectl exec`/`attach` from a client's websocket to where the container's streams are: from the client
/// to the node (as kube-apiserver carries them to the kubelet) and from the node's kubelet endpoint to the container
/// runtime's streaming server.
///
/// Clients and kubelet endpoints speak the remote-command channel protocol over websockets: each message is
/// one stream's data behind a one-byte stream number (0 stdin, 1 stdout, 2 stderr, 3 the closing `Status`, 4 terminal
/// resizes). kubectl 1.30+ asks for `v5.channel.k8s.io`, which is `v4.channel.k8s.io` plus a close signal (255,
/// stream) for half-closing stdin. Container runtimes such as containerd 1.6 offer websockets only as v4, which cannot
/// end stdin, so the runtime is spoken to over SPDY (`RuntimeStreamSession`), where it can.
public enum ContainerStreamTarget: Sendable {
    /// The container runtime's streaming server: the URL a CRI `Exec` or `Attach` returned, and the streams it was
    /// asked to prepare.
    case runtime(url: String, streams: RemoteCommandStreams)
    /// The container runtime's streaming server, for the port-forward URL a CRI `PortForward` returned.
    case runtimePortForward(url: String)
    /// A node's kubelet endpoint (`wss://`), with the client certificate to present, and the name to send in TLS's
    /// server name indication when the URL's host is an address, which SNI cannot carry.
    case kubelet(url: String, tls: TLSConfiguration, serverName: String)
}

public enum ContainerStreamRelay {
    /// The subprotocols the API server accepts from clients, in order of preference.
    public static let clientProtocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"]
    /// Skiff's kubelet endpoint is this same code, so it speaks v5 and passes the close signal on.
    static let kubeletProtocol = "v5.channel.k8s.io"
    static let closeSignal: UInt8 = 255
    /// One stream message can be as large as the client's or runtime's write buffer; `kubectl cp` sends 32 KiB.
    public static let maximumMessageBytes = 1 << 20

    static let errorStream: UInt8 = 3

    /// A message on the error stream: the `Status` that ends the session.
    static func errorMessage(_ status: JSONValue) -> ByteBuffer {
        ByteBuffer(bytes: [errorStream] + status.serializedForClients())
    }

    /// The protocol to answer a client offering `offered` (the `Sec-WebSocket-Protocol` list), if any is spoken.
    public static func negotiate(offered: String?) -> String? {
        let offers = (offered ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return clientProtocols.first { offers.contains($0) }
    }

    /// The subprotocol to answer a streaming upgrade offering `offered` with: port-forward's for a port-forward,
    /// remote command's otherwise.
    public static func negotiate(offered: String?, portForward: Bool) -> String? {
        portForward ? PortForwardRelay.negotiate(offered: offered) : negotiate(offered: offered)
    }

    /// Serves an upgraded connection by what it is for and the subprotocol it was answered with.
    /// - Parameter ports: a port-forward's `ports` query, which the websocket channel protocol names its ports by.
    public static func serve(
        client inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, upstream: Result<ContainerStreamTarget, APIError>,
        subprotocol: String, portForward: Bool, ports: String, logger: Logger
    ) async throws {
        if !portForward {
            try await serve(client: inbound, outbound, upstream: upstream, logger: logger)
        } else if subprotocol == PortForwardRelay.channelProtocol {
            try await PortForwardRelay.serveChannels(client: inbound, outbound, upstream: upstream, ports: ports, logger: logger)
        } else {
            try await PortForwardRelay.serve(client: inbound, outbound, upstream: upstream, logger: logger)
        }
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
                switch target {
                case .runtime(let url, let streams):
                    try await RuntimeStreamSession.relay(client: inbound, outbound, url: url, streams: streams, logger: logger)
                case .kubelet(let url, let tls, let serverName):
                    try await relay(
                        client: inbound, outbound, to: url, subprotocol: kubeletProtocol, tls: tls, serverName: serverName, logger: logger)
                case .runtimePortForward:
                    try await outbound.writeBinaryMessage(
                        errorMessage(APIError.badRequest("a port-forward session cannot carry an exec or attach").status))
                }
            } catch let refused as RuntimeStreamSession.Refused {
                try await outbound.writeBinaryMessage(errorMessage(refused.status))
            } catch {
                logger.info("container stream ended with an error", metadata: ["error": "\(error)"])
            }
        case .failure(let error):
            try await outbound.writeBinaryMessage(errorMessage(error.status))
        }
    }

    /// Relays every binary message between the client's websocket and one to `url` in `subprotocol` until either side
    /// ends (the far side ends once the process has exited and its `Status` is sent).
    static func relay(
        client inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, to url: String, subprotocol: String,
        tls: TLSConfiguration?, serverName: String?, logger: Logger
    ) async throws {
        var configuration = WebSocketClientConfiguration(maxFrameSize: maximumMessageBytes, sniHostname: serverName)
        configuration.additionalHeaders[.secWebSocketProtocol] = subprotocol
        try await WebSocketClient.connect(
            url: url, configuration: configuration, tlsConfiguration: tls, logger: logger
        ) { upstreamInbound, upstreamOutbound, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: maximumMessageBytes) {
                        try await upstreamOutbound.writeBinaryMessage(message.channelData)
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

extension WebSocketMessage {
    /// The message's bytes, its first the stream number. kube-apiserver reads a text message as it reads a binary one,
    /// and clients rely on it: the official Python client sends stdin written as `str` in text messages.
    var channelData: ByteBuffer {
        switch self {
        case .binary(let buffer): buffer
        case .text(let text): ByteBuffer(string: text)
        }
    }
}
