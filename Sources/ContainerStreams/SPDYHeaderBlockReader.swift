import CZlib
import NIOCore

/// Reads the header blocks a SPDY peer sends: one zlib stream per connection and direction, deflated with the
/// SPDY/3 dictionary, each block ending in a sync flush. kubectl compresses for real, so port-forward streams need a
/// real inflater (the system's zlib); what Skiff sends it writes stored (`SPDYHeaderBlockWriter`).
final class SPDYHeaderBlockReader {
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)

    init() throws {
        stream.initialize(to: z_stream())
        guard inflateInit_(stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Malformed(description: "zlib could not start an inflater")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// The name/value pairs of one block (names lowercase; several values of one name joined by NUL, as sent).
    func headers(_ block: ByteBuffer) throws -> [(name: String, value: String)] {
        var plain = try inflated(Array(block.readableBytesView))
        guard let count = plain.readInteger(as: UInt32.self) else { throw Malformed(description: "a SPDY header block without a count") }
        var headers: [(String, String)] = []
        for _ in 0..<count {
            guard let nameLength = plain.readInteger(as: UInt32.self), let name = plain.readString(length: Int(nameLength)),
                let valueLength = plain.readInteger(as: UInt32.self), let value = plain.readString(length: Int(valueLength))
            else { throw Malformed(description: "a SPDY header block ends inside a header") }
            headers.append((name, value))
        }
        return headers
    }

    private func inflated(_ input: [UInt8]) throws -> ByteBuffer {
        var output = ByteBuffer()
        var chunk = [UInt8](repeating: 0, count: 4096)
        var input = input
        try input.withUnsafeMutableBufferPointer { source in
            stream.pointee.next_in = source.baseAddress
            stream.pointee.avail_in = UInt32(source.count)
            while true {
                let produced = try chunk.withUnsafeMutableBufferPointer { target -> Int in
                    stream.pointee.next_out = target.baseAddress
                    stream.pointee.avail_out = UInt32(target.count)
                    var result = inflate(stream, Z_SYNC_FLUSH)
                    if result == Z_NEED_DICT {
                        result = Self.dictionary.withUnsafeBufferPointer { inflateSetDictionary(stream, $0.baseAddress, UInt32($0.count)) }
                        guard result == Z_OK else { throw Malformed(description: "a SPDY header block asks for another dictionary") }
                        result = inflate(stream, Z_SYNC_FLUSH)
                    }
                    guard result == Z_OK || result == Z_BUF_ERROR else {
                        throw Malformed(description: "a SPDY header block does not inflate (zlib error \(result))")
                    }
                    return target.count - Int(stream.pointee.avail_out)
                }
                output.writeBytes(chunk[0..<produced])
                // Done once all input is taken and the last round left room: nothing more is pending.
                if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { break }
            }
            stream.pointee.next_in = nil
        }
        return output
    }

    /// The preset dictionary of SPDY/3 header compression (draft 3, §2.6.10.1): these header names and values, each
    /// behind its 32-bit length, then the text after them.
    static let dictionary: [UInt8] = {
        let words = [
            "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding", "accept-language",
            "accept-ranges", "age", "allow", "authorization", "cache-control", "connection", "content-base", "content-encoding",
            "content-language", "content-length", "content-location", "content-md5", "content-range", "content-type", "date", "etag",
            "expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since",
            "last-modified", "location", "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
            "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
            "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive",
            "origin",
        ]
        let tail =
            "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
            + "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden"
            + "404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
            + "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
            + "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,"
            + "publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
        var bytes: [UInt8] = []
        for word in words {
            let length = UInt32(word.utf8.count)
            bytes += [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
            bytes += Array(word.utf8)
        }
        return bytes + Array(tail.utf8)
    }()
}
