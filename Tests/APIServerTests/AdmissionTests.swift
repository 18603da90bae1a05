import APIMachinery
import KubeObjects
import Testing

@testable import APIServer

@Suite("Priority admission")
struct PriorityAdmissionTests {
    static let high: JSONValue = ["metadata": ["name": "high"], "value": 1000, "preemptionPolicy": "Never"]
    static let everyday: JSONValue = ["metadata": ["name": "everyday"], "value": 100, "globalDefault": true, "preemptionPolicy": "PreemptLowerPriority"]

    static func pod(_ spec: JSONValue = .emptyObject) -> JSONValue {
        ["metadata": ["name": "web"], "spec": spec]
    }

    @Test func aNamedClassGivesPriorityAndPreemptionPolicy() throws {
        var pod = Self.pod(["priorityClassName": "high"])
        try PriorityAdmission.admitNewPod(&pod, named: Self.high, globalDefault: Self.everyday, admissionName: "web")
        #expect(pod[path: "spec", "priority"] == 1000)
        #expect(pod[path: "spec", "preemptionPolicy"] == "Never")
        #expect(pod[path: "spec", "priorityClassName"] == "high")
    }

    @Test func withoutAClassTheGlobalDefaultApplies() throws {
        var pod = Self.pod()
        try PriorityAdmission.admitNewPod(&pod, named: nil, globalDefault: Self.everyday, admissionName: "web")
        #expect(pod[path: "spec", "priorityClassName"] == "everyday")
        #expect(pod[path: "spec", "priority"] == 100)
    }

    @Test func withoutAnyClassThePriorityIsZero() throws {
        var pod = Self.pod()
        try PriorityAdmission.admitNewPod(&pod, named: nil, globalDefault: nil, admissionName: "web")
        #expect(pod[path: "spec", "priorityClassName"] == nil)
        #expect(pod[path: "spec", "priority"] == 0)
        #expect(pod[path: "spec", "preemptionPolicy"] == "PreemptLowerPriority")
    }

    @Test func anUnknownClassIsForbidden() {
        var pod = Self.pod(["priorityClassName": "nope"])
        let error = #expect(throws: APIError.self) {
            try PriorityAdmission.admitNewPod(&pod, named: nil, globalDefault: Self.everyday, admissionName: "web-")
        }
        #expect(error?.code == 403)
        #expect(error?.message == #"pods "web-" is forbidden: no PriorityClass with name nope was found"#)
    }

    @Test func valuesThatDisagreeWithTheClassAreForbidden() {
        var priority = Self.pod(["priorityClassName": "high", "priority": 7])
        let priorityError = #expect(throws: APIError.self) {
            try PriorityAdmission.admitNewPod(&priority, named: Self.high, globalDefault: nil, admissionName: "web")
        }
        #expect(
            priorityError?.message
                == #"pods "web" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name"#
        )
        var policy = Self.pod(["priorityClassName": "high", "priority": 1000, "preemptionPolicy": "PreemptLowerPriority"])
        let policyError = #expect(throws: APIError.self) {
            try PriorityAdmission.admitNewPod(&policy, named: Self.high, globalDefault: nil, admissionName: "web")
        }
        #expect(
            policyError?.message
                == #"pods "web" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name"#
        )
    }

    @Test func anUpdateKeepsTheResolvedPriorityWhenLeftOut() {
        let old = Self.pod(["priority": 1000, "preemptionPolicy": "Never", "priorityClassName": "high"])
        var replaced = Self.pod(["priorityClassName": "high"])
        PriorityAdmission.keepResolvedPriority(&replaced, old: old)
        #expect(replaced == old)
        // A changed value is left for update validation to refuse.
        var changed = Self.pod(["priority": 5])
        PriorityAdmission.keepResolvedPriority(&changed, old: old)
        #expect(changed[path: "spec", "priority"] == 5)
    }

    @Test func theLowestValuedGlobalDefaultWins() {
        var other = Self.everyday
        other[path: "metadata", "name"] = "cheap"
        other["value"] = 10
        #expect(PriorityAdmission.defaultClass(among: [Self.high, Self.everyday, other])?.metadata.name == "cheap")
        #expect(PriorityAdmission.defaultClass(among: [Self.high]) == nil)
    }

    @Test func onlyOneClassMayBeTheGlobalDefault() throws {
        var second = Self.high
        second["globalDefault"] = true
        let error = #expect(throws: APIError.self) {
            try PriorityAdmission.validateClass(second, isUpdate: false, existing: [Self.everyday, Self.high])
        }
        #expect(
            error?.message
                == #"priorityclasses.scheduling.k8s.io "high" is forbidden: PriorityClass everyday is already marked as default. Only one default can exist"#
        )
        #expect(throws: APIError.self) { try PriorityAdmission.validateClass(second, isUpdate: true, existing: [Self.everyday, Self.high]) }
        // The default may be updated, and a class that is not a default is never checked.
        try PriorityAdmission.validateClass(Self.everyday, isUpdate: true, existing: [Self.everyday])
        try PriorityAdmission.validateClass(Self.high, isUpdate: false, existing: [Self.everyday])
    }
}

@Suite("DefaultTolerationSeconds admission")
struct DefaultTolerationSecondsTests {
    static let notReady: JSONValue = [
        "key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300,
    ]
    static let unreachable: JSONValue = [
        "key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300,
    ]

    @Test func bothTolerationsAreAppendedInKubernetesOrder() {
        var pod: JSONValue = ["spec": ["containers": [["name": "c"]]]]
        DefaultTolerationSeconds.admit(&pod)
        #expect(pod[path: "spec", "tolerations"] == [Self.notReady, Self.unreachable])
    }

    @Test func anExistingTolerationForATaintIsKept() {
        let own: JSONValue = ["key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10]
        var pod: JSONValue = ["spec": ["tolerations": [own]]]
        DefaultTolerationSeconds.admit(&pod)
        #expect(pod[path: "spec", "tolerations"] == [own, Self.notReady])
    }

    @Test func emptyKeysAndEffectsMatchAnything() {
        let everything: JSONValue = ["operator": "Exists"]
        var pod: JSONValue = ["spec": ["tolerations": [everything]]]
        DefaultTolerationSeconds.admit(&pod)
        #expect(pod[path: "spec", "tolerations"] == [everything])

        #expect(DefaultTolerationSeconds.covers(["key": "node.kubernetes.io/not-ready"], taint: DefaultTolerationSeconds.notReadyTaint))
        #expect(!DefaultTolerationSeconds.covers(["key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"], taint: DefaultTolerationSeconds.notReadyTaint))
        #expect(!DefaultTolerationSeconds.covers(["key": "dedicated", "effect": "NoExecute"], taint: DefaultTolerationSeconds.unreachableTaint))
    }
}
