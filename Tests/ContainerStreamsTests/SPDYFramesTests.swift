import Foundation
import NIOCore
import Testing

@testable import ContainerStreams

@Suite("SPDY frames for runtime streams")
struct SPDYFramesTests {
    /// The SPDY/3 name/value block as the peer reads it once inflated: counts and lengths as 32-bit big-endian.
    private func plainBlock(_ headers: [(String, String)]) -> [UInt8] {
        var bytes = ByteBuffer()
        bytes.writeInteger(UInt32(headers.count))
        for (name, value) in headers {
            bytes.writeInteger(UInt32(name.utf8.count))
            bytes.writeString(name)
            bytes.writeInteger(UInt32(value.utf8.count))
            bytes.writeString(value)
        }
        return Array(bytes.readableBytesView)
    }

    /// Inflates with Python's zlib (the system's libz), an inflater this code shares nothing with.
    private func inflate(_ stream: [UInt8]) throws -> [UInt8] {
        let script = "import sys, zlib; sys.stdout.buffer.write(zlib.decompressobj().decompress(sys.stdin.buffer.read()))"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(stream))
        try input.fileHandleForWriting.close()
        let inflated = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return Array(inflated)
    }

    @Test func headerBlocksOfAConnectionFormOneZlibStreamThatInflates() throws {
        var writer = SPDYHeaderBlockWriter()
        let first = writer.block([("streamtype", "error")])
        let second = writer.block([("streamtype", "stdin"), ("port", "8080")])
        let stream = Array(first.readableBytesView) + Array(second.readableBytesView)
        #expect(try inflate(stream) == plainBlock([("streamtype", "error")]) + plainBlock([("streamtype", "stdin"), ("port", "8080")]))
    }

    @Test func onlyTheFirstBlockCarriesTheZlibHeaderAndEachEndsWithASyncFlush() {
        var writer = SPDYHeaderBlockWriter()
        let first = Array(writer.block([("streamtype", "stdout")]).readableBytesView)
        let second = Array(writer.block([("streamtype", "stdout")]).readableBytesView)
        #expect(Array(first.prefix(2)) == SPDYHeaderBlockWriter.zlibHeader)
        #expect(first.count == second.count + 2)
        #expect(Array(second.suffix(5)) == [0x00, 0x00, 0x00, 0xff, 0xff])
        // A stored block: a zero header byte, then LEN and its ones' complement, little-endian.
        let length = plainBlock([("streamtype", "stdout")]).count
        #expect(Array(second.prefix(5)) == [0x00, UInt8(length & 0xff), UInt8(length >> 8), ~UInt8(length & 0xff), ~UInt8(length >> 8)])
    }

    @Test func aFrameIsDecodedOnlyOnceAllOfItHasArrived() {
        var wire = ByteBuffer()
        SPDYFrame.writeData(streamID: 5, payload: ByteBuffer(string: "hello").readableBytesView, fin: true, into: &wire)
        SPDYFrame.writeControl(.ping, payload: ByteBuffer(integer: UInt32(2)), into: &wire)
        let bytes = Array(wire.readableBytesView)
        #expect(Array(bytes.prefix(8)) == [0, 0, 0, 5, SPDYFrame.flagFin, 0, 0, 5])
        #expect(Array(bytes[13..<17]) == [0x80, 0x03, 0x00, 0x06])

        var partial = ByteBuffer(bytes: bytes.prefix(10))
        #expect(SPDYFrame.decode(&partial) == nil)
        #expect(partial.readableBytes == 10)

        var received = ByteBuffer(bytes: bytes)
        #expect(SPDYFrame.decode(&received) == .data(streamID: 5, flags: SPDYFrame.flagFin, payload: ByteBuffer(string: "hello")))
        #expect(SPDYFrame.decode(&received) == .control(type: SPDYFrame.ControlType.ping.rawValue, flags: 0, payload: ByteBuffer(integer: UInt32(2))))
        #expect(SPDYFrame.decode(&received) == nil)
        #expect(received.readableBytes == 0)
    }

    @Test func streamsFollowTheSessionsOptionsWithTheErrorStreamFirst() {
        let piped = RemoteCommandStreams(stdin: true, stdout: true, stderr: true, tty: false)
        #expect(piped.channels.map(\.type) == ["error", "stdin", "stdout", "stderr"])
        #expect(piped.channels.map(\.channel) == [3, 0, 1, 2])
        // A terminal merges stderr into stdout and adds the resize stream.
        let terminal = RemoteCommandStreams(stdin: true, stdout: true, stderr: true, tty: true)
        #expect(terminal.channels.map(\.type) == ["error", "stdin", "stdout", "resize"])
    }

    @Test func aRuntimeStreamingURLBecomesAnUpgradeRequest() throws {
        let endpoint = try RuntimeStreamSession.Endpoint(url: "http://127.0.0.1:39561/exec/Ab3dEf")
        #expect(endpoint.host == "127.0.0.1" && endpoint.port == 39561 && endpoint.path == "/exec/Ab3dEf")
        #expect(endpoint.upgradeRequest(streamProtocol: "v4.channel.k8s.io").hasPrefix("POST /exec/Ab3dEf HTTP/1.1\r\nHost: 127.0.0.1:39561\r\n"))
        let request = endpoint.upgradeRequest(streamProtocol: "v4.channel.k8s.io")
        #expect(request.contains("Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n") && request.hasSuffix("\r\n\r\n"))
        let six = try RuntimeStreamSession.Endpoint(url: "http://[::1]:10010/attach/x")
        #expect(six.host == "::1" && six.port == 10010 && six.path == "/attach/x")
        #expect(six.upgradeRequest(streamProtocol: "portforward.k8s.io").contains("Host: [::1]:10010\r\n"))
        #expect(throws: RuntimeStreamSession.Refused.self) { try RuntimeStreamSession.Endpoint(url: "https://127.0.0.1:1/exec/x") }
    }
}
