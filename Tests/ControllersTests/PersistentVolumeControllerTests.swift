import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import KubeClient
import Testing

@testable import Controllers

/// The PV binder and the protection controller against a real in-process API server.
@Suite("persistent volume controller")
struct PersistentVolumeControllerTests {
    static func volume(_ name: String, size: String, policy: String) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "PersistentVolume", "metadata": ["name": .string(name)],
            "spec": [
                "capacity": ["storage": .string(size)], "accessModes": ["ReadWriteOnce"], "storageClassName": "",
                "persistentVolumeReclaimPolicy": .string(policy), "hostPath": ["path": .string("/tmp/\(name)")],
            ],
        ]
    }

    static func claim(_ name: String, size: String) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": .string(name)],
            "spec": ["storageClassName": "", "accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": .string(size)]]],
        ]
    }

    static func phase(_ client: KubeClient, _ resource: ResourceType, _ name: String) async -> String? {
        let object = try? await client.get(resource, namespace: resource.namespaced ? "default" : nil, name: name)
        return object?[path: "status", "phase"]?.stringValue
    }

    @Test func claimsBindTheSmallestFitAndTheirVolumesAreReclaimedByPolicy() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let context = ControllerContext(client: client, logger: cluster.logger)
        let binder = PersistentVolumeController(context: context)
        let protection = VolumeProtectionController(context: context)
        let running = Workloads.start([context.run, binder.run, protection.run])
        defer { running.cancel() }

        _ = try await client.create(.persistentVolumes, Self.volume("kept", size: "2Gi", policy: "Retain"))
        _ = try await client.create(.persistentVolumes, Self.volume("large", size: "8Gi", policy: "Delete"))
        _ = try await client.create(.persistentVolumeClaims, namespace: "default", Self.claim("small", size: "1Gi"))
        _ = try await client.create(.persistentVolumeClaims, namespace: "default", Self.claim("big", size: "5Gi"))
        let bound = try await eventually(timeout: .seconds(30)) {
            let small = await Self.phase(client, .persistentVolumeClaims, "small")
            let big = await Self.phase(client, .persistentVolumeClaims, "big")
            return small == "Bound" && big == "Bound"
        }
        try #require(bound)
        let small = try await client.get(.persistentVolumeClaims, namespace: "default", name: "small")
        #expect(small[path: "spec", "volumeName"] == "kept")
        #expect(small[path: "status", "capacity", "storage"] == "2Gi")
        let kept = try await client.get(.persistentVolumes, name: "kept")
        #expect(kept[path: "spec", "claimRef", "uid"] == small[path: "metadata", "uid"])
        #expect(await Self.phase(client, .persistentVolumes, "kept") == "Bound")

        // Retain: released with its data; Delete without a provisioner: no deleter here, so Failed.
        try await client.delete(.persistentVolumeClaims, namespace: "default", name: "small")
        try await client.delete(.persistentVolumeClaims, namespace: "default", name: "big")
        let reclaimed = try await eventually(timeout: .seconds(30)) {
            let kept = await Self.phase(client, .persistentVolumes, "kept")
            let large = await Self.phase(client, .persistentVolumes, "large")
            return kept == "Released" && large == "Failed"
        }
        #expect(reclaimed)
        // Neither volume is bound any more, so pv-protection lets them go.
        try await client.delete(.persistentVolumes, name: "kept")
        let gone = try await eventually(timeout: .seconds(30)) { await Self.phase(client, .persistentVolumes, "kept") == nil }
        #expect(gone)
    }
}
