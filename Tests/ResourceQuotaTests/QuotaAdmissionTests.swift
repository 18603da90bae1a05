import APIMachinery
import Testing

@testable import ResourceQuota

/// Quota admission's verdicts and messages (`resourcequota.CheckRequest`).
struct QuotaAdmissionTests {
    typealias F = Fixtures

    enum Outcome: Sendable, CustomStringConvertible {
        /// The new `status.used` of each quota the write is charged to, by quota name.
        case charged([String: JSONValue])
        case refused(String)

        var description: String {
            switch self {
            case .charged(let used): "charged \(used)"
            case .refused(let message): "refused: \(message)"
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var object: JSONValue
        var old: JSONValue? = nil
        var resource = GroupResource(group: "", resource: "pods")
        var subresource = ""
        var operation = QuotaOperation.create
        var quotas: [JSONValue]
        var outcome: Outcome

        var testDescription: String { name }
    }

    static let pods = GroupResource(group: "", resource: "pods")
    static let services = GroupResource(group: "", resource: "services")
    static let claims = GroupResource(group: "", resource: "persistentvolumeclaims")
    static let compute: JSONValue = ["requests.cpu": "2", "limits.cpu": "4", "pods": "10"]

    static let cases: [Case] = [
        Case(
            name: "a pod that fits is charged to the quota",
            object: F.webPod(requests: ["cpu": "1"], limits: ["cpu": "2"]),
            quotas: [F.quota("compute-resources", hard: compute, used: ["requests.cpu": "500m", "limits.cpu": "1", "pods": "1"])],
            outcome: .charged(["compute-resources": ["requests.cpu": "1500m", "limits.cpu": "3", "pods": "2"]])),
        Case(
            name: "a pod that does not fit is refused with what it asked, what is used and the limit",
            object: F.webPod(requests: ["cpu": "1"], limits: ["cpu": "2"]),
            quotas: [
                F.quota(
                    "compute-resources", hard: ["requests.cpu": "1500m", "limits.cpu": "4", "pods": "10"],
                    used: ["requests.cpu": "1", "limits.cpu": "3", "pods": "1"])
            ],
            outcome: .refused(
                "exceeded quota: compute-resources, requested: limits.cpu=2,requests.cpu=1, used: limits.cpu=3,requests.cpu=1, limited: limits.cpu=4,requests.cpu=1500m"
            )),
        Case(
            name: "under a quota on cpu or memory every container must set it",
            object: F.pod(
                "web",
                containers: [F.container("web", requests: ["cpu": "1"]), F.container("log", limits: ["cpu": "1", "memory": "1Gi"])],
                initContainers: [F.container("setup")]),
            quotas: [F.quota("compute-resources", hard: ["limits.cpu": "4", "requests.memory": "1Gi"], used: ["limits.cpu": "0", "requests.memory": "0"])],
            outcome: .refused("failed quota: compute-resources: must specify limits.cpu for: setup,web; requests.memory for: log,setup,web")),
        Case(
            name: "a quota whose usage the controller has not counted yet refuses",
            object: F.webPod(requests: ["cpu": "1"]),
            quotas: [F.quota("compute", hard: ["pods": "2", "requests.cpu": "1"], used: ["pods": "0"])],
            outcome: .refused("status unknown for quota: compute, resources: pods,requests.cpu")),
        Case(
            name: "a quota the controller has not synced does not apply",
            object: F.webPod(requests: ["cpu": "1"]),
            quotas: [F.quota("compute", hard: ["pods": "0"], used: nil)],
            outcome: .charged([:])),
        Case(
            name: "only the quotas whose scopes match are charged",
            object: F.webPod(),
            quotas: [
                F.quota("best-effort", hard: ["pods": "5"], used: ["pods": "1"], scopes: ["BestEffort"]),
                F.quota("not-best-effort", hard: ["pods": "0"], used: ["pods": "0"], scopes: ["NotBestEffort"]),
                F.quota("all", hard: ["count/pods": "9"], used: ["count/pods": "4"]),
            ],
            outcome: .charged(["best-effort": ["pods": "2"], "all": ["count/pods": "5"]])),
        Case(
            name: "a pod update other than a resize is never charged",
            object: F.webPod(requests: ["cpu": "9"]), old: F.webPod(requests: ["cpu": "9"]), operation: .update,
            quotas: [F.quota("compute", hard: ["requests.cpu": "1"], used: ["requests.cpu": "1"])],
            outcome: .charged([:])),
        Case(
            name: "a resize is charged what it adds",
            object: F.webPod(requests: ["cpu": "1500m"]), old: F.webPod(requests: ["cpu": "1"]), subresource: "resize", operation: .update,
            quotas: [F.quota("compute", hard: ["requests.cpu": "2"], used: ["requests.cpu": "1"])],
            outcome: .charged(["compute": ["requests.cpu": "1500m"]])),
        Case(
            name: "a pod asking for a negative amount is refused",
            object: F.webPod(requests: ["cpu": "-1"]),
            quotas: [F.quota("objects", hard: ["count/configmaps": "1"], used: ["count/configmaps": "0"])],
            outcome: .refused("quota usage is negative for resource(s): cpu,requests.cpu")),
        Case(
            name: "a service turned NodePort is charged its node ports",
            object: F.service("web", type: "NodePort", ports: [["port": 80], ["port": 443]]),
            old: F.service("web", type: "ClusterIP", ports: [["port": 80], ["port": 443]]).settingResourceVersion("4"),
            resource: services, operation: .update,
            quotas: [F.quota("ports", hard: ["services.nodeports": "1", "services": "5"], used: ["services.nodeports": "0", "services": "1"])],
            outcome: .refused("exceeded quota: ports, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1")),
        Case(
            name: "a claim that grows is charged the growth",
            object: F.claim("data", storage: "8Gi", className: "gold"), old: F.claim("data", storage: "5Gi", className: "gold"),
            resource: claims, operation: .update,
            quotas: [
                F.quota(
                    "storage", hard: ["requests.storage": "10Gi", "gold.storageclass.storage.k8s.io/requests.storage": "20Gi"],
                    used: ["requests.storage": "5Gi", "gold.storageclass.storage.k8s.io/requests.storage": "5Gi"])
            ],
            outcome: .charged(["storage": ["requests.storage": "8Gi", "gold.storageclass.storage.k8s.io/requests.storage": "8Gi"]])),
        Case(
            name: "a claim that grows past the quota is refused",
            object: F.claim("data", storage: "8Gi"), old: F.claim("data", storage: "5Gi"), resource: claims, operation: .update,
            quotas: [F.quota("storage", hard: ["requests.storage": "7Gi"], used: ["requests.storage": "5Gi"])],
            outcome: .refused("exceeded quota: storage, requested: requests.storage=3Gi, used: requests.storage=5Gi, limited: requests.storage=7Gi")),
        Case(
            name: "an update whose old object was never stored is charged in full",
            object: F.claim("data", storage: "2Gi"), old: F.claim("data", storage: "2Gi", resourceVersion: ""), resource: claims,
            operation: .update,
            quotas: [F.quota("storage", hard: ["persistentvolumeclaims": "3"], used: ["persistentvolumeclaims": "1"])],
            outcome: .charged(["storage": ["persistentvolumeclaims": "2"]])),
        Case(
            name: "an update without its old object is refused",
            object: F.claim("data", storage: "2Gi"), resource: claims, operation: .update,
            quotas: [F.quota("storage", hard: ["persistentvolumeclaims": "3"], used: ["persistentvolumeclaims": "1"])],
            outcome: .refused("unable to get previous usage since prior version of object was not found")),
        Case(
            name: "objects of any resource are counted",
            object: ["metadata": ["name": "web"]], resource: GroupResource(group: "apps", resource: "deployments"),
            quotas: [F.quota("objects", hard: ["count/deployments.apps": "1"], used: ["count/deployments.apps": "1"])],
            outcome: .refused("exceeded quota: objects, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1")),
        Case(
            name: "a config map is counted under its old name too",
            object: ["metadata": ["name": "settings"]], resource: GroupResource(group: "", resource: "configmaps"),
            quotas: [F.quota("objects", hard: ["configmaps": "10", "count/configmaps": "10"], used: ["configmaps": "2", "count/configmaps": "2"])],
            outcome: .charged(["objects": ["configmaps": "3", "count/configmaps": "3"]])),
        Case(
            name: "events are never counted",
            object: ["metadata": ["name": "e"]], resource: GroupResource(group: "", resource: "events"),
            quotas: [F.quota("objects", hard: ["count/events": "0"], used: ["count/events": "0"])],
            outcome: .charged([:])),
    ]

    @Test(arguments: cases)
    func admission(_ testCase: Case) {
        do throws(QuotaRefusal) {
            let updated = try QuotaAdmission.check(
                testCase.object, oldObject: testCase.old, resource: testCase.resource, subresource: testCase.subresource,
                operation: testCase.operation, quotas: testCase.quotas, now: Fixtures.now)
            let used = Dictionary(uniqueKeysWithValues: updated.map { ($0.metadata.name, $0[path: "status", "used"] ?? .null) })
            guard case .charged(let expected) = testCase.outcome else {
                Issue.record("admitted, charging \(used); expected \(testCase.outcome)")
                return
            }
            #expect(used == expected)
        } catch {
            guard case .refused(let expected) = testCase.outcome else {
                Issue.record("refused: \(error.message); expected \(testCase.outcome)")
                return
            }
            #expect(error.message == expected)
        }
    }

    @Test func theChargedQuotaKeepsEverythingButItsUsage() throws {
        let quota = F.quota("compute-resources", hard: Self.compute, used: ["requests.cpu": "0", "limits.cpu": "0", "pods": "0"])
        let updated = try QuotaAdmission.check(
            F.webPod(requests: ["cpu": "1"], limits: ["cpu": "1"]), oldObject: nil, resource: Self.pods, operation: .create, quotas: [quota],
            now: F.now)
        var expected = quota
        expected[path: "status", "used"] = ["requests.cpu": "1", "limits.cpu": "1", "pods": "1"]
        #expect(updated == [expected])
    }
}

extension JSONValue {
    fileprivate func settingResourceVersion(_ version: String) -> JSONValue {
        var object = self
        object[path: "metadata", "resourceVersion"] = .string(version)
        return object
    }
}
