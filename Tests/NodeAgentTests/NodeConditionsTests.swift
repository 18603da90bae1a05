import APIMachinery
import CRI
import Foundation
import Testing

@testable import NodeAgent

/// The node's pressure conditions from the machine's readings, against the kubelet's hard eviction thresholds.
@Suite("node conditions")
struct NodeConditionsTests {
    static let mebibyte: UInt64 = 1024 * 1024
    /// A machine with plenty of everything.
    static let healthy = NodeResourceReadings(
        memoryAvailableBytes: 2048 * mebibyte, filesystemAvailableBytes: 50 * 1024 * mebibyte, filesystemCapacityBytes: 100 * 1024 * mebibyte,
        filesystemInodesFree: 900_000, filesystemInodes: 1_000_000, pidMax: 32768, processes: 300)

    static let thresholds = try! EvictionThresholds(parsing: EvictionThresholds.kubeletDefaults)

    static func pressure(_ readings: NodeResourceReadings) -> NodePressure {
        NodePressure(thresholds.met(readings))
    }

    static func condition(_ type: String, in conditions: [JSONValue]) -> JSONValue? {
        conditions.first { $0["type"]?.stringValue == type }
    }

    @Test func aHealthyMachineHasNoPressureInTheKubeletsWords() {
        let conditions = Self.pressure(Self.healthy).conditions(previous: [], now: Date())
        #expect(conditions.map { $0["type"]?.stringValue ?? "" } == ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"])
        #expect(Self.condition("MemoryPressure", in: conditions)?["reason"] == "KubeletHasSufficientMemory")
        #expect(Self.condition("MemoryPressure", in: conditions)?["message"] == "kubelet has sufficient memory available")
        #expect(Self.condition("DiskPressure", in: conditions)?["reason"] == "KubeletHasNoDiskPressure")
        #expect(Self.condition("DiskPressure", in: conditions)?["message"] == "kubelet has no disk pressure")
        #expect(Self.condition("PIDPressure", in: conditions)?["reason"] == "KubeletHasSufficientPID")
        #expect(Self.condition("PIDPressure", in: conditions)?["message"] == "kubelet has sufficient PID available")
        #expect(conditions.prefix(3).allSatisfy { $0["status"] == "False" })
        #expect(Self.condition("Ready", in: conditions)?["status"] == "True")
    }

    @Test func lessThan100MiAvailableIsMemoryPressure() {
        var readings = Self.healthy
        readings.memoryAvailableBytes = 100 * Self.mebibyte
        #expect(Self.pressure(readings) == NodePressure())
        readings.memoryAvailableBytes = 100 * Self.mebibyte - 1
        #expect(Self.pressure(readings) == NodePressure(memory: true))
        let memory = Self.condition("MemoryPressure", in: Self.pressure(readings).conditions(previous: [], now: Date()))
        #expect(memory?["status"] == "True")
        #expect(memory?["reason"] == "KubeletHasInsufficientMemory")
        #expect(memory?["message"] == "kubelet has insufficient memory available")
    }

    /// nodefs.available<10% and imagefs.available<15% read the same filesystem here (the runtime's images are under
    /// the agent's directory), so, as on a kubelet's single-disk node, pressure starts below 15%.
    @Test func lessThan15PercentOfTheFilesystemOrOneTwentiethOfItsInodesFreeIsDiskPressure() {
        var readings = Self.healthy
        readings.filesystemAvailableBytes = 15 * 1024 * Self.mebibyte
        #expect(Self.pressure(readings) == NodePressure())
        readings.filesystemAvailableBytes = 15 * 1024 * Self.mebibyte - 1
        #expect(Self.pressure(readings) == NodePressure(disk: true))
        let disk = Self.condition("DiskPressure", in: Self.pressure(readings).conditions(previous: [], now: Date()))
        #expect(disk?["reason"] == "KubeletHasDiskPressure")
        #expect(disk?["message"] == "kubelet has disk pressure")

        readings = Self.healthy
        readings.filesystemInodesFree = 49_999
        #expect(Self.pressure(readings) == NodePressure(disk: true))
        readings.filesystemInodesFree = 50_000
        #expect(Self.pressure(readings) == NodePressure())
    }

