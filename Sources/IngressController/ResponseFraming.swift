import NIOCore
import NIOHTTP1

/// Finds where each HTTP/1.1 response a backend sends begins and ends (RFC 9112 6.3): its status line and the
/// headers that frame it, then its body by Content-Length, by chunks, or up to the connection's end. It decodes no
/// more than that, so that a response can be passed to the client as the bytes it came in; header values are only
/// read into strings when a client needs them (HTTP/2).
struct ResponseFraming {
    /// A response's head and what it says about the body and the connection.
    struct Head {
        var version: HTTPVersion
        var status: HTTPResponseStatus
        /// The head as the backend sent it, status line to blank line.
        var bytes: ByteBuffer
        var isChunked: Bool
        /// Whether the backend keeps the connection open for another request.
        var keepAlive: Bool
        /// Whether the body runs until the backend closes the connection (neither a length nor chunks).
        var endsAtClose: Bool
        /// Whether a hop-by-hop header other than `Connection: keep-alive` and Transfer-Encoding is present, which a
        /// proxy must not pass on (Transfer-Encoding stays true when the body is passed on as it came).
        var hasHopByHopHeaders: Bool

        /// The header lines, each as its bytes without the line end.
        func forEachHeaderLine(_ body: (UnsafeRawBufferPointer) -> Void) {
            bytes.withUnsafeReadableBytes { raw in
                var lines = LineIterator(bytes: raw)
                _ = lines.next()
                while let line = lines.next(), !line.isEmpty { body(line) }
            }
        }

        /// The status line's reason phrase as the backend wrote it.
        var reasonPhrase: ByteBuffer {
            let statusLineLength = bytes.withUnsafeReadableBytes { raw in
                var lines = LineIterator(bytes: raw)
                return lines.next()?.count ?? 0
            }
            guard statusLineLength > 13 else { return ByteBuffer() }
            return bytes.getSlice(at: bytes.readerIndex + 13, length: statusLineLength - 13) ?? ByteBuffer()
        }

        /// The headers for a client that needs them parsed (HTTP/2), hop-by-hop ones left out.
        var endToEndHeaders: HTTPHeaders {
            var headers = HTTPHeaders()
            forEachHeaderLine { line in
                guard let (name, value) = ResponseFraming.split(line), !ResponseFraming.isHopByHop(name) else { return }
                headers.add(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
            }
            return headers
        }
    }

    enum Event {
        case head(Head)
        /// Body bytes: as sent (chunk framing included) unless `decodesChunks`, then only the chunks' data.
        case body(ByteBuffer)
        case end
        /// Right after a `101 Switching Protocols`'s head: the bytes that followed it (maybe none), which belong to the
        /// new protocol. No event follows.
        case switched(ByteBuffer)
    }

    enum Failure: Error, CustomStringConvertible {
        case headTooLarge
        case malformed(String)

        var description: String {
            switch self {
            case .headTooLarge: "response head larger than \(ResponseFraming.maximumHeadSize) bytes"
            case .malformed(let what): "malformed response: \(what)"
            }
        }
    }

    static let maximumHeadSize = 64 * 1024

    private enum ChunkState {
        /// Reading a chunk-size line: the value so far, whether in its extension, whether its CR was seen.
        case size(value: Int, digits: Int, inExtension: Bool)
        case data(remaining: Int)
        /// The CRLF after a chunk's data.
        case dataEnd
        /// Trailer lines after the last chunk; `lineLength` counts the current line's bytes.
        case trailer(lineLength: Int)
    }

    private enum State {
        case awaitingHead
        case fixed(remaining: Int)
        case chunks(ChunkState)
        case untilClose
        /// The body is complete; `.end` is the next event.
        case ending
        /// A 101's head was read; `.switched` is the next event, and the last.
        case switching
        case switched
    }

    private var state = State.awaitingHead
    private var partialHead: ByteBuffer?
    private var method = HTTPMethod.GET
    /// Whether chunked bodies are passed on as their data only (to HTTP/1.0 and HTTP/2 clients).
    private var decodesChunks = false

