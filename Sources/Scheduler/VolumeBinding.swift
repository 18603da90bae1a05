import APIMachinery
import ControllerRuntime
import KubeObjects

/// kube-scheduler's VolumeBinding, VolumeZone and VolumeRestrictions plugins, in the part a single-binary cluster
/// needs: a pod whose claim does not exist, is unbound in a class that binds at once, or is a ReadWriteOncePod claim
/// another pod uses, waits; a pod whose claims are bound goes only where their volumes' node affinity and zone labels
/// allow; and the claims of WaitForFirstConsumer classes learn the pod's node
/// (`volume.kubernetes.io/selected-node`), so that the PV controller binds them to a volume there or its
/// provisioner makes one there.
struct VolumeBinding {
    /// What the pod's claims ask of its node.
    enum Plan: Equatable {
        /// The pod cannot be placed yet; the message is Kubernetes'.
        case unschedulable(String)
        /// Each entry: one bound volume's node selector terms (ORed); the node must satisfy every entry. The claims
        /// to tell the chosen node.
        case place(volumeTerms: [[JSONValue]], delayedClaims: [ObjectKey])
    }

    var claim: (ObjectKey) -> JSONValue?
    var volume: (String) -> JSONValue?
    var storageClass: (String) -> JSONValue?
    /// Every PersistentVolume, for claims that wait for their pod but have no provisioner to make their volume.
    var allVolumes: () -> [JSONValue]
    /// Whether a pod other than the one with this uid, not finished, uses the claim.
    var claimUsedByOtherPod: (ObjectKey, _ podUID: String) -> Bool

    static let readWriteOncePodConflict = "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode"
    static let noVolumeToBind = "node(s) didn't find available persistent volumes to bind"
    static let perNodeReasons: Set<String> = [readWriteOncePodConflict, noVolumeToBind]
    /// The topology labels VolumeZone compares; a value may list several zones joined by `__`.
    static let zoneLabels = [
        "topology.kubernetes.io/zone", "topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region",
    ]

    func plan(for pod: JSONValue) -> Plan {
        let namespace = pod.metadata.namespace ?? "default"
        var volumeTerms: [[JSONValue]] = []
        var delayed: [ObjectKey] = []
        var unboundImmediate = false
        for volume in pod[path: "spec", "volumes"]?.arrayValue ?? [] {
            guard let claimName = volume[path: "persistentVolumeClaim", "claimName"]?.stringValue else { continue }
            let key = ObjectKey(namespace: namespace, name: claimName)
            guard let object = claim(key) else { return .unschedulable("persistentvolumeclaim \"\(claimName)\" not found") }
            let persistentClaim = PersistentVolumeClaim(object)
            if persistentClaim.metadata.isDeleting { return .unschedulable("persistentvolumeclaim \"\(claimName)\" is being deleted") }
            if persistentClaim.accessModes.contains("ReadWriteOncePod"), claimUsedByOtherPod(key, pod.metadata.uid) {
                return .unschedulable(Self.readWriteOncePodConflict)
            }
            if let volumeName = persistentClaim.volumeName {
                guard let bound = self.volume(volumeName).map(PersistentVolume.init) else {
                    return .unschedulable("pvc \(claimName) has unbound persistentvolume \(volumeName)")
                }
                if let terms = bound.requiredNodeTerms { volumeTerms.append(terms) }
                for label in Self.zoneLabels {
                    guard let value = bound.metadata.labels[label] else { continue }
                    let zones = value.split(separator: "__").map { JSONValue.string(String($0)) }
                    volumeTerms.append([["matchExpressions": [["key": .string(label), "operator": "In", "values": .array(zones)]]]])
                }
                continue
            }
            let className = persistentClaim.className ?? ""
            if !className.isEmpty, let storageClass = storageClass(className).map(StorageClass.init), storageClass.waitsForFirstConsumer {
                delayed.append(key)
                // Without a provisioner, only a node one of the hand-made volumes that fit reaches will do.
                if storageClass.provisioner == StorageClass.noProvisioner {
                    let candidates = allVolumes().map(PersistentVolume.init).filter {
                        $0.claimRef == nil && !$0.metadata.isDeleting && VolumeMatching.fits($0, persistentClaim)
                    }
                    if candidates.isEmpty { return .unschedulable(Self.noVolumeToBind) }
                    // A fitting volume any node reaches leaves the node free.
                    if candidates.allSatisfy({ $0.requiredNodeTerms != nil }) { volumeTerms.append(candidates.flatMap { $0.requiredNodeTerms ?? [] }) }
                }
            } else {
                unboundImmediate = true
            }
        }
        if unboundImmediate { return .unschedulable("pod has unbound immediate PersistentVolumeClaims") }
        return .place(volumeTerms: volumeTerms, delayedClaims: delayed)
    }

    /// The pod with its required node affinity narrowed to nodes every volume reaches: each of its terms joined with
    /// each of a volume's (a node must match one pod term and one term of every volume).
    static func constrain(_ pod: JSONValue, to volumeTerms: [[JSONValue]]) -> JSONValue {
        guard !volumeTerms.isEmpty else { return pod }
        let requiredPath = ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]
        var terms: [JSONValue] = pod.value(at: requiredPath[...])?.arrayValue ?? [.emptyObject]
        for volume in volumeTerms {
            terms = terms.flatMap { term in volume.map { join(term, $0) } }
        }
        var constrained = pod
        constrained.setValue(.array(terms), at: requiredPath[...])
        return constrained
    }

    private static func join(_ first: JSONValue, _ second: JSONValue) -> JSONValue {
        var joined = JSONValue.emptyObject
        for field in ["matchExpressions", "matchFields"] {
            let requirements = (first[field]?.arrayValue ?? []) + (second[field]?.arrayValue ?? [])
            if !requirements.isEmpty { joined[field] = .array(requirements) }
        }
        return joined
    }
}
