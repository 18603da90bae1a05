import APIMachinery
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOPosix

/// Which streams an exec or attach session carries, as the runtime was asked to prepare them: its streaming server
/// waits for exactly these (plus the error stream, and a resize stream with a terminal) before it starts.
public struct RemoteCommandStreams: Sendable, Equatable {
    public var stdin: Bool
    public var stdout: Bool
    public var stderr: Bool
    public var tty: Bool

    public init(stdin: Bool, stdout: Bool, stderr: Bool, tty: Bool) {
        self.stdin = stdin
        self.stdout = stdout
        // With a terminal stderr is merged into stdout; CRI refuses both at once.
        self.stderr = stderr && !tty
        self.tty = tty
    }

    /// The streams to open, each as its `streamType` and the channel number it has in the websocket protocol, in the
    /// order client-go opens them.
    var channels: [(type: String, channel: UInt8)] {
        var opened: [(String, UInt8)] = [("error", 3)]
        if stdin { opened.append(("stdin", 0)) }
        if stdout { opened.append(("stdout", 1)) }
        if stderr { opened.append(("stderr", 2)) }
        if tty { opened.append(("resize", 4)) }
        return opened
    }
}

/// One exec or attach session with the container runtime's streaming server over SPDY/3.1, bridged to a client's
/// websocket: each websocket channel becomes one SPDY stream, and v5's close signal ends the stdin stream (FIN).
enum RuntimeStreamSession {
    static let streamProtocol = "v4.channel.k8s.io"

    struct Refused: Error {
        var status: JSONValue
    }

