import NIOCore
import NIOHTTP1
import Testing

@testable import IngressController

/// Backend responses framed as RFC 9112 6.3 says, fed in pieces as a socket delivers them.
@Suite("response framing")
struct ResponseFramingTests {
    /// What the framing made of `pieces`: the heads' status codes, the body bytes joined, and how many ends.
    struct Result {
        var heads: [ResponseFraming.Head] = []
        var body = ""
        var ends = 0
        var switched = ""
        var switches = 0
    }

    static func frame(
        _ pieces: [String], method: HTTPMethod = .GET, decodesChunks: Bool = false, framing: inout ResponseFraming
    ) throws -> Result {
        framing.expectResponse(to: method, decodesChunks: decodesChunks)
        var result = Result()
        for piece in pieces {
            var input = ByteBuffer(string: piece)
            while let event = try framing.next(&input) {
                switch event {
                case .head(let head): result.heads.append(head)
                case .body(let bytes): result.body += String(buffer: bytes)
                case .end: result.ends += 1
                case .switched(let bytes):
                    result.switched += String(buffer: bytes)
                    result.switches += 1
                }
            }
        }
        return result
    }

    static func frame(_ pieces: [String], method: HTTPMethod = .GET, decodesChunks: Bool = false) throws -> Result {
        var framing = ResponseFraming()
        return try frame(pieces, method: method, decodesChunks: decodesChunks, framing: &framing)
    }

    @Test func aContentLengthBodyEndsAfterItsLengthEvenSplitAnywhere() throws {
        let response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world"
        for cut in 1..<response.utf8.count {
            let bytes = Array(response.utf8)
            let result = try Self.frame([String(decoding: bytes[..<cut], as: UTF8.self), String(decoding: bytes[cut...], as: UTF8.self)])
            #expect(result.heads.count == 1)
            #expect(result.body == "hello world", "cut at \(cut)")
            #expect(result.ends == 1)
        }
        let head = try #require(try Self.frame([response]).heads.first)
        #expect(head.status == .ok)
        #expect(head.keepAlive)
        #expect(!head.hasHopByHopHeaders)
        #expect(String(buffer: head.bytes) == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n")
    }

    @Test func chunksPassAsSentOrAsTheirDataAlone() throws {
        let pieces = ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "lo\r\n6;ext=1\r\n world\r\n0\r\n", "Trailer-Field: x\r\n\r\n"]
        let asSent = try Self.frame(pieces)
        #expect(asSent.body == "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer-Field: x\r\n\r\n")
        #expect(asSent.ends == 1)
        #expect(asSent.heads.first?.isChunked == true)
        #expect(asSent.heads.first?.hasHopByHopHeaders == false, "the chunks go on as they came, with their Transfer-Encoding")
        let decoded = try Self.frame(pieces, decodesChunks: true)
        #expect(decoded.body == "hello world")
        #expect(decoded.ends == 1)
    }

    @Test func responsesWithoutABodyEndAtTheirHead() throws {
        #expect(try Self.frame(["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"], method: .HEAD).ends == 1)
        #expect(try Self.frame(["HTTP/1.1 204 No Content\r\n\r\n"]).ends == 1)
        #expect(try Self.frame(["HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"]).ends == 1)
    }

    @Test func aBodyWithoutLengthRunsUntilTheConnectionCloses() throws {
        var framing = ResponseFraming()
        let result = try Self.frame(["HTTP/1.0 200 OK\r\n\r\nsome", " more"], framing: &framing)
        #expect(result.body == "some more")
        #expect(result.ends == 0)
        #expect(framing.endsAtClose)
        #expect(result.heads.first?.keepAlive == false)
    }

    @Test func continueComesBeforeTheFinalAnswer() throws {
        let result = try Self.frame(["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"])
        #expect(result.heads.map(\.status.code) == [100, 201])
        #expect(result.body == "ok")
        #expect(result.ends == 1)
    }

    @Test func bytesAfterASwitchBelongToTheNewProtocol() throws {
        let result = try Self.frame(["HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u{81}\u{02}hi"])
        #expect(result.heads.first?.status == .switchingProtocols)
        #expect(result.switched == "\u{81}\u{02}hi")
        #expect(result.ends == 0)
        let alone = try Self.frame(["HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "\u{81}\u{02}hi"])
        #expect(alone.switches == 1, "the switch is announced once, even with no bytes after the head")
        #expect(alone.switched == "", "what comes later is for the relay, not the framing")
    }

    @Test func connectionHeadersDecideReuseAndRewriting() throws {
        let closing = try #require(try Self.frame(["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"]).heads.first)
        #expect(!closing.keepAlive)
        #expect(closing.hasHopByHopHeaders)
        let old = try #require(try Self.frame(["HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"]).heads.first)
        #expect(old.keepAlive)
        let keepAlive = try #require(try Self.frame(["HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n"]).heads.first)
        #expect(keepAlive.hasHopByHopHeaders)
        #expect(Array(keepAlive.endToEndHeaders.map(\.name)) == ["Content-Length"])
    }

    @Test func oneConnectionCarriesResponseAfterResponse() throws {
        var framing = ResponseFraming()
        for body in ["first", "second"] {
            let result = try Self.frame(["HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\n\r\n\(body)"], framing: &framing)
            #expect(result.body == body)
            #expect(result.ends == 1)
        }
    }

    @Test func malformedResponsesAreRefused() {
        #expect(throws: ResponseFraming.Failure.self) { try Self.frame(["SSH-2.0-OpenSSH\r\n\r\n"]) }
        #expect(throws: ResponseFraming.Failure.self) { try Self.frame(["HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"]) }
        #expect(throws: ResponseFraming.Failure.self) { try Self.frame(["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"]) }
        #expect(throws: ResponseFraming.Failure.self) {
            try Self.frame(["HTTP/1.1 200 OK\r\n" + String(repeating: "X-Filler: 0123456789\r\n", count: 4000)])
        }
    }
}

/// The request head a backend gets.
@Suite("upstream request")
struct UpstreamRequestTests {
    @Test func hopByHopAndClientForwardingHeadersAreReplacedByTheProxysOwn() {
        let headers = HTTPHeaders([
            ("Host", "shop.example.com"), ("Connection", "keep-alive, X-Private"), ("X-Private", "secret"), ("Keep-Alive", "timeout=5"),
            ("X-Forwarded-For", "6.6.6.6"), ("Accept", "*/*"), ("Transfer-Encoding", "chunked"),
        ])
        let head = UpstreamRequest.head(
            method: .POST, path: "/api", query: "x=1", headers: headers, host: "shop.example.com",
            forwarding: .init(client: "10.0.0.7", port: 80, scheme: "http"), upgrade: nil, chunked: true,
            allocator: ByteBufferAllocator())
        #expect(
            String(buffer: head) == """
                POST /api?x=1 HTTP/1.1\r
                Host: shop.example.com\r
                Accept: */*\r
                transfer-encoding: chunked\r
                x-forwarded-host: shop.example.com\r
                x-real-ip: 10.0.0.7\r
                x-forwarded-for: 10.0.0.7\r
                x-forwarded-port: 80\r
                x-forwarded-proto: http\r
                x-forwarded-scheme: http\r
                x-scheme: http\r
                \r

                """)
        #expect(String(buffer: UpstreamRequest.chunk(ByteBuffer(string: String(repeating: "a", count: 26)), allocator: ByteBufferAllocator())).hasPrefix("1a\r\n"))
    }
}
