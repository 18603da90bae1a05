import APIMachinery
import Testing

@testable import NodeAgent

@Suite("eviction rules")
struct EvictionRulesTests {
    static let mebibyte: Int64 = 1 << 20

    @Test func thresholdsParseInTheKubeletsSyntaxAndBadOnesAreRefused() throws {
        let defaults = try EvictionThresholds(parsing: EvictionThresholds.kubeletDefaults)
        #expect(defaults == EvictionThresholds.defaults)
        #expect(defaults.thresholds.map(\.signal.rawValue) == ["memory.available", "nodefs.available", "nodefs.inodesFree", "imagefs.available", "pid.available"])
        #expect(defaults.thresholds[0].quantity == 100 * Self.mebibyte && defaults.thresholds[1].percentage == 10)
        #expect(throws: EvictionThresholds.InvalidThreshold.self) { try EvictionThresholds(parsing: "memory.available>1Gi") }
        #expect(throws: EvictionThresholds.InvalidThreshold.self) { try EvictionThresholds(parsing: "cpu.available<1") }
        #expect(throws: EvictionThresholds.InvalidThreshold.self) { try EvictionThresholds(parsing: "memory.available<lots") }
        #expect(throws: EvictionThresholds.InvalidThreshold.self) { try EvictionThresholds(parsing: "nodefs.available<120%") }
        #expect(throws: EvictionThresholds.InvalidThreshold.self) { try EvictionThresholds(parsing: "memory.available<1Gi,memory.available<2Gi") }
        #expect(try EvictionThresholds(parsing: "").thresholds.isEmpty)
    }

    @Test func aThresholdIsMetBelowItsAmountOrItsShareOfCapacity() throws {
        let thresholds = try EvictionThresholds(parsing: "memory.available<10%,nodefs.available<1Gi")
        var readings = NodeResourceReadings(
            memoryAvailableBytes: 100, memoryCapacityBytes: 1000, filesystemAvailableBytes: 1 << 30, filesystemCapacityBytes: 1 << 40)
        #expect(thresholds.met(readings).isEmpty)
        readings.memoryAvailableBytes = 99
        readings.filesystemAvailableBytes = (1 << 30) - 1
        let met = thresholds.met(readings)
        #expect(met.map(\.signal) == [.memoryAvailable, .nodefsAvailable])
        #expect(met[0].available == 99 && met[0].minimum == 100 && met[0].threshold == "10%")
        // Without a capacity a percentage cannot be judged, and meets nothing.
        readings.memoryCapacityBytes = nil
        #expect(thresholds.met(readings).map(\.signal) == [.nodefsAvailable])
    }

    private func usage(_ uid: String, priority: Int64 = 0, memory: Int64, request: Int64) -> PodUsage {
        PodUsage(
            uid: uid, priority: priority, memoryRequestBytes: request, memoryUsageBytes: memory, storageRequestBytes: 0, storageUsageBytes: 0,
            containers: [.init(name: uid, memoryBytes: memory, storageBytes: 0)])
    }

    @Test func podsOverTheirRequestsGoFirstThenLowerPriorityThenTheLargestExcess() {
        let within = usage("within", memory: 50 * Self.mebibyte, request: 64 * Self.mebibyte)
        let overSlightly = usage("over-slightly", memory: 70 * Self.mebibyte, request: 64 * Self.mebibyte)
        let overMuch = usage("over-much", memory: 300 * Self.mebibyte, request: 0)
        let important = usage("important", priority: 1000, memory: 900 * Self.mebibyte, request: 0)
        let ranked = EvictionRules.rankForMemory([within, important, overSlightly, overMuch]).map(\.uid)
        #expect(ranked == ["over-much", "over-slightly", "important", "within"])
    }

