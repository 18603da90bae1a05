import NIOCore
import NIOHTTP1

/// The head of a request as sent to a backend, written straight into bytes: the client's method, the rewritten
/// target, the client's end-to-end headers, and the forwarding headers ingress-nginx sets (set by the proxy, not
/// trusted from the client).
enum UpstreamRequest {
    /// The forwarding headers that report the client and the entry it came in by, the same for every request of a
    /// connection and so written once.
    struct Forwarding {
        let lines: ByteBuffer

        init(client: String, port: Int, scheme: String) {
            var lines = ByteBuffer()
            for (name, value) in [
                ("x-real-ip", client), ("x-forwarded-for", client), ("x-forwarded-port", String(port)), ("x-forwarded-proto", scheme),
                ("x-forwarded-scheme", scheme), ("x-scheme", scheme),
            ] {
                lines.writeString("\(name): \(value)\r\n")
            }
            self.lines = lines
        }
    }

    /// The request line (the target being the rewritten path and the query) and headers through the blank line, for a
    /// request to `host` (the Host header's, or the one
    /// an absolute URI named). `upgrade` is the protocol asked for when the request is an `Upgrade` passed on;
    /// `chunked` frames the body in chunks, for a body of unknown length.
    static func head(
        method: HTTPMethod, path: Substring, query: Substring?, headers: HTTPHeaders, host: String, forwarding: Forwarding, upgrade: String?, chunked: Bool,
        allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 512)
        buffer.writeString(method.rawValue)
        buffer.writeStaticString(" ")
        buffer.writeSubstring(path)
        if let query {
            buffer.writeStaticString("?")
            buffer.writeSubstring(query)
        }
        buffer.writeStaticString(" HTTP/1.1\r\n")
        let namedByConnection = connectionNamedHeaders(headers)
        var hasHost = false
        for (name, value) in headers {
            if isSetByProxy(name) || namedByConnection.contains(where: { equalsIgnoringCase(name, $0) }) { continue }
            if !hasHost, equalsIgnoringCase(name, "host") { hasHost = true }
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        func add(_ name: StaticString, _ value: String) {
            buffer.writeStaticString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        if !hasHost { add("host", host) }
        if let upgrade {
            add("connection", "upgrade")
            add("upgrade", upgrade)
        }
        if chunked { add("transfer-encoding", "chunked") }
        add("x-forwarded-host", headers.first(name: "host") ?? host)
        buffer.writeImmutableBuffer(forwarding.lines)
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// A body part framed as one chunk (a chunk of no bytes would end the body, so none is written for it).
    static func chunk(_ data: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: data.readableBytes + 20)
        buffer.writeString(String(data.readableBytes, radix: 16))
        buffer.writeStaticString("\r\n")
        buffer.writeImmutableBuffer(data)
        buffer.writeStaticString("\r\n")
        return buffer
    }

    static let lastChunk = ByteBuffer(string: "0\r\n\r\n")

    /// Headers the proxy drops: RFC 9110 7.6.1's connection-specific ones, Transfer-Encoding (each hop frames its own
    /// body), and the forwarding headers it sets itself.
    private static func isSetByProxy(_ name: String) -> Bool {
        switch name.utf8.count {
        case 2: equalsIgnoringCase(name, "te")
        case 7: equalsIgnoringCase(name, "upgrade") || equalsIgnoringCase(name, "trailer")
        case 8: equalsIgnoringCase(name, "x-scheme")
        case 9: equalsIgnoringCase(name, "x-real-ip")
        case 10: equalsIgnoringCase(name, "connection") || equalsIgnoringCase(name, "keep-alive")
        case 15: equalsIgnoringCase(name, "x-forwarded-for")
        case 16: equalsIgnoringCase(name, "proxy-connection") || equalsIgnoringCase(name, "x-forwarded-host") || equalsIgnoringCase(name, "x-forwarded-port")
        case 17: equalsIgnoringCase(name, "transfer-encoding") || equalsIgnoringCase(name, "x-forwarded-proto")
        case 18: equalsIgnoringCase(name, "x-forwarded-scheme")
        default: false
        }
    }

    /// The header names a Connection header lists besides its plain values (keep-alive, close, upgrade): those
    /// headers are for this hop only. Nearly always none, and then nothing is allocated.
    private static func connectionNamedHeaders(_ headers: HTTPHeaders) -> [String] {
        var names: [String] = []
        for (name, value) in headers where equalsIgnoringCase(name, "connection") {
            for token in value.split(separator: ",") {
                let trimmed = token.trimmingCharacters(in: " \t").lowercased()
                if !trimmed.isEmpty, !["keep-alive", "close", "upgrade"].contains(trimmed) { names.append(trimmed) }
            }
        }
        return names
    }

    static func equalsIgnoringCase(_ name: String, _ lowercase: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        return equalsIgnoringCase(name, expected)
    }

    static func equalsIgnoringCase(_ name: String, _ lowercase: String) -> Bool {
        var lowercase = lowercase
        return lowercase.withUTF8 { equalsIgnoringCase(name, $0) }
    }

    private static func equalsIgnoringCase(_ name: String, _ expected: UnsafeBufferPointer<UInt8>) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            guard bytes.count == expected.count else { return false }
            for index in 0..<bytes.count where asciiLowercase(bytes[index]) != expected[index] { return false }
            return true
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in characters: String) -> Substring {
        var result = self
        while let first = result.first, characters.contains(first) { result = result.dropFirst() }
        while let last = result.last, characters.contains(last) { result = result.dropLast() }
        return result
    }
}
