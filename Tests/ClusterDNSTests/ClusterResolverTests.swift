import APIMachinery
import DNSWire
import Testing

@testable import ClusterDNS

/// The cluster DNS's answers, as the Kubernetes DNS specification and CoreDNS's kubernetes plugin give them, from
/// Services and EndpointSlices fed in as the informers would.
@Suite("cluster DNS resolver")
struct ClusterResolverTests {
    static func service(_ name: String, _ spec: JSONValue, namespace: String = "shop") -> JSONValue {
        ["metadata": ["name": .string(name), "namespace": .string(namespace)], "spec": spec]
    }

    static func slice(_ service: String, _ endpoints: [JSONValue], namespace: String = "shop") -> JSONValue {
        [
            "metadata": ["name": .string("\(service)-x1"), "namespace": .string(namespace), "labels": ["kubernetes.io/service-name": .string(service)]],
            "addressType": "IPv4", "endpoints": .array(endpoints),
        ]
    }

    let records = ClusterRecords()
    let resolver: ClusterResolver

    init() {
        resolver = ClusterResolver(zone: DNSName("cluster.local")!, records: records, nameserverAddress: IPv4Address("10.43.0.10"))
        records.serviceChanged(
            Self.service("web", ["clusterIP": "10.43.0.20", "clusterIPs": ["10.43.0.20"], "ports": [["name": "http", "port": 80, "protocol": "TCP"], ["port": 81]]]))
        records.serviceChanged(
            Self.service("db", ["clusterIP": "None", "ports": [["name": "pg", "port": 5432, "protocol": "TCP"]]]))
        records.sliceChanged(
            Self.slice("db", [
                ["addresses": ["10.42.0.5"], "hostname": "db-0", "conditions": ["ready": true]],
                ["addresses": ["10.42.0.6"], "conditions": ["ready": true]],
                ["addresses": ["10.42.0.7"], "hostname": "db-2", "conditions": ["ready": false]],
            ]))
        records.serviceChanged(Self.service("idle", ["clusterIP": "None", "ports": [["name": "x", "port": 1]]]))
        records.serviceChanged(Self.service("search", ["type": "ExternalName", "externalName": "search.example.com"]))
        records.serviceChanged(Self.service("alias", ["type": "ExternalName", "externalName": "web.shop.svc.cluster.local"]))
    }

    func ask(_ name: String, _ type: DNSRecordType = .a) -> ClusterResolver.Resolution {
        resolver.resolve(DNSMessage(id: 7, recursionDesired: true, questions: [DNSQuestion(name: DNSName(name)!, type: type)]))
    }

    func answer(_ name: String, _ type: DNSRecordType = .a) -> DNSMessage {
        guard case .answer(let response) = ask(name, type) else {
            Issue.record("\(name) was not answered here")
            return DNSMessage()
        }
        return response
    }

    @Test func aClusterIPServiceHasAnARecordWhateverTheCaseOfTheQuestion() {
        let response = answer("WEB.Shop.svc.Cluster.Local.")
        #expect(response.id == 7 && response.isResponse && response.isAuthoritative && response.recursionAvailable)
        #expect(response.rcode == .noError)
        #expect(response.answers == [DNSResourceRecord(name: DNSName("WEB.Shop.svc.Cluster.Local.")!, ttl: 5, data: .a(IPv4Address("10.43.0.20")!))])
        #expect(response.answers.first?.name.description == "WEB.Shop.svc.Cluster.Local.", "the question's spelling is echoed")
    }

    @Test func aNameWithoutTheTypeIsNODATAAndAMissingOneNXDOMAINBothWithTheSOA() {
        let noData = answer("web.shop.svc.cluster.local", .aaaa)
        #expect(noData.rcode == .noError && noData.answers.isEmpty && noData.authorities.map(\.type) == [.soa])
        let missing = answer("nope.shop.svc.cluster.local")
        #expect(missing.rcode == .nxDomain && missing.authorities.map(\.type) == [.soa])
        #expect(missing.authorities.first?.ttl == 5)
        #expect(answer("shop.svc.cluster.local").rcode == .noError, "a namespace with Services exists")
        #expect(answer("empty.svc.cluster.local").rcode == .nxDomain)
        #expect(answer("web.shop.cluster.local").rcode == .nxDomain)
    }