    /// Prepares for the response to a request of `method`, which decides whether a body follows (not for HEAD).
    mutating func expectResponse(to method: HTTPMethod, decodesChunks: Bool) {
        self.method = method
        self.decodesChunks = decodesChunks
        state = .awaitingHead
        partialHead = nil
    }

    /// Whether the connection's end is the response's end rather than a failure.
    var endsAtClose: Bool {
        if case .untilClose = state { return true }
        return false
    }

    /// The next event in `input`, consuming the bytes it covers; nil when `input` holds no more of one.
    mutating func next(_ input: inout ByteBuffer) throws(Failure) -> Event? {
        switch state {
        case .awaitingHead:
            guard input.readableBytes > 0 else { return nil }
            return try readHead(&input)
        case .fixed(let remaining):
            guard input.readableBytes > 0 else { return nil }
            let count = min(remaining, input.readableBytes)
            let slice = input.readSlice(length: count) ?? ByteBuffer()
            state = count == remaining ? .ending : .fixed(remaining: remaining - count)
            return .body(slice)
        case .chunks(let chunkState):
            guard input.readableBytes > 0 else { return nil }
            return try readChunks(&input, from: chunkState)
        case .untilClose:
            guard input.readableBytes > 0 else { return nil }
            let all = input
            input.moveReaderIndex(to: input.writerIndex)
            return .body(all)
        case .ending:
            state = .awaitingHead
            return .end
        case .switching:
            state = .switched
            let all = input
            input.moveReaderIndex(to: input.writerIndex)
            return .switched(all)
        case .switched:
            return nil
        }
    }

    // MARK: head

    private mutating func readHead(_ input: inout ByteBuffer) throws(Failure) -> Event? {
        var source: ByteBuffer
        if var partial = partialHead {
            partial.writeImmutableBuffer(input)
            source = partial
        } else {
            source = input
        }
        guard let headLength = Self.headLength(in: source) else {
            guard source.readableBytes <= Self.maximumHeadSize else { throw .headTooLarge }
            partialHead = source
            input.moveReaderIndex(to: input.writerIndex)
            return nil
        }
        let bytes = source.readSlice(length: headLength) ?? ByteBuffer()
        input = source
        partialHead = nil
        let head = try parseHead(bytes)
        // The bytes that came after a 101's head are the new protocol's, delivered as `.switched`.
        if head.status == .switchingProtocols { state = .switching }
        return .head(head)
    }

