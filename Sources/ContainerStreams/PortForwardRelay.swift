import APIMachinery
import HummingbirdWSClient
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL

/// `kubectl port-forward`: kubectl speaks SPDY, tunnelled in a websocket (`SPDY/3.1+portforward.k8s.io`); each
/// connection it forwards is a pair of streams, `streamtype` data and error, naming the `port` and a `requestid`. The
/// relay passes the session on to the container runtime's streaming server (SPDY over TCP, `portforward.k8s.io`),
/// which connects to the port inside the pod, or to the node's kubelet endpoint (the same websocket tunnel). Frames
/// pass unchanged but for header blocks, which every connection compresses in a zlib stream of its own: the
/// client's stream openings are inflated and written anew, and the node's replies are answered anew.
public enum PortForwardRelay {
    public static let websocketProtocol = "SPDY/3.1+portforward.k8s.io"
    static let runtimeProtocol = "portforward.k8s.io"
    /// The older websocket port-forward (the official Python client's): the ports are named in the query
    /// (`ports=8080,9090`); each has a data channel (2i) and an error channel (2i+1), both opened with the port number.
    public static let channelProtocol = "v4.channel.k8s.io"

    /// The subprotocol to answer a port-forward upgrade offering `offered`, if any is spoken.
    public static func negotiate(offered: String?) -> String? {
        let offers = (offered ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return [websocketProtocol, channelProtocol].first { offers.contains($0) }
    }

    /// Serves the channel protocol: a websocket relayed as it is to the runtime's streaming server or the node's
    /// kubelet endpoint, with the ports in the query; a refusal goes on the first port's error channel.
    public static func serveChannels(
        client inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, upstream: Result<ContainerStreamTarget, APIError>,
        ports: String, logger: Logger
    ) async throws {
        let query = "ports=" + ports.utf8.map { byte in
            (0x30...0x39).contains(byte) || byte == UInt8(ascii: ",") ? String(UnicodeScalar(byte)) : "%" + String(0x100 + Int(byte), radix: 16, uppercase: true).dropFirst()
        }.joined()
        do {
            switch upstream {
            case .success(.runtimePortForward(let url)):
                let websocketURL = url.replacingOccurrences(of: "http://", with: "ws://")
                try await ContainerStreamRelay.relay(
                    client: inbound, outbound, to: "\(websocketURL)?\(query)", subprotocol: channelProtocol, tls: nil, serverName: nil, logger: logger)
            case .success(.kubelet(let url, let tls, let serverName)):
                try await ContainerStreamRelay.relay(
                    client: inbound, outbound, to: "\(url)?\(query)", subprotocol: channelProtocol, tls: tls, serverName: serverName, logger: logger)
            case .success(.runtime):
                try await outbound.writeBinaryMessage(ByteBuffer(bytes: [1] + Array("an exec or attach session cannot carry a port-forward".utf8)))
            case .failure(let error):
                try await outbound.writeBinaryMessage(ByteBuffer(bytes: [1] + Array(error.message.utf8)))
            }
        } catch {
            logger.info("port-forward ended with an error", metadata: ["error": "\(error)"])
        }
    }

    public static func serve(
        client inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, upstream: Result<ContainerStreamTarget, APIError>,
        logger: Logger
    ) async throws {
        do {
            switch upstream {
            case .success(.runtimePortForward(let url)):
                try await RuntimeStreamSession.withUpgradedConnection(url: url, streamProtocol: runtimeProtocol) { connection, writer, received in
                    try await relay(client: inbound, outbound, send: { try await writer.write($0) }, finish: { writer.finish() }) { deliver in
                        while true {
                            while let frame = SPDYFrame.decode(&received) { try await deliver(frame) }
                            guard var more = try await connection.next() else { return }
                            received.writeBuffer(&more)
                        }
                    }
                }
            case .success(.kubelet(let url, let tls, let serverName)):
                var configuration = WebSocketClientConfiguration(maxFrameSize: ContainerStreamRelay.maximumMessageBytes, sniHostname: serverName)
                configuration.additionalHeaders[.secWebSocketProtocol] = websocketProtocol
                try await WebSocketClient.connect(url: url, configuration: configuration, tlsConfiguration: tls, logger: logger) {
                    kubeletInbound, kubeletOutbound, _ in
                    try await relay(
                        client: inbound, outbound, send: { try await kubeletOutbound.writeBinaryMessage($0) },
                        finish: { try? await kubeletOutbound.close(.normalClosure, reason: nil) }
                    ) { deliver in
                        var received = ByteBuffer()
                        for try await message in kubeletInbound.messages(maxSize: ContainerStreamRelay.maximumMessageBytes) {
                            guard case .binary(var data) = message else { continue }
                            received.writeBuffer(&data)
                            while let frame = SPDYFrame.decode(&received) { try await deliver(frame) }
                        }
                    }
                }
            case .success(.runtime):
                try await refuse(client: inbound, outbound, message: "an exec or attach session cannot carry a port-forward")
            case .failure(let error):
                try await refuse(client: inbound, outbound, message: error.message)
            }
        } catch let refused as RuntimeStreamSession.Refused {
            try await refuse(client: inbound, outbound, message: refused.status["message"]?.stringValue ?? "the container runtime refused")
        } catch {
            logger.info("port-forward ended with an error", metadata: ["error": "\(error)"])
        }
    }

    /// Relays until the node's side ends (`receiving` returns) or the client's does.
    private static func relay(
        client inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, send: @escaping @Sendable (ByteBuffer) async throws -> Void,
        finish: @escaping @Sendable () async -> Void, receiving: (_ deliver: (SPDYFrame) async throws -> Void) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let clientHeaders = try SPDYHeaderBlockReader()
                var nodeHeaders = SPDYHeaderBlockWriter()
                var received = ByteBuffer()
                for try await message in inbound.messages(maxSize: ContainerStreamRelay.maximumMessageBytes) {
                    guard case .binary(var data) = message else { continue }
                    received.writeBuffer(&data)
                    while let frame = SPDYFrame.decode(&received) {
                        try await send(try fromClient(frame, reading: clientHeaders, writing: &nodeHeaders))
                    }
                }
                await finish()
            }
            var clientHeaders = SPDYHeaderBlockWriter()
            try await receiving { frame in
                guard let forwarded = fromNode(frame, writing: &clientHeaders) else { return }
                try await outbound.writeBinaryMessage(forwarded)
            }
            group.cancelAll()
        }
    }

    /// A client frame as the node gets it: stream openings (and any header frame) with their headers written anew.
    static func fromClient(_ frame: SPDYFrame, reading: SPDYHeaderBlockReader, writing: inout SPDYHeaderBlockWriter) throws -> ByteBuffer {
        var encoded = ByteBuffer()
        guard case .control(let type, let flags, var payload) = frame, let controlType = SPDYFrame.ControlType(rawValue: type),
            let prefixLength = headerBlockOffset(controlType), var rewritten = payload.readSlice(length: prefixLength)
        else {
            frame.write(into: &encoded)
            return encoded
        }
        rewritten.writeImmutableBuffer(writing.block(try reading.headers(payload)))
        SPDYFrame.writeControl(controlType, flags: flags, payload: rewritten, into: &encoded)
        return encoded
    }

    /// A node frame as the client gets it: replies answered with an empty header block of this relay's own; the
    /// node's other header frames (which nothing here reads) dropped.
    static func fromNode(_ frame: SPDYFrame, writing: inout SPDYHeaderBlockWriter) -> ByteBuffer? {
        var encoded = ByteBuffer()
        switch frame {
        case .control(SPDYFrame.ControlType.synReply.rawValue, let flags, let payload):
            guard let streamID = payload.getInteger(at: payload.readerIndex, as: UInt32.self) else { return nil }
            var reply = ByteBuffer(integer: streamID)
            reply.writeImmutableBuffer(writing.block([]))
            SPDYFrame.writeControl(.synReply, flags: flags, payload: reply, into: &encoded)
        case .control(SPDYFrame.ControlType.synStream.rawValue, _, _), .control(SPDYFrame.ControlType.headers.rawValue, _, _):
            return nil
        default:
            frame.write(into: &encoded)
        }
        return encoded
    }

    /// Where the header block starts in a control frame's payload, for the frames that carry one.
    private static func headerBlockOffset(_ type: SPDYFrame.ControlType) -> Int? {
        switch type {
        case .synStream: 10  // stream ID, associated stream ID, priority and slot
        case .synReply, .headers: 4  // stream ID
        default: nil
        }
    }

    /// Answers every stream the client opens, each error stream with `message`, and ends each: the request was refused
    /// (kubectl prints the message as the error forwarding that connection).
    private static func refuse(client inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, message: String) async throws {
        let clientHeaders = try SPDYHeaderBlockReader()
        var replies = SPDYHeaderBlockWriter()
        var received = ByteBuffer()
        for try await frame in inbound.messages(maxSize: ContainerStreamRelay.maximumMessageBytes) {
            guard case .binary(var data) = frame else { continue }
            received.writeBuffer(&data)
            while case .control(let type, _, var payload)? = SPDYFrame.decode(&received) {
                guard type == SPDYFrame.ControlType.synStream.rawValue, let streamID = payload.readInteger(as: UInt32.self) else { continue }
                payload.moveReaderIndex(forwardBy: 6)
                let headers = try clientHeaders.headers(payload)
                var answer = ByteBuffer()
                var reply = ByteBuffer(integer: streamID)
                reply.writeImmutableBuffer(replies.block([]))
                SPDYFrame.writeControl(.synReply, payload: reply, into: &answer)
                let text = headers.contains { $0.name == "streamtype" && $0.value == "error" } ? message : ""
                SPDYFrame.writeData(streamID: streamID, payload: ByteBuffer(string: text).readableBytesView, fin: true, into: &answer)
                try await outbound.writeBinaryMessage(answer)
            }
        }
    }
}
