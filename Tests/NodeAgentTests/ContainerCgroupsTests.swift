import Foundation
import Synchronization
import Testing

@testable import NodeAgent

/// Containers' usage read from cgroup files laid out as cgroup v1 and v2 mount them.
struct ContainerCgroupsTests {
    static func write(_ files: [String: String]) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cgroups-\(UUID().uuidString)").path
        for (path, text) in files {
            let url = URL(fileURLWithPath: root + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test func readsCgroupV1() throws {
        let root = try Self.write([
            "/cpuacct/cpuacct.usage": "1\n", "/memory/memory.stat": "cache 0\n",
            "/cpuacct/k8s.io/abc/cpuacct.usage": "2500000000\n", "/memory/k8s.io/abc/memory.usage_in_bytes": "10485760\n",
            "/memory/k8s.io/abc/memory.stat": "cache 4096\ntotal_inactive_file 2097152\ntotal_active_file 0\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cgroups = ContainerCgroups(layout: ContainerCgroups.detect(root: root))
        #expect(cgroups.layout == .v1(root: root))
        #expect(cgroups.usage(cgroupsPath: "/k8s.io/abc") == .init(cpuNanoseconds: 2_500_000_000, workingSetBytes: 8_388_608))
        #expect(cgroups.usage(cgroupsPath: "/k8s.io/gone") == nil)
    }

    @Test func readsCgroupV2() throws {
        let root = try Self.write([
            "/cgroup.controllers": "cpu memory\n", "/k8s.io/abc/cpu.stat": "usage_usec 1500\nuser_usec 1000\n",
            "/k8s.io/abc/memory.current": "4096\n", "/k8s.io/abc/memory.stat": "anon 4096\ninactive_file 8192\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cgroups = ContainerCgroups(layout: ContainerCgroups.detect(root: root))
        // Inactive file pages beyond the usage leave a working set of nothing, not a negative one.
        #expect(cgroups.usage(cgroupsPath: "/k8s.io/abc") == .init(cpuNanoseconds: 1_500_000, workingSetBytes: 0))
    }

    @Test func takesThePathFromTheVerboseStatusAndAsksOncePerContainer() async {
        let info = #"{"pid": 12, "runtimeSpec": {"linux": {"cgroupsPath": "/k8s.io/abc"}}}"#
        #expect(ContainerCgroups.cgroupsPath(verboseInfo: ["info": info]) == "/k8s.io/abc")
        let cgroups = ContainerCgroups(layout: nil)
        let asked = LockedCount()
        let lookup: (String) async -> String? = { id in
            asked.increment()
            return id == "systemd" ? "system.slice:cri-containerd:systemd" : "/k8s.io/\(id)"
        }
        #expect(await cgroups.paths(for: ["abc", "systemd"], lookup: lookup) == ["abc": "/k8s.io/abc"])
        #expect(await cgroups.paths(for: ["abc", "systemd"], lookup: lookup) == ["abc": "/k8s.io/abc"])
        #expect(asked.value == 2)
    }
}

final class LockedCount: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}