    /// The length of the head at the start of `buffer` through its blank line, or nil when it has not all come.
    private static func headLength(in buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            var index = 0
            while let newline = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) {
                let next = newline + 1
                if next < bytes.count, bytes[next] == UInt8(ascii: "\n") { return next + 1 }
                if next + 1 < bytes.count, bytes[next] == UInt8(ascii: "\r"), bytes[next + 1] == UInt8(ascii: "\n") { return next + 2 }
                index = next
            }
            return nil
        }
    }

    /// What a head's status line and framing headers say.
    private struct HeadSummary {
        var version = HTTPVersion.http1_1
        var code = 0
        var contentLength: Int?
        var transferEncoding = false
        var isChunked = false
        var connectionClose = false
        var connectionKeepAlive = false
        var hasHopByHopHeaders = false
    }

    private mutating func parseHead(_ bytes: ByteBuffer) throws(Failure) -> Head {
        // Read in place: a head passed on as it came needs no header in a string or a buffer of its own.
        let summary = try bytes.withUnsafeReadableBytes { Self.summarize($0) }.get()
        let code = summary.code
        var endsAtClose = false
        if method == .HEAD || code < 200 || code == 204 || code == 304 {
            // 100 Continue and other informational answers come before the final one, with no body of their own.
            state = code < 200 ? .awaitingHead : .ending
        } else if summary.transferEncoding {
            // Chunked must be the last coding; any other leaves the body to run until the connection closes.
            if summary.isChunked {
                state = .chunks(.size(value: 0, digits: 0, inExtension: false))
            } else {
                state = .untilClose
                endsAtClose = true
            }
        } else if let contentLength = summary.contentLength {
            state = contentLength == 0 ? .ending : .fixed(remaining: contentLength)
        } else {
            state = .untilClose
            endsAtClose = true
        }
        let keepAlive = summary.version.minor >= 1 ? !summary.connectionClose : summary.connectionKeepAlive && !summary.connectionClose
        return Head(
            version: summary.version, status: HTTPResponseStatus(statusCode: code), bytes: bytes, isChunked: summary.isChunked,
            keepAlive: keepAlive && !endsAtClose, endsAtClose: endsAtClose, hasHopByHopHeaders: summary.hasHopByHopHeaders || summary.connectionClose)
    }

    private static func summarize(_ head: UnsafeRawBufferPointer) -> Result<HeadSummary, Failure> {
        var summary = HeadSummary()
        var lines = LineIterator(bytes: head)
        guard let statusLine = lines.next(), let (version, code) = parseStatusLine(statusLine) else { return .failure(.malformed("bad status line")) }
        summary.version = version
        summary.code = code
        while let line = lines.next(), !line.isEmpty {
            guard let (name, value) = split(line) else { return .failure(.malformed("header line without a colon")) }
            switch name.count {
            case 14 where equalsIgnoringCase(name, "content-length"):
                guard let length = decimal(value), summary.contentLength == nil || summary.contentLength == length else {
                    return .failure(.malformed("bad Content-Length"))
                }
                summary.contentLength = length
            case 17 where equalsIgnoringCase(name, "transfer-encoding"):
                summary.transferEncoding = true
                var last: UnsafeRawBufferPointer?
                forEachToken(of: value) { last = $0 }
                summary.isChunked = last.map { equalsIgnoringCase($0, "chunked") } ?? false
            case 10 where equalsIgnoringCase(name, "connection"):
                forEachToken(of: value) { token in
                    if equalsIgnoringCase(token, "close") {
                        summary.connectionClose = true
                    } else if equalsIgnoringCase(token, "keep-alive") {
                        summary.connectionKeepAlive = true
                    } else {
                        summary.hasHopByHopHeaders = true
                    }
                }
            default:
                if isHopByHop(name) { summary.hasHopByHopHeaders = true }
            }
        }
        return .success(summary)
    }

    /// "HTTP/1.1 200", then an optional reason phrase.
    private static func parseStatusLine(_ line: UnsafeRawBufferPointer) -> (HTTPVersion, Int)? {
        guard line.count >= 12, line.starts(with: "HTTP/1.".utf8), line[8] == UInt8(ascii: " ") else { return nil }
        guard line.count == 12 || line[12] == UInt8(ascii: " ") else { return nil }
        func digit(_ index: Int) -> Int? {
            let byte = line[index]
            return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
        }
        guard let minor = digit(7), let hundreds = digit(9), let tens = digit(10), let ones = digit(11) else { return nil }
        return (HTTPVersion(major: 1, minor: minor), hundreds * 100 + tens * 10 + ones)
    }

    // MARK: chunks

    private mutating func readChunks(_ input: inout ByteBuffer, from start: ChunkState) throws(Failure) -> Event? {
        var chunkState = start
        let unread = input
        var finished = false
        var dataSlice: ByteBuffer?
        scan: while input.readableBytes > 0, dataSlice == nil {
            switch chunkState {
            case .data(let remaining):
                let count = min(remaining, input.readableBytes)
                if decodesChunks {
                    dataSlice = input.readSlice(length: count)
                } else {
                    input.moveReaderIndex(forwardBy: count)
                }
                chunkState = count == remaining ? .dataEnd : .data(remaining: remaining - count)
            default:
                guard let byte = input.readInteger(as: UInt8.self) else { break scan }
                switch (chunkState, byte) {
                case (.size(let value, let digits, false), _) where Self.hexValue(byte) != nil:
                    guard digits < 15, let digit = Self.hexValue(byte) else { throw .malformed("chunk size too large") }
                    chunkState = .size(value: value * 16 + digit, digits: digits + 1, inExtension: false)
                case (.size(let value, let digits, _), UInt8(ascii: "\n")):
                    guard digits > 0 else { throw .malformed("chunk without a size") }
                    chunkState = value == 0 ? .trailer(lineLength: 0) : .data(remaining: value)
                case (.size(let value, let digits, _), _):
                    // A chunk extension (after ";"), whitespace or the CR before the line's end: skipped.
                    chunkState = .size(value: value, digits: digits, inExtension: true)
                case (.dataEnd, UInt8(ascii: "\r")):
                    break
                case (.dataEnd, UInt8(ascii: "\n")):
                    chunkState = .size(value: 0, digits: 0, inExtension: false)
                case (.dataEnd, _):
                    throw .malformed("chunk data longer than its size")
                case (.trailer(let length), UInt8(ascii: "\n")):
                    if length == 0 {
                        finished = true
                        break scan
                    }
                    chunkState = .trailer(lineLength: 0)
                case (.trailer(let length), UInt8(ascii: "\r")):
                    chunkState = .trailer(lineLength: length)
                case (.trailer(let length), _):
                    chunkState = .trailer(lineLength: length + 1)
                case (.data, _):
                    break
                }
            }
        }
        state = finished ? .ending : .chunks(chunkState)
        if decodesChunks {
            if let dataSlice { return .body(dataSlice) }
            return finished ? try next(&input) : nil
        }
        let consumed = unread.getSlice(at: unread.readerIndex, length: input.readerIndex - unread.readerIndex) ?? ByteBuffer()
        return consumed.readableBytes > 0 ? .body(consumed) : nil
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }

    // MARK: bytes

    /// The lines of a head, each without its LF or CRLF.
    struct LineIterator {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        mutating func next() -> UnsafeRawBufferPointer? {
            guard position < bytes.count else { return nil }
            let newline = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            var end = newline
            if end > position, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            defer { position = newline + 1 }
            return UnsafeRawBufferPointer(rebasing: bytes[position..<end])
        }
    }

    /// A header line's name and value, the value without surrounding whitespace.
    static func split(_ line: UnsafeRawBufferPointer) -> (name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return nil }
        return (UnsafeRawBufferPointer(rebasing: line[..<colon]), trimmed(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...])))
    }

    /// `value` without the spaces and tabs around it.
    static func trimmed(_ value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = value.count
        while start < end, value[start] == 32 || value[start] == 9 { start += 1 }
        while end > start, value[end - 1] == 32 || value[end - 1] == 9 { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: value[start..<end])
    }

    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        for index in 0..<bytes.count where asciiLowercase(bytes[index]) != expected[index] { return false }
        return true
    }

    /// RFC 9110 7.6.1's connection-specific headers, and Transfer-Encoding, which each hop frames for itself.
    static func isHopByHop(_ name: UnsafeRawBufferPointer) -> Bool {
        switch name.count {
        case 2: equalsIgnoringCase(name, "te")
        case 7: equalsIgnoringCase(name, "upgrade") || equalsIgnoringCase(name, "trailer")
        case 10: equalsIgnoringCase(name, "connection") || equalsIgnoringCase(name, "keep-alive")
        case 16: equalsIgnoringCase(name, "proxy-connection")
        case 17: equalsIgnoringCase(name, "transfer-encoding")
        default: false
        }
    }

    private static func decimal(_ value: UnsafeRawBufferPointer) -> Int? {
        guard value.count > 0, value.count <= 18 else { return nil }
        var result = 0
        for byte in value {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            result = result * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return result
    }

    private static func forEachToken(of value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        while start < value.count {
            let comma = value[start...].firstIndex(of: UInt8(ascii: ",")) ?? value.count
            let token = trimmed(UnsafeRawBufferPointer(rebasing: value[start..<comma]))
            if !token.isEmpty { body(token) }
            start = comma + 1
        }
    }
}

/// `byte` with an ASCII capital letter made small; header names compare this way against lowercase names.
@inline(__always)
func asciiLowercase(_ byte: UInt8) -> UInt8 {
    byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
}
