import CZlib
import Foundation
import NIOCore
import Testing

@testable import ContainerStreams

@Suite("port-forward relay")
struct PortForwardRelayTests {
    /// Header blocks as Go's SPDY framer writes them: one zlib stream with the SPDY dictionary, a sync flush after each
    /// block (here by Python's zlib, which is the same library).
    private func deflatedBlocks(_ blocks: [[(String, String)]]) throws -> [[UInt8]] {
        let hex = SPDYHeaderBlockReader.dictionary.map { String(format: "%02x", $0) }.joined()
        let plain = blocks.map { headers in
            SPDYHeaderBlockWriter.nameValueBlock(headers).readableBytesView.map { String(format: "%02x", $0) }.joined()
        }
        let script = """
            import sys, zlib
            deflater = zlib.compressobj(9, zdict=bytes.fromhex(sys.argv[1]))
            for block in sys.argv[2:]:
                print((deflater.compress(bytes.fromhex(block)) + deflater.flush(zlib.Z_SYNC_FLUSH)).hex())
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, hex] + plain
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.split(separator: "\n").map { line in
            stride(from: 0, to: line.count, by: 2).map { offset in
                let start = line.index(line.startIndex, offsetBy: offset)
                return UInt8(line[start..<line.index(start, offsetBy: 2)], radix: 16)!
            }
        }
    }

    @Test func theDictionaryIsTheOneGoSPDYPeersName() {
        // Go's SPDY framer opens its header stream with this DICTID (seen in containerd's replies): the dictionary's Adler-32.
        let checksum = SPDYHeaderBlockReader.dictionary.withUnsafeBufferPointer { adler32(1, $0.baseAddress, UInt32($0.count)) }
        #expect(checksum == 0xe3c6_a7c2)
        #expect(SPDYHeaderBlockReader.dictionary.count == 1423)
    }

    @Test func blocksOfOneStreamInflateInTurn() throws {
        let blocks = try deflatedBlocks([
            [("streamtype", "error"), ("port", "8080"), ("requestid", "0")], [("streamtype", "data"), ("port", "8080"), ("requestid", "0")],
        ])
        let reader = try SPDYHeaderBlockReader()
        #expect(try reader.headers(ByteBuffer(bytes: blocks[0])).map { "\($0.name)=\($0.value)" } == ["streamtype=error", "port=8080", "requestid=0"])
        #expect(try reader.headers(ByteBuffer(bytes: blocks[1])).map { "\($0.name)=\($0.value)" } == ["streamtype=data", "port=8080", "requestid=0"])
        #expect(throws: SPDYHeaderBlockReader.Malformed.self) { try SPDYHeaderBlockReader().headers(ByteBuffer(bytes: [0x78, 0x9c, 0xff, 0xff])) }
    }

    @Test func aClientsStreamOpeningReachesTheNodeWithItsHeadersWrittenAnew() throws {
        let block = try deflatedBlocks([[("streamtype", "data"), ("port", "80"), ("requestid", "3")]])[0]
        var synStream = ByteBuffer(integer: UInt32(7))
        synStream.writeInteger(UInt32(0))
        synStream.writeInteger(UInt16(0))
        synStream.writeBytes(block)
        var writer = SPDYHeaderBlockWriter()
        var forwarded = try PortForwardRelay.fromClient(
            .control(type: SPDYFrame.ControlType.synStream.rawValue, flags: 0, payload: synStream), reading: try SPDYHeaderBlockReader(),
            writing: &writer)
        guard case .control(SPDYFrame.ControlType.synStream.rawValue, 0, var payload)? = SPDYFrame.decode(&forwarded) else {
            Issue.record("no SYN_STREAM")
            return
        }
        #expect(payload.readInteger(as: UInt32.self) == 7)
        payload.moveReaderIndex(forwardBy: 6)
        // The node inflates what the relay wrote, a stream of its own.
        #expect(try SPDYHeaderBlockReader().headers(payload).map { "\($0.name)=\($0.value)" } == ["streamtype=data", "port=80", "requestid=3"])

        // Data passes unchanged.
        var data = ByteBuffer()
        SPDYFrame.writeData(streamID: 7, payload: ByteBuffer(string: "GET /").readableBytesView, fin: true, into: &data)
        var copy = data
        let frame = SPDYFrame.decode(&copy)!
        #expect(try PortForwardRelay.fromClient(frame, reading: try SPDYHeaderBlockReader(), writing: &writer) == data)
    }

    @Test func theNodesRepliesAreAnsweredAnewAndItsOtherHeaderFramesDropped() {
        var writer = SPDYHeaderBlockWriter()
        var reply = ByteBuffer(integer: UInt32(5))
        reply.writeBytes([0x78, 0xf9, 0xe3, 0xc6, 0xa7, 0xc2, 0x62, 0x60])  // the node's own compressed block
        var forwarded = PortForwardRelay.fromNode(.control(type: SPDYFrame.ControlType.synReply.rawValue, flags: 0, payload: reply), writing: &writer)!
        guard case .control(SPDYFrame.ControlType.synReply.rawValue, 0, let payload)? = SPDYFrame.decode(&forwarded) else {
            Issue.record("no SYN_REPLY")
            return
        }
        var expected = ByteBuffer(integer: UInt32(5))
        var fresh = SPDYHeaderBlockWriter()
        expected.writeImmutableBuffer(fresh.block([]))
        #expect(payload == expected)
        #expect(PortForwardRelay.fromNode(.control(type: SPDYFrame.ControlType.headers.rawValue, flags: 0, payload: reply), writing: &writer) == nil)
        let reset = SPDYFrame.control(type: SPDYFrame.ControlType.rstStream.rawValue, flags: 0, payload: ByteBuffer(bytes: [0, 0, 0, 5, 0, 0, 0, 5]))
        var encoded = ByteBuffer()
        reset.write(into: &encoded)
        #expect(PortForwardRelay.fromNode(reset, writing: &writer) == encoded)
    }
}