    /// The minimum is a tenth of pid_max cut to a whole number, as the kubelet computes a percentage threshold.
    @Test func fewerThanATenthOfThePIDsLeftIsPIDPressure() {
        var readings = Self.healthy
        readings.processes = 32768 - 3275
        #expect(Self.pressure(readings) == NodePressure(pids: true))
        readings.processes = 32768 - 3276
        #expect(Self.pressure(readings) == NodePressure())
        readings.processes = 40000
        #expect(Self.pressure(readings) == NodePressure(pids: true))
        let pids = Self.condition("PIDPressure", in: Self.pressure(readings).conditions(previous: [], now: Date()))
        #expect(pids?["reason"] == "KubeletHasInsufficientPID")
        #expect(pids?["message"] == "kubelet has insufficient PID available")
    }

    @Test func missingReadingsRaiseNoPressure() {
        #expect(Self.pressure(NodeResourceReadings()) == NodePressure())
        var readings = Self.healthy
        readings.filesystemInodes = 0
        readings.filesystemInodesFree = 0
        #expect(Self.pressure(readings) == NodePressure())
    }

    @Test func aConditionKeepsItsTransitionTimeWhileItsStatusStays() {
        let earlier = Date(timeIntervalSince1970: 1_700_000_000)
        let later = earlier.addingTimeInterval(60)
        let before = NodePressure().conditions(previous: [], now: earlier)
        let after = NodePressure(memory: true).conditions(previous: before, now: later)
        #expect(Self.condition("DiskPressure", in: after)?["lastTransitionTime"] == .string(KubeTime.format(earlier)))
        #expect(Self.condition("DiskPressure", in: after)?["lastHeartbeatTime"] == .string(KubeTime.format(later)))
        #expect(Self.condition("MemoryPressure", in: after)?["lastTransitionTime"] == .string(KubeTime.format(later)))
    }

    @Test func aPressureConditionThatChangesIsAnEventAsTheKubeletNamesIt() {
        let calm = NodePressure().conditions(previous: [], now: Date())
        let short = NodePressure(memory: true, pids: true).conditions(previous: calm, now: Date())
        #expect(NodePressure.transitionEvents(previous: calm, current: short) == ["NodeHasInsufficientMemory", "NodeHasInsufficientPID"])
        #expect(NodePressure.transitionEvents(previous: short, current: calm) == ["NodeHasSufficientMemory", "NodeHasSufficientPID"])
        #expect(NodePressure.transitionEvents(previous: calm, current: calm).isEmpty)
        #expect(NodePressure.transitionEvents(previous: [], current: short).isEmpty)
    }

    @Test func memAvailableIsReadInKibibytesAndTasksFromTheLoadAverage() {
        let meminfo = "MemTotal:        4026628 kB\nMemFree:          512000 kB\nMemAvailable:    1024000 kB\n"
        #expect(NodeResourceReadings.memoryField("MemAvailable", meminfo: meminfo) == 1_024_000 * 1024)
        #expect(NodeResourceReadings.memoryField("MemTotal", meminfo: meminfo) == 4_026_628 * 1024)
        #expect(NodeResourceReadings.memoryField("MemAvailable", meminfo: "MemTotal: 1 kB\n") == nil)
        #expect(NodeResourceReadings.tasks(loadavg: "0.10 0.05 0.01 2/345 6789\n") == 345)
    }

    @Test func thisMachineCanBeRead() {
        let readings = NodeResourceReadings.read(directory: NSTemporaryDirectory())
        #expect(readings.memoryAvailableBytes != nil)
        #expect(readings.filesystemCapacityBytes ?? 0 > 0)
        #expect(readings.pidMax ?? 0 > 0 && readings.processes ?? 0 > 0)
    }

    @Test func imagesAreListedLargestFirstWithDigestsThenTagsAtMostFiveNames() {
        let small = Runtime_V1_Image.with {
            $0.repoTags = ["docker.io/library/busybox:latest"]
            $0.repoDigests = ["docker.io/library/busybox@sha256:aa"]
            $0.size = 1_000
        }
        let large = Runtime_V1_Image.with {
            $0.repoTags = (1...6).map { "docker.io/library/nginx:1.\($0)" }
            $0.repoDigests = ["docker.io/library/nginx@sha256:bb"]
            $0.size = 9_000
        }
        let images = NodeImages.status([small, large])
        #expect(images.count == 2)
        #expect(images[0]["sizeBytes"] == 9_000)
        #expect(images[0]["names"]?.arrayValue?.count == 5)
        #expect(images[0]["names"]?.arrayValue?.first == "docker.io/library/nginx@sha256:bb")
        #expect(images[1]["names"] == ["docker.io/library/busybox@sha256:aa", "docker.io/library/busybox:latest"])
        #expect(NodeImages.status(Array(repeating: small, count: 60)).count == 50)
    }
}