    @Test func aHeadlessServiceAnswersItsReadyEndpointsAndEachHostname() {
        let all = answer("db.shop.svc.cluster.local")
        #expect(all.answers.map(\.data) == [.a(IPv4Address("10.42.0.5")!), .a(IPv4Address("10.42.0.6")!)], "not-ready endpoints are left out")
        #expect(answer("db-0.db.shop.svc.cluster.local").answers.map(\.data) == [.a(IPv4Address("10.42.0.5")!)])
        #expect(answer("10-42-0-6.db.shop.svc.cluster.local").answers.map(\.data) == [.a(IPv4Address("10.42.0.6")!)])
        #expect(answer("db-2.db.shop.svc.cluster.local").rcode == .nxDomain)
        #expect(answer("idle.shop.svc.cluster.local").rcode == .nxDomain, "a headless Service without ready endpoints")

        records.serviceChanged(
            Self.service("db", ["clusterIP": "None", "publishNotReadyAddresses": true, "ports": [["name": "pg", "port": 5432, "protocol": "TCP"]]]))
        #expect(answer("db-2.db.shop.svc.cluster.local").answers.map(\.data) == [.a(IPv4Address("10.42.0.7")!)])
    }

    @Test func namedPortsHaveSRVRecordsWithTheirTargetsAddresses() {
        let clusterIP = answer("_http._tcp.web.shop.svc.cluster.local", .srv)
        let target = DNSName("web.shop.svc.cluster.local.")!
        #expect(clusterIP.answers.map(\.data) == [.srv(priority: 0, weight: 100, port: 80, target: target)])
        #expect(clusterIP.additionals == [DNSResourceRecord(name: target, ttl: 5, data: .a(IPv4Address("10.43.0.20")!))])
        #expect(answer("_http._udp.web.shop.svc.cluster.local", .srv).rcode == .nxDomain)

        let headless = answer("_pg._tcp.db.shop.svc.cluster.local", .srv)
        #expect(Set(headless.answers.map(\.data)) == [
            .srv(priority: 0, weight: 50, port: 5432, target: DNSName("db-0.db.shop.svc.cluster.local.")!),
            .srv(priority: 0, weight: 50, port: 5432, target: DNSName("10-42-0-6.db.shop.svc.cluster.local.")!),
        ])
        #expect(headless.additionals.count == 2)
    }

    @Test func externalNamesAreCNAMEsFollowedInsideTheClusterAndOutsideByTheUpstreams() {
        guard case .chase(let partial, let next) = ask("search.shop.svc.cluster.local") else {
            Issue.record("an outside CNAME target is left to the upstreams")
            return
        }
        #expect(partial.answers.map(\.data) == [.cname(DNSName("search.example.com")!)])
        #expect(next == DNSQuestion(name: DNSName("search.example.com")!, type: .a))
        let inside = answer("alias.shop.svc.cluster.local")
        #expect(inside.answers.map(\.data) == [.cname(DNSName("web.shop.svc.cluster.local")!), .a(IPv4Address("10.43.0.20")!)])
        #expect(answer("search.shop.svc.cluster.local", .cname).answers.count == 1)
    }

    @Test func reverseNamesOfClusterIPsAndEndpointsAreAnswered() {
        #expect(answer("20.0.43.10.in-addr.arpa", .ptr).answers.map(\.data) == [.ptr(DNSName("web.shop.svc.cluster.local")!)])
        #expect(answer("5.0.42.10.in-addr.arpa", .ptr).answers.map(\.data) == [.ptr(DNSName("db-0.db.shop.svc.cluster.local")!)])
        guard case .forward = ask("1.2.0.192.in-addr.arpa", .ptr) else {
            Issue.record("an address the cluster does not name goes upstream")
            return
        }
    }

    @Test func theSchemaVersionPodAddressesAndTheNameserver() {
        #expect(answer("dns-version.cluster.local", .txt).answers.map(\.data) == [.txt(["1.1.0"])])
        #expect(answer("10-42-0-9.shop.pod.cluster.local").answers.map(\.data) == [.a(IPv4Address("10.42.0.9")!)])
        #expect(answer("ns.dns.cluster.local").answers.map(\.data) == [.a(IPv4Address("10.43.0.10")!)])
        #expect(answer("cluster.local", .soa).answers.map(\.type) == [.soa])
    }

    @Test func namesOutsideTheClusterAreForwardedAndDeletedServicesStopResolving() {
        guard case .forward = ask("example.com") else {
            Issue.record("an outside name goes upstream")
            return
        }
        records.serviceChanged(Self.service("web", [:]), deleted: true)
        #expect(answer("web.shop.svc.cluster.local").rcode == .nxDomain)
        guard case .forward = ask("20.0.43.10.in-addr.arpa", .ptr) else {
            Issue.record("the deleted Service's address has no name left")
            return
        }
    }

    @Test func aQueryWithTwoQuestionsOrAnotherOpcodeIsRefusedPolitely() {
        let question = DNSQuestion(name: DNSName("web.shop.svc.cluster.local")!, type: .a)
        guard case .answer(let two) = resolver.resolve(DNSMessage(id: 1, questions: [question, question])) else { return }
        #expect(two.rcode == .formatError)
        guard case .answer(let notify) = resolver.resolve(DNSMessage(id: 2, opcode: 4, questions: [question])) else { return }
        #expect(notify.rcode == .notImplemented)
    }
}
