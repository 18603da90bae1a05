import HTTPTypes
import Hummingbird
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL

/// The HTTPS listener both of Skiff's servers run, the API server and a node's kubelet endpoint: a certificate and
/// key, client certificates checked against the cluster CA, HTTP/1.1 with websocket upgrades (the exec, attach and
/// port-forward streams), and the port reported once it listens (port 0 picks a free one).
public struct HTTPSEndpoint: Sendable {
    public enum ClientCertificates: Sendable {
        /// A certificate a client presents must chain to the CA, but none is required (kube-apiserver's
        /// VerifyClientCertIfGiven: bearer tokens and unauthenticated paths are decided by the request handler).
        case verifiedIfGiven
        /// Every client presents a certificate from the CA (the kubelet endpoint runs commands in containers).
        case required
    }

    public var bindAddress: String
    public var port: Int
    public var certificateChainPEM: String
    public var privateKeyPEM: String
    public var clientCAPEM: String
    public var clientCertificates: ClientCertificates
    /// The largest websocket frame a stream may send (a stream message is as large as the writer's buffer).
    public var maximumWebSocketFrame: Int

    public init(
        bindAddress: String, port: Int, certificateChainPEM: String, privateKeyPEM: String, clientCAPEM: String,
        clientCertificates: ClientCertificates, maximumWebSocketFrame: Int
    ) {
        self.bindAddress = bindAddress
        self.port = port
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
        self.clientCAPEM = clientCAPEM
        self.clientCertificates = clientCertificates
        self.maximumWebSocketFrame = maximumWebSocketFrame
    }

    /// Serves requests with `responder` and websocket upgrades with `upgrade` until the service group shuts down.
    public func run<Context: RequestContext>(
        responder: CallbackResponder<Context>,
        upgrade: @escaping @Sendable (HTTPRequest, any Channel, Logger) async -> ShouldUpgradeResult<
            WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
        >,
        onRunning: @escaping @Sendable (Int) async -> Void, logger: Logger
    ) async throws where Context.Source == ApplicationRequestContextSource {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(certificateChainPEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)))
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(clientCAPEM.utf8)))
        tls.certificateVerification =
            switch clientCertificates {
            case .verifiedIfGiven: .optionalVerification
            case .required: .noHostnameVerification
            }
        tls.applicationProtocols = ["http/1.1"]
        let upgrades = HTTP1WebSocketUpgradeChannel.Configuration(
            ws: .init(maxFrameSize: maximumWebSocketFrame, autoPing: .enabled(timePeriod: .seconds(30))))
        let app = Application(
            responder: responder,
            server: try .tls(.http1WebSocketUpgrade(configuration: upgrades, shouldUpgrade: upgrade), tlsConfiguration: tls),
            configuration: ApplicationConfiguration(address: .hostname(bindAddress, port: port), serverName: nil),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        // `run` (not `runService`) so the process-wide service group owns signals and shutdown order.
        try await app.run()
    }
}

extension HTTPSEndpoint: CustomStringConvertible {
    /// Never prints the key material: service groups log a failed service by its description.
    public var description: String { "HTTPSEndpoint(\(bindAddress):\(port))" }
}