    static func relay(
        client inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, url: String, streams: RemoteCommandStreams,
        logger: Logger
    ) async throws {
        try await withUpgradedConnection(url: url, streamProtocol: streamProtocol) { upstream, upstreamOutbound, received in
            var headerBlocks = SPDYHeaderBlockWriter()
            var opening = ByteBuffer()
            var opened: [UInt8: UInt32] = [:]
            for (index, (type, channel)) in streams.channels.enumerated() {
                // Client-initiated streams have odd IDs, in increasing order.
                let id = UInt32(2 * index + 1)
                var synStream = ByteBuffer()
                synStream.writeInteger(id)
                synStream.writeInteger(UInt32(0))  // associated-to stream
                synStream.writeInteger(UInt16(0))  // priority and slot
                synStream.writeImmutableBuffer(headerBlocks.block([("streamtype", type)]))
                SPDYFrame.writeControl(.synStream, payload: synStream, into: &opening)
                opened[channel] = id
            }
            try await upstreamOutbound.write(opening)
            let streamOfChannel = opened
            let channelOfStream = Dictionary(uniqueKeysWithValues: streamOfChannel.map { ($0.value, $0.key) })

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: ContainerStreamRelay.maximumMessageBytes) {
                        var data = message.channelData
                        guard let channel = data.readInteger(as: UInt8.self) else { continue }
                        var frame = ByteBuffer()
                        if channel == ContainerStreamRelay.closeSignal {
                            guard let closed = data.readInteger(as: UInt8.self), let id = streamOfChannel[closed] else { continue }
                            SPDYFrame.writeData(streamID: id, payload: ByteBuffer().readableBytesView, fin: true, into: &frame)
                        } else if let id = streamOfChannel[channel] {
                            SPDYFrame.writeData(streamID: id, payload: data.readableBytesView, fin: false, into: &frame)
                        } else {
                            continue
                        }
                        try await upstreamOutbound.write(frame)
                    }
                    // The client is gone: ending our side makes the runtime end the session.
                    upstreamOutbound.finish()
                }
                // The runtime closes the connection once the process has exited and its `Status` is on the error stream.
                reading: while true {
                    while let frame = SPDYFrame.decode(&received) {
                        switch frame {
                        case .data(let id, _, var payload):
                            guard payload.readableBytes > 0, let channel = channelOfStream[id] else { continue }
                            var message = ByteBuffer(integer: channel)
                            message.writeBuffer(&payload)
                            try await outbound.writeBinaryMessage(message)
                        case .control(SPDYFrame.ControlType.ping.rawValue, _, let payload):
                            var pong = ByteBuffer()
                            SPDYFrame.writeControl(.ping, payload: payload, into: &pong)
                            try await upstreamOutbound.write(pong)
                        case .control(SPDYFrame.ControlType.goAway.rawValue, _, _):
                            break reading
                        case .control:
                            // Replies, resets, settings and window updates: the session needs none of them.
                            continue
                        }
                    }
                    guard var more = try await upstream.next() else { break }
                    received.writeBuffer(&more)
                }
                group.cancelAll()
            }
        }
    }

    /// Connects to a CRI streaming URL, upgrades the connection to SPDY speaking `streamProtocol`, and runs `body`
    /// with the connection's incoming bytes, its writer and what already followed the upgrade response.
    static func withUpgradedConnection(
        url: String, streamProtocol: String,
        _ body: (inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, NIOAsyncChannelOutboundWriter<ByteBuffer>, inout ByteBuffer)
            async throws -> Void
    ) async throws {
        let endpoint = try Endpoint(url: url)
        let connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        try await connection.executeThenClose { upstreamInbound, upstreamOutbound in
            try await upstreamOutbound.write(ByteBuffer(string: endpoint.upgradeRequest(streamProtocol: streamProtocol)))
            var upstream = upstreamInbound.makeAsyncIterator()
            var received = try await upgradeResponse(&upstream)
            try await body(&upstream, upstreamOutbound, &received)
        }
    }

    /// Reads the HTTP response to the upgrade request; returns what followed it (the first SPDY frames).
    private static func upgradeResponse(_ upstream: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) async throws -> ByteBuffer {
        var received = ByteBuffer()
        let headEnd: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            let bytes = received.readableBytesView
            if let end = bytes.firstRange(of: headEnd) {
                let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
                received.moveReaderIndex(to: end.upperBound)
                let statusLine = head.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
                guard statusLine.split(separator: " ").dropFirst().first == "101" else {
                    // The streaming server explains a refusal (an expired URL, a stopped container) in its body.
                    while received.readableBytes < 4096, var more = try await upstream.next() { received.writeBuffer(&more) }
                    let body = String(buffer: received).split(whereSeparator: \.isNewline).joined(separator: " ")
                    throw Refused(
                        status: APIError(
                            code: 500, reason: "InternalError",
                            message: "the container runtime refused the stream: \(statusLine)\(body.isEmpty ? "" : ": \(body)")"
                        ).status)
                }
                return received
            }
            guard received.readableBytes < 16384, var more = try await upstream.next() else {
                throw Refused(
                    status: APIError(code: 502, reason: "BadGateway", message: "the container runtime closed the stream before answering").status)
            }
            received.writeBuffer(&more)
        }
    }

    /// A CRI streaming URL: the runtime's plain-HTTP server on the node (`http://127.0.0.1:PORT/exec/TOKEN`).
    struct Endpoint {
        var host: String
        var port: Int
        var path: String

        init(url: String) throws {
            guard url.hasPrefix("http://") else {
                throw Refused(
                    status: APIError(code: 500, reason: "InternalError", message: "unsupported container runtime streaming URL \(url)").status)
            }
            let rest = url.dropFirst("http://".count)
            let authority = rest.prefix { $0 != "/" }
            path = rest.count > authority.count ? String(rest.dropFirst(authority.count)) : "/"
            if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
                host = String(authority[authority.index(after: authority.startIndex)..<close])
                port = Int(authority[close...].dropFirst(2)) ?? 80
            } else if let colon = authority.lastIndex(of: ":") {
                host = String(authority[..<colon])
                port = Int(authority[authority.index(after: colon)...]) ?? 80
            } else {
                host = String(authority)
                port = 80
            }
        }

        /// As client-go's SPDY round tripper sends it.
        func upgradeRequest(streamProtocol: String) -> String {
            "POST \(path) HTTP/1.1\r\nHost: \(host.contains(":") ? "[\(host)]" : host):\(port)\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
                + "X-Stream-Protocol-Version: \(streamProtocol)\r\nContent-Length: 0\r\n\r\n"
        }
    }
}
