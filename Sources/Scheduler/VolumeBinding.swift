import APIMachinery
import ControllerRuntime
import KubeObjects

/// kube-scheduler's VolumeBinding plugin, in the part a single-binary cluster needs: a pod whose claim does not
/// exist, or is unbound in a class that binds at once, waits; a pod whose claims are bound goes only where their
/// volumes' node affinity allows; and the claims of WaitForFirstConsumer classes learn the pod's node
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
            if let volumeName = persistentClaim.volumeName {
                guard let bound = self.volume(volumeName) else { return .unschedulable("pvc \(claimName) has unbound persistentvolume \(volumeName)") }
                if let terms = PersistentVolume(bound).requiredNodeTerms { volumeTerms.append(terms) }
                continue
            }
            let className = persistentClaim.className ?? ""
            if !className.isEmpty, let storageClass = storageClass(className).map(StorageClass.init), storageClass.waitsForFirstConsumer {
                delayed.append(key)
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
