import Testing

@testable import KubeHTTPClient

@Suite("Watch line splitter")
struct WatchLineSplitterTests {
    private func text(_ lines: [[UInt8]]) -> [String] {
        lines.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func splitsWholeLinesInOneChunk() throws {
        var splitter = WatchLineSplitter(maximumLineBytes: 100)
        #expect(text(try splitter.append(Array("{\"a\":1}\n{\"b\":2}\n".utf8))) == ["{\"a\":1}", "{\"b\":2}"])
        #expect(splitter.finish() == nil)
    }

    @Test func joinsLinesAcrossChunks() throws {
        var splitter = WatchLineSplitter(maximumLineBytes: 100)
        #expect(try splitter.append(Array("{\"type\":".utf8)).isEmpty)
        #expect(try splitter.append(Array("\"ADDED\"".utf8)).isEmpty)
        #expect(text(try splitter.append(Array("}\n{\"x\"".utf8))) == ["{\"type\":\"ADDED\"}"])
        #expect(text(try splitter.append(Array(":2}\n".utf8))) == ["{\"x\":2}"])
    }

    @Test func everyChunkBoundaryGivesTheSameLines() throws {
        let body = Array("{\"n\":1}\n\n{\"n\":22}\r\n{\"n\":333}\n".utf8)
        for cut in 0...body.count {
            var splitter = WatchLineSplitter(maximumLineBytes: 100)
            var lines = try splitter.append(body[..<cut])
            lines += try splitter.append(body[cut...])
            #expect(text(lines) == ["{\"n\":1}", "{\"n\":22}\r", "{\"n\":333}"], "cut at \(cut)")
        }
    }

    @Test func blankLinesAreSkipped() throws {
        var splitter = WatchLineSplitter(maximumLineBytes: 100)
        #expect(try splitter.append(Array("\n \n\r\n\t\n".utf8)).isEmpty)
    }

    @Test func lastLineWithoutNewlineComesFromFinish() throws {
        var splitter = WatchLineSplitter(maximumLineBytes: 100)
        #expect(try splitter.append(Array("{\"last\":true}".utf8)).isEmpty)
        #expect(splitter.finish().map { String(decoding: $0, as: UTF8.self) } == "{\"last\":true}")
        #expect(splitter.finish() == nil)
    }

    @Test func aLineLongerThanTheLimitIsRefused() throws {
        var splitter = WatchLineSplitter(maximumLineBytes: 8)
        #expect(try splitter.append(Array("12345678\n".utf8)).count == 1)
        #expect(try splitter.append(Array("1234".utf8)).isEmpty)
        #expect(throws: WatchLineSplitter.LineTooLong(limit: 8)) { try splitter.append(Array("56789".utf8)) }
    }

    @Test func aLongLineInsideOneChunkIsRefusedToo() {
        var splitter = WatchLineSplitter(maximumLineBytes: 4)
        #expect(throws: WatchLineSplitter.LineTooLong(limit: 4)) { try splitter.append(Array("123456\n".utf8)) }
    }
}
