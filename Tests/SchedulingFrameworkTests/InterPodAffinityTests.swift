import APIMachinery
import Testing

@testable import SchedulingFramework

struct InterPodAffinityTests {
    private let hostname = "kubernetes.io/hostname"
    private let zone = "topology.kubernetes.io/zone"

    private func requiredAffinity(_ pod: TestPod, _ terms: [JSONValue]) -> TestPod {
        pod.affinity("podAffinity", "requiredDuringSchedulingIgnoredDuringExecution", .array(terms))
    }

    private func requiredAntiAffinity(_ pod: TestPod, _ terms: [JSONValue]) -> TestPod {
        pod.affinity("podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", .array(terms))
    }

    @Test func requiredAffinityNeedsAMatchingPodInTheDomain() {
        let cluster = snapshot(
            nodes: [TestNode("a1").zone("a"), TestNode("a2").zone("a"), TestNode("b1").zone("b")],
            pods: [TestPod("db").labels(["app": "db"]).node("a1")])
        let pod = requiredAffinity(TestPod("web").labels(["app": "web"]), [podAffinityTerm(["app": "db"], topologyKey: zone)])
        #expect(filterStatus(pod, node: "a2", in: cluster) == nil)
        #expect(
            filterStatus(pod, node: "b1", in: cluster)
                == FilterStatus(code: .unschedulableAndUnresolvable, reasons: ["node(s) didn't match pod affinity rules"], plugin: "InterPodAffinity"))
    }

    @Test func nodeWithoutTheTopologyKeyFailsAffinity() {
        let cluster = snapshot(nodes: [TestNode("bare")], pods: [TestPod("db").labels(["app": "db"]).node("bare")])
        let pod = requiredAffinity(TestPod("web"), [podAffinityTerm(["app": "db"], topologyKey: zone)])
        #expect(filterStatus(pod, node: "bare", in: cluster)?.reasons == ["node(s) didn't match pod affinity rules"])
    }

    /// The first pod of a group with affinity to itself may go anywhere; later ones must join it.
    @Test func firstPodOfASelfAffineGroupSchedules() {
        var cluster = snapshot(nodes: [TestNode("n1").zone("a"), TestNode("n2").zone("b")])
        let member = { (name: String) in
            self.requiredAffinity(TestPod(name).labels(["app": "cache"]), [podAffinityTerm(["app": "cache"], topologyKey: self.zone)])
        }
        guard let first = host(scheduleOutcome(member("c1"), in: cluster)) else {
            Issue.record("the first pod did not schedule")
            return
        }
        cluster.addPod(member("c1").info.bound(to: first))
        for index in 2...5 {
            #expect(host(scheduleOutcome(member("c\(index)"), in: cluster, seed: UInt64(index))) == first)
        }
        // A pod that does not match its own terms gets no such exemption.
        let outsider = requiredAffinity(TestPod("o").labels(["app": "other"]), [podAffinityTerm(["app": "ghost"], topologyKey: zone)])
        #expect(failure(scheduleOutcome(outsider, in: cluster))?.message == "0/2 nodes are available: 2 node(s) didn't match pod affinity rules.")
    }

    @Test func antiAffinityKeepsReplicasOnDifferentHosts() {
        var cluster = snapshot(nodes: [TestNode("n1"), TestNode("n2"), TestNode("n3")])
        var scheduler = GenericScheduler(random: SeededGenerator(seed: 3))
        var hosts: [String] = []
        for index in 0..<3 {
            let pod = requiredAntiAffinity(TestPod("r\(index)").labels(["app": "web"]), [podAffinityTerm(["app": "web"], topologyKey: hostname)])
            guard case .success(let result) = scheduler.schedule(pod.info, in: cluster) else {
                Issue.record("replica \(index) did not schedule")
                return
            }
            hosts.append(result.suggestedHost)
            cluster.addPod(pod.info.bound(to: result.suggestedHost))
        }
        #expect(Set(hosts).count == 3)
        let fourth = requiredAntiAffinity(TestPod("r3").labels(["app": "web"]), [podAffinityTerm(["app": "web"], topologyKey: hostname)])
        let error = failure(scheduler.schedule(fourth.info, in: cluster))
        // Each node fails the pod's own anti-affinity first.
        #expect(error?.message == "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.")
        #expect(error?.nodeStatuses["n1"]?.code == .unschedulable)
    }

    @Test func existingPodsAntiAffinityKeepsOthersAway() {
        let guardPod = requiredAntiAffinity(TestPod("loner").labels(["app": "loner"]), [podAffinityTerm(["app": "noisy"], topologyKey: zone)])
        let cluster = snapshot(nodes: [TestNode("a1").zone("a"), TestNode("a2").zone("a"), TestNode("b1").zone("b")], pods: [guardPod.node("a1")])
        let noisy = TestPod("n").labels(["app": "noisy"])
        #expect(
            filterStatus(noisy, node: "a2", in: cluster)
                == FilterStatus(code: .unschedulable, reasons: ["node(s) didn't satisfy existing pods anti-affinity rules"], plugin: "InterPodAffinity"))
        #expect(filterStatus(noisy, node: "b1", in: cluster) == nil)
        #expect(filterStatus(TestPod("quiet").labels(["app": "quiet"]), node: "a2", in: cluster) == nil)
    }

    @Test func namespacesOfTerms() {
        let cluster = snapshot(
            nodes: [TestNode("n1"), TestNode("n2")],
            pods: [TestPod("db", namespace: "data").labels(["app": "db"]).node("n1")])
        // Without namespaces the term looks in the pod's own namespace only.
        let sameNamespace = requiredAffinity(TestPod("web", namespace: "shop"), [podAffinityTerm(["app": "db"], topologyKey: hostname)])
        #expect(filterStatus(sameNamespace, node: "n1", in: cluster)?.reasons == ["node(s) didn't match pod affinity rules"])
        let named = requiredAffinity(
            TestPod("web", namespace: "shop"), [podAffinityTerm(["app": "db"], topologyKey: hostname, extra: ["namespaces": ["data"]])])
        #expect(filterStatus(named, node: "n1", in: cluster) == nil)
        let everywhere = requiredAffinity(
            TestPod("web", namespace: "shop"), [podAffinityTerm(["app": "db"], topologyKey: hostname, extra: ["namespaceSelector": [:]])])
        #expect(filterStatus(everywhere, node: "n1", in: cluster) == nil)
        #expect(filterStatus(everywhere, node: "n2", in: cluster) != nil)
    }

    @Test func namespaceSelectorUsesNamespaceLabels() {
        var cluster = snapshot(
            nodes: [TestNode("n1"), TestNode("n2")],
            pods: [TestPod("db", namespace: "data").labels(["app": "db"]).node("n1")])
        let pod = requiredAffinity(
            TestPod("web", namespace: "shop"),
            [podAffinityTerm(["app": "db"], topologyKey: hostname, extra: ["namespaceSelector": ["matchLabels": ["team": "storage"]]])])
        #expect(filterStatus(pod, node: "n1", in: cluster) != nil)
        cluster.upsertNamespace(["metadata": ["name": "data", "labels": ["team": "storage"]]])
        #expect(filterStatus(pod, node: "n1", in: cluster) == nil)
        // Unknown namespaces still carry the name label the API server sets.
        let byName = requiredAffinity(
            TestPod("web", namespace: "shop"),
            [podAffinityTerm(["app": "db"], topologyKey: hostname, extra: ["namespaceSelector": ["matchLabels": ["kubernetes.io/metadata.name": "data"]]])])
        cluster.removeNamespace(named: "data")
        #expect(filterStatus(byName, node: "n1", in: cluster) == nil)
    }

    @Test func preferredAffinityCoLocates() {
        let cluster = snapshot(
            nodes: [TestNode("n1"), TestNode("n2"), TestNode("n3")],
            pods: [TestPod("db").labels(["app": "db"]).requests(cpu: "1").node("n2")])
        let pod = TestPod("web").affinity(
            "podAffinity", "preferredDuringSchedulingIgnoredDuringExecution",
            [["weight": 100, "podAffinityTerm": podAffinityTerm(["app": "db"], topologyKey: hostname)]])
        for seed in 1...10 {
            #expect(host(scheduleOutcome(pod, in: cluster, seed: UInt64(seed))) == "n2")
        }
    }

    @Test func preferredAntiAffinitySpreads() {
        let cluster = snapshot(
            nodes: [TestNode("n1"), TestNode("n2")], pods: [TestPod("w0").labels(["app": "web"]).node("n1")])
        let pod = TestPod("w1").labels(["app": "web"]).affinity(
            "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution",
            [["weight": 100, "podAffinityTerm": podAffinityTerm(["app": "web"], topologyKey: hostname)]])
        for seed in 1...10 {
            #expect(host(scheduleOutcome(pod, in: cluster, seed: UInt64(seed))) == "n2")
        }
    }

    /// An existing pod's required affinity to the incoming pod pulls it closer (hardPodAffinityWeight).
    @Test func existingPodsRequiredAffinityAttracts() {
        let follower = requiredAffinity(TestPod("f").labels(["app": "follower"]), [podAffinityTerm(["app": "leader"], topologyKey: hostname)])
        let cluster = snapshot(nodes: [TestNode("n1"), TestNode("n2")], pods: [follower.node("n2")])
        let scoring = InterPodAffinity.Scoring(pod: TestPod("l").labels(["app": "leader"]).info, snapshot: cluster)
        #expect(scoring?.score(cluster.nodes[1]) == 1)
        #expect(scoring?.score(cluster.nodes[0]) == 0)
    }
}