    @Test func theMessageNamesTheThresholdAndTheLargestContainer() throws {
        let observation = EvictionThresholds.Observation(signal: .memoryAvailable, available: 52 * 1024 * 1024, minimum: 100 << 20, threshold: "100Mi")
        var hog = usage("hog", memory: 310 * Self.mebibyte, request: 0)
        hog.containers.append(.init(name: "sidecar", memoryBytes: 1536 * 1024, storageBytes: 0))
        #expect(
            EvictionRules.nodePressureMessage(observation, pod: hog, requests: ["hog": 0])
                == "The node was low on resource: memory. Threshold quantity: 100Mi, available: 52Mi. Container hog was using 310Mi, request is 0, has larger consumption of memory. ")
        #expect(EvictionRules.quantity(1536 * 1024) == "1536Ki" && EvictionRules.quantity(1000) == "1000" && EvictionRules.quantity(0) == "0")
    }

    @Test func localStorageLimitsOfEmptyDirsAndContainersAreEnforced() throws {
        let pod = try JSONValue.parse(
            #"""
            {"spec": {"volumes": [{"name": "cache", "emptyDir": {"sizeLimit": "1Mi"}}, {"name": "ram", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}],
                      "containers": [{"name": "app", "resources": {"limits": {"ephemeral-storage": "2Mi"}}}]}}
            """#)
        #expect(EvictionRules.localStorageViolation(pod: pod, emptyDirUsage: ["cache": 1 << 20], containerUsage: ["app": 2 << 20]) == nil)
        #expect(
            EvictionRules.localStorageViolation(pod: pod, emptyDirUsage: ["cache": (1 << 20) + 4096], containerUsage: [:])
                == "Usage of EmptyDir volume \"cache\" exceeds the limit \"1Mi\". ")
        #expect(EvictionRules.hasLocalStorageLimits(pod))
        let memoryOnly = try JSONValue.parse(#"{"spec": {"volumes": [{"name": "ram", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}], "containers": [{"name": "app"}]}}"#)
        #expect(!EvictionRules.hasLocalStorageLimits(memoryOnly))
        // A memory-backed emptyDir is held to its size by its tmpfs, not by eviction.
        #expect(EvictionRules.localStorageViolation(pod: pod, emptyDirUsage: ["ram": 8 << 20], containerUsage: [:]) == nil)
        #expect(
            EvictionRules.localStorageViolation(pod: pod, emptyDirUsage: [:], containerUsage: ["app": 3 << 20])
                == "Container app exceeded its local ephemeral storage limit \"2Mi\". ")
    }

    @Test func underPressureNewPodsAreRefusedAsTheKubeletAdmitsThem() throws {
        func pod(_ qos: String, priority: Int64 = 0, tolerations: String = "[]") throws -> JSONValue {
            try JSONValue.parse(#"{"spec": {"priority": \#(priority), "tolerations": \#(tolerations)}, "status": {"qosClass": "\#(qos)"}}"#)
        }
        let memory = NodePressure(memory: true)
        #expect(EvictionRules.admissionRefusal(try pod("BestEffort"), pressure: memory) == "The node had condition: [MemoryPressure]. ")
        #expect(EvictionRules.admissionRefusal(try pod("Burstable"), pressure: memory) == nil)
        let tolerating = #"[{"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"}]"#
        #expect(EvictionRules.admissionRefusal(try pod("BestEffort", tolerations: tolerating), pressure: memory) == nil)
        #expect(EvictionRules.admissionRefusal(try pod("BestEffort", priority: 2_000_001_000), pressure: memory) == nil)
        // Any other pressure refuses every pod.
        #expect(EvictionRules.admissionRefusal(try pod("Guaranteed"), pressure: NodePressure(disk: true)) == "The node had condition: [DiskPressure]. ")
        #expect(
            EvictionRules.admissionRefusal(try pod("BestEffort"), pressure: NodePressure(memory: true, pids: true))
                == "The node had condition: [MemoryPressure PIDPressure]. ")
        #expect(EvictionRules.admissionRefusal(try pod("BestEffort"), pressure: NodePressure()) == nil)
    }
}
