import APIMachinery
import DNSWire
import NIOCore
import Testing

@testable import ClusterDNS

/// Answers reused for repeated queries only while the cluster's records are unchanged, and the CoreDNS metrics
/// every query is counted in.
@Suite("cluster DNS answer cache and metrics")
struct AnswerCacheTests {
    static func query(_ name: String, id: UInt16) -> ByteBuffer {
        ByteBuffer(bytes: DNSMessage(id: id, recursionDesired: true, questions: [DNSQuestion(name: DNSName(name)!, type: .a)]).serialized())
    }

    @Test("a repeated query gets the stored response with its own id")
    func repeatedQuery() throws {
        var cache = AnswerCache()
        let first = Self.query("web.shop.svc.cluster.local", id: 7)
        #expect(cache.response(to: first, generation: 3) == nil)
        let response = DNSMessage(id: 7, isResponse: true, questions: [DNSQuestion(name: DNSName("web.shop.svc.cluster.local")!, type: .a)])
        cache.store(ByteBuffer(bytes: response.serialized()), type: .a, rcode: .noError, for: first, generation: 3)

        let hit = cache.response(to: Self.query("web.shop.svc.cluster.local", id: 4242), generation: 3)
        let (cached, entry) = try #require(hit)
        #expect(try DNSMessage(parsing: Array(cached.readableBytesView)).id == 4242)
        #expect(entry.type == .a && entry.rcode == .noError)
        // Another name, or the same name spelt differently (the question is echoed as asked), is not the same query.
        #expect(cache.response(to: Self.query("db.shop.svc.cluster.local", id: 1), generation: 3) == nil)
        #expect(cache.response(to: Self.query("WEB.shop.svc.cluster.local", id: 1), generation: 3) == nil)
    }

    @Test("a change to the records empties the cache, and an answer from an older state is not kept")
    func generationChange() {
        var cache = AnswerCache()
        let query = Self.query("web.shop.svc.cluster.local", id: 1)
        _ = cache.response(to: query, generation: 1)
        cache.store(ByteBuffer(bytes: [0, 1, 0x80, 0]), type: .a, rcode: .noError, for: query, generation: 1)
        #expect(cache.response(to: query, generation: 1) != nil)
        #expect(cache.response(to: query, generation: 2) == nil)
        cache.store(ByteBuffer(bytes: [0, 1, 0x80, 0]), type: .a, rcode: .noError, for: query, generation: 1)
        #expect(cache.response(to: query, generation: 2) == nil)
    }

    @Test("records move the generation only when what DNS answers changes")
    func recordsGeneration() {
        let records = ClusterRecords()
        let service: JSONValue = ["metadata": ["name": "web", "namespace": "shop"], "spec": ["clusterIP": "10.43.0.20", "clusterIPs": ["10.43.0.20"]]]
        let before = records.generation
        records.serviceChanged(service)
        let afterCreate = records.generation
        #expect(afterCreate > before)
        records.serviceChanged(service)
        #expect(records.generation == afterCreate)
        records.serviceChanged(service, deleted: true)
        #expect(records.generation > afterCreate)
    }

    @Test("durations fall into CoreDNS's doubling buckets, summed cumulatively in the exposition")
    func durationBuckets() {
        #expect(DNSMetrics.bucketIndex(0) == 0)
        #expect(DNSMetrics.bucketIndex(0.00025) == 0)
        #expect(DNSMetrics.bucketIndex(0.0003) == 1)
        #expect(DNSMetrics.bucketIndex(0.0005) == 1)
        #expect(DNSMetrics.bucketIndex(0.0011) == 3)
        #expect(DNSMetrics.bucketIndex(1000) == DNSMetrics.bucketBounds.count)

        let metrics = DNSMetrics()
        metrics.record(type: .a, rcode: .noError, transport: .udp, duration: .microseconds(100))
        metrics.record(type: .a, rcode: .nxDomain, transport: .udp, duration: .microseconds(600))
        metrics.record(type: DNSRecordType(rawValue: 99), rcode: .noError, transport: .tcp, duration: .seconds(100))
        let text = metrics.text
        #expect(text.contains(#"proto="udp",family="1",type="A"} 2"#))
        #expect(text.contains(#"proto="tcp",family="1",type="other"} 1"#))
        #expect(text.contains(#"rcode="NXDOMAIN",plugin=""} 1"#))
        #expect(text.contains(#"rcode="NOERROR",plugin=""} 2"#))
        #expect(text.contains(#"type="A",le="0.00025"} 1"#))
        #expect(text.contains(#"type="A",le="0.0005"} 1"#))
        #expect(text.contains(#"type="A",le="0.001"} 2"#))
        #expect(text.contains(#"type="other",le="8.192"} 0"#))
        #expect(text.contains(#"type="other",le="+Inf"} 1"#))
    }
}
