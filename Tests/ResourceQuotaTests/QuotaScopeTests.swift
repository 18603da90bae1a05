import APIMachinery
import Testing

@testable import ResourceQuota

/// Which quotas a pod falls under (`podMatchesScopeFunc`, `generic.Matches`).
struct QuotaScopeTests {
    static let bestEffort = Fixtures.webPod()
    static let burstable = Fixtures.webPod(requests: ["cpu": "100m"])
    static let withDeadline = Fixtures.pod("job", containers: [Fixtures.container("run")], spec: ["activeDeadlineSeconds": 60])
    static let highPriority = Fixtures.pod("hi", containers: [Fixtures.container("run")], spec: ["priorityClassName": "high"])
    static let crossNamespace = Fixtures.pod(
        "x", containers: [Fixtures.container("run")],
        spec: [
            "affinity": [
                "podAntiAffinity": [
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        ["weight": 1, "podAffinityTerm": ["topologyKey": "kubernetes.io/hostname", "namespaceSelector": [:]]]
                    ]
                ]
            ]
        ])

    static func term(_ scope: String, _ op: String, _ values: [String] = []) -> ScopeRequirement {
        ScopeRequirement(json: ["scopeName": .string(scope), "operator": .string(op), "values": .array(values.map { .string($0) })])
    }

    @Test(arguments: [
        (term("BestEffort", "Exists"), bestEffort, true),
        (term("BestEffort", "Exists"), burstable, false),
        (term("NotBestEffort", "Exists"), burstable, true),
        (term("NotBestEffort", "Exists"), bestEffort, false),
        (term("Terminating", "Exists"), withDeadline, true),
        (term("Terminating", "Exists"), bestEffort, false),
        (term("NotTerminating", "Exists"), bestEffort, true),
        (term("NotTerminating", "Exists"), withDeadline, false),
        (term("PriorityClass", "Exists"), highPriority, true),
        (term("PriorityClass", "Exists"), bestEffort, false),
        (term("PriorityClass", "In", ["high", "critical"]), highPriority, true),
        (term("PriorityClass", "In", ["low"]), highPriority, false),
        (term("PriorityClass", "In", ["low"]), bestEffort, false),
        (term("PriorityClass", "NotIn", ["low"]), highPriority, true),
        (term("PriorityClass", "NotIn", ["low"]), bestEffort, true),
        (term("PriorityClass", "NotIn", ["high"]), highPriority, false),
        (term("PriorityClass", "DoesNotExist"), bestEffort, true),
        (term("PriorityClass", "DoesNotExist"), highPriority, false),
        (term("CrossNamespacePodAffinity", "Exists"), crossNamespace, true),
        (term("CrossNamespacePodAffinity", "Exists"), bestEffort, false),
        (term("PriorityClass", "Matches", ["high"]), highPriority, false),
    ])
    func podScopes(term: ScopeRequirement, pod: JSONValue, matches: Bool) {
        #expect(PodEvaluator().matchesScope(term, pod) == matches)
    }

    @Test func aQualityOfServiceClassTheStatusReportsWins() {
        var pod = Self.burstable
        pod[path: "status", "qosClass"] = "BestEffort"
        #expect(PodResources.isBestEffort(pod))
        #expect(!PodResources.isBestEffort(Fixtures.webPod(limits: ["memory": "1Gi"])))
        #expect(PodResources.isBestEffort(Fixtures.webPod(requests: ["cpu": "0", "example.com/gpu": "1"])))
    }

    @Test func aQuotaAppliesWhenItLimitsWhatThePodUsesAndEveryScopeMatches() {
        let pods = PodEvaluator()
        let plain = ResourceQuotaObject(Fixtures.quota("q", hard: ["pods": "10"], used: ["pods": "0"]))
        #expect(pods.matches(plain, Self.bestEffort))
        let scoped = ResourceQuotaObject(
            Fixtures.quota(
                "q", hard: ["pods": "10"], used: ["pods": "0"], scopes: ["BestEffort"],
                scopeSelector: [["scopeName": "PriorityClass", "operator": "In", "values": ["high"]]]))
        #expect(!pods.matches(scoped, Self.bestEffort), "best effort, but of no priority class")
        #expect(pods.matches(scoped, Self.highPriority))
        let servicesOnly = ResourceQuotaObject(Fixtures.quota("q", hard: ["services": "1"], used: ["services": "0"]))
        #expect(!pods.matches(servicesOnly, Self.bestEffort))
        let unsynced = ResourceQuotaObject(Fixtures.quota("q", hard: ["pods": "10"], used: nil))
        #expect(!pods.matches(unsynced, Self.bestEffort), "status.hard decides, and the controller has not set it")
        let scopedForServices = ResourceQuotaObject(Fixtures.quota("q", hard: ["services": "1"], used: ["services": "0"], scopes: ["BestEffort"]))
        #expect(!ServiceEvaluator().matches(scopedForServices, Fixtures.service("s", type: "ClusterIP", ports: [])), "only pods have scopes")
    }
}
