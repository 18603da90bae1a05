import APIMachinery
import Testing

@testable import ResourceQuota

/// `pkg/quota/v1/resources.go`'s list operations.
struct ResourceListTests {
    @Test func addingKeepsEveryNameAndSums() {
        let sum = ResourceList(json: ["cpu": "100m", "memory": "1Gi"]) + ResourceList(json: ["cpu": "200m", "pods": "1"])
        #expect(sum.json == ["cpu": "300m", "memory": "1Gi", "pods": "1"])
    }

    @Test func subtracting() {
        let used = ResourceList(json: ["cpu": "1", "memory": "1Gi"])
        let freed = ResourceList(json: ["cpu": "1500m", "pods": "1"])
        #expect((used - freed).json == ["cpu": "-500m", "memory": "1Gi", "pods": "-1"])
        #expect(used.subtractingClampedAtZero(freed).json == ["cpu": "0", "memory": "1Gi", "pods": "0"])
    }

    @Test(arguments: [
        (["cpu": "1", "memory": "1Gi"], ["cpu": "1", "memory": "2Gi"], []),
        (["cpu": "1100m"], ["cpu": "1", "memory": "2Gi"], ["cpu"]),
        (["cpu": "2", "memory": "3Gi", "pods": "9"], ["cpu": "1", "memory": "2Gi"], ["cpu", "memory"]),
    ] as [(JSONValue, JSONValue, Set<String>)])
    func namesExceedingLimits(usage: JSONValue, limits: JSONValue, exceeding: Set<String>) {
        #expect(ResourceList(json: usage).names(exceeding: ResourceList(json: limits)) == exceeding)
    }

    @Test func maskingZerosAndNegatives() {
        let list = ResourceList(json: ["cpu": "0", "memory": "-1Mi", "pods": "2", "bogus": "many"])
        #expect(list.names == ["cpu", "memory", "pods"], "an entry that is not a quantity is left out")
        #expect(list.masked(to: ["pods", "services"]).json == ["pods": "2"])
        #expect(list.removingZeros.names == ["memory", "pods"])
        #expect(list.negativeNames == ["memory"])
    }

    @Test func printsSortedAsQuotaErrorsDo() {
        #expect(ResourceList(json: ["requests.cpu": "1", "limits.cpu": "2000m", "count/pods": "3"]).description == "count/pods=3,limits.cpu=2,requests.cpu=1")
        #expect(ResourceList().description == "")
    }

    @Test func equalityIsByValue() {
        #expect(ResourceList(json: ["memory": "1024Mi"]) == ResourceList(json: ["memory": "1Gi"]))
        #expect(ResourceList(json: ["memory": "1Gi"]) != ResourceList(json: ["memory": "1Gi", "cpu": "0"]))
    }
}
