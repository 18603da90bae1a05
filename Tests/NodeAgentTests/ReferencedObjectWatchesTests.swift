import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import KubeClient
import Synchronization
import Testing

@testable import NodeAgent

/// Pods held by a missing ConfigMap or Secret, against a real in-process API server.
@Suite("referenced object watches")
struct ReferencedObjectWatchesTests {
    static let pod: JSONValue = [
        "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "app", "namespace": "default"],
        "spec": [
            "containers": [["name": "app", "image": "busybox", "envFrom": [["configMapRef": ["name": "settings"]]]]],
            "volumes": [["name": "keys", "secret": ["secretName": "keys"]], ["name": "data", "persistentVolumeClaim": ["claimName": "data"]]],
        ],
    ]

    @Test func aPodNamesItsConfigMapsSecretsAndClaims() {
        let references = ReferencedObjectWatches.references(of: Self.pod)
        #expect(
            references
                == [
                    .init(resource: .configMaps, namespace: "default", name: "settings"), .init(resource: .secrets, namespace: "default", name: "keys"),
                    .init(resource: .persistentVolumeClaims, namespace: "default", name: "data"),
                ])
    }

    @Test func aHeldPodIsWokenWhenTheObjectItWaitsForAppearsAndItsWatchesEndOnRelease() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let woken = Mutex<[ObjectKey]>([])
        let watches = ReferencedObjectWatches(client: cluster.client(), logger: cluster.logger) { key in woken.withLock { $0.append(key) } }
        let key = ObjectKey(Self.pod)
        watches.hold(key, on: [.init(resource: .configMaps, namespace: "default", name: "settings")])
        try await Task.sleep(for: .milliseconds(200))
        #expect(woken.withLock { $0.isEmpty }, "nothing to wake the pod for while the ConfigMap is missing")
        _ = try await cluster.client().create(
            .configMaps, namespace: "default", ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "settings"], "data": ["k": "v"]])
        for _ in 0..<100 where woken.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(woken.withLock { $0 } == [key])
        #expect(watches.watchedCount == 1)
        watches.release(key)
        #expect(watches.watchedCount == 0)
    }
}
