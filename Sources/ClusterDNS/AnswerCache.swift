import DNSWire
import NIOCore

/// The responses a listener sent for cluster names, by the exact query that asked (every byte after the id: flags,
/// question with its spelling, EDNS), reused while the cluster's records keep the generation they were computed
/// in. Any Service or EndpointSlice change empties it, so it never answers from an older state than the resolver
/// would; it only saves parsing, resolving and serialising a query asked before. One per event loop, unlocked.
struct AnswerCache {
    struct Entry {
        /// The response as sent, with the id of the query that first asked.
        let response: ByteBuffer
        let type: DNSRecordType?
        let rcode: DNSResponseCode
    }

    /// Enough for every name of a large cluster; past it the cache starts over rather than tracking use.
    static let capacity = 16384

    private var generation: UInt64 = 0
    private var entries: [ByteBuffer: Entry] = [:]

    /// The cached response to `query` with the query's id, when the records are still at the cached generation.
    mutating func response(to query: ByteBuffer, generation current: UInt64) -> (ByteBuffer, Entry)? {
        if current != generation {
            entries.removeAll(keepingCapacity: true)
            generation = current
            return nil
        }
        guard let id = query.getInteger(at: query.readerIndex, as: UInt16.self), let key = Self.key(of: query),
            let entry = entries[key]
        else { return nil }
        var response = entry.response
        response.setInteger(id, at: response.readerIndex)
        return (response, entry)
    }

    /// Keeps `response`, computed from records at `generation`, for later queries equal to `query` past the id.
    mutating func store(_ response: ByteBuffer, type: DNSRecordType?, rcode: DNSResponseCode, for query: ByteBuffer, generation computed: UInt64) {
        guard computed == generation, let key = Self.key(of: query) else { return }
        if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
        // The key is copied out of the receive buffer, which is reused for the next reads.
        entries[ByteBuffer(bytes: key.readableBytesView)] = Entry(response: response, type: type, rcode: rcode)
    }

    private static func key(of query: ByteBuffer) -> ByteBuffer? {
        guard query.readableBytes > 2 else { return nil }
        return query.getSlice(at: query.readerIndex + 2, length: query.readableBytes - 2)
    }
}
