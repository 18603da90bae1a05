import APIMachinery
import ControllerRuntime
import Testing

@testable import Scheduler

/// What a pod's claims ask of its node.
@Suite("volume binding")
struct VolumeBindingTests {
    static let pod: JSONValue = [
        "metadata": ["name": "db", "namespace": "shop"],
        "spec": ["volumes": [["name": "data", "persistentVolumeClaim": ["claimName": "data"]], ["name": "tmp", "emptyDir": .emptyObject]]],
    ]

    static func binding(claim: JSONValue?, volume: JSONValue? = nil, waits: Bool = true, inUse: Bool = false) -> VolumeBinding {
        VolumeBinding(
            claim: { $0 == ObjectKey(namespace: "shop", name: "data") ? claim : nil }, volume: { _ in volume },
            storageClass: { name in
                name == "local-path" ? ["metadata": ["name": "local-path"], "volumeBindingMode": .string(waits ? "WaitForFirstConsumer" : "Immediate")] : nil
            }, allVolumes: { [] }, claimUsedByOtherPod: { _, _ in inUse })
    }

    @Test func missingAndImmediateUnboundClaimsKeepThePodWaiting() {
        #expect(Self.binding(claim: nil).plan(for: Self.pod) == .unschedulable("persistentvolumeclaim \"data\" not found"))
        let unbound: JSONValue = ["metadata": ["name": "data"], "spec": ["storageClassName": "local-path"]]
        #expect(Self.binding(claim: unbound, waits: false).plan(for: Self.pod) == .unschedulable("pod has unbound immediate PersistentVolumeClaims"))
        #expect(Self.binding(claim: unbound).plan(for: Self.pod) == .place(volumeTerms: [], delayedClaims: [ObjectKey(namespace: "shop", name: "data")]))
    }

    @Test func aBoundVolumesNodeAffinityNarrowsThePodsOwn() {
        let term: JSONValue = ["matchExpressions": [["key": "kubernetes.io/hostname", "operator": "In", "values": ["node-a"]]]]
        let claim: JSONValue = ["metadata": ["name": "data"], "spec": ["volumeName": "pv-1"]]
        let volume: JSONValue = ["metadata": ["name": "pv-1"], "spec": ["nodeAffinity": ["required": ["nodeSelectorTerms": [term]]]]]
        guard case .place(let terms, let delayed) = Self.binding(claim: claim, volume: volume).plan(for: Self.pod) else {
            Issue.record("the pod should be placeable")
            return
        }
        #expect(delayed.isEmpty)
        var pod = Self.pod
        pod[path: "spec", "affinity"] = [
            "nodeAffinity": [
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    "nodeSelectorTerms": [
                        ["matchExpressions": [["key": "zone", "operator": "In", "values": ["a"]]]],
                        ["matchExpressions": [["key": "zone", "operator": "In", "values": ["b"]]]],
                    ]
                ]
            ]
        ]
        let constrained = VolumeBinding.constrain(pod, to: terms)
        let joined = constrained[path: "spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]?.arrayValue ?? []
        #expect(joined.count == 2, "each of the pod's terms, each joined with the volume's one")
        #expect(joined.allSatisfy { ($0["matchExpressions"]?.arrayValue ?? []).count == 2 })
        let alone = VolumeBinding.constrain(Self.pod, to: terms)
        #expect(alone[path: "spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"] == [term])
    }

    @Test func aReadWriteOncePodClaimServesOnePodAndZonesFollowTheVolume() {
        let claim: JSONValue = ["metadata": ["name": "data"], "spec": ["volumeName": "pv-1", "accessModes": ["ReadWriteOncePod"]]]
        let volume: JSONValue = ["metadata": ["name": "pv-1", "labels": ["topology.kubernetes.io/zone": "east-1__east-2"]], "spec": .emptyObject]
        #expect(Self.binding(claim: claim, volume: volume, inUse: true).plan(for: Self.pod) == .unschedulable(VolumeBinding.readWriteOncePodConflict))
        let zone: JSONValue = ["matchExpressions": [["key": "topology.kubernetes.io/zone", "operator": "In", "values": ["east-1", "east-2"]]]]
        #expect(Self.binding(claim: claim, volume: volume).plan(for: Self.pod) == .place(volumeTerms: [[zone]], delayedClaims: []))
    }

    @Test func handMadeLocalVolumesChooseTheNodeOfAClaimThatWaitsWithoutAProvisioner() {
        let claim: JSONValue = [
            "metadata": ["name": "data"],
            "spec": ["storageClassName": "local-disks", "accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]],
        ]
        let onA: JSONValue = ["matchExpressions": [["key": "kubernetes.io/hostname", "operator": "In", "values": ["node-a"]]]]
        let disk: JSONValue = [
            "metadata": ["name": "disk-a"],
            "spec": [
                "storageClassName": "local-disks", "accessModes": ["ReadWriteOnce"], "capacity": ["storage": "10Gi"],
                "nodeAffinity": ["required": ["nodeSelectorTerms": [onA]]],
            ],
        ]
        func binding(_ volumes: [JSONValue]) -> VolumeBinding {
            VolumeBinding(
                claim: { _ in claim }, volume: { _ in nil },
                storageClass: { _ in ["provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer"] },
                allVolumes: { volumes }, claimUsedByOtherPod: { _, _ in false })
        }
        #expect(binding([disk]).plan(for: Self.pod) == .place(volumeTerms: [[onA]], delayedClaims: [ObjectKey(namespace: "shop", name: "data")]))
        #expect(binding([]).plan(for: Self.pod) == .unschedulable(VolumeBinding.noVolumeToBind))
    }
}
