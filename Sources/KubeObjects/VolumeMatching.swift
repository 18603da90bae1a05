import APIMachinery

/// Which PersistentVolume a claim binds to, as Kubernetes' PV controller chooses (`findMatchingVolume`): a volume
/// pre-bound to the claim first; otherwise the smallest Available volume of the claim's class whose access modes,
/// volume mode, labels and capacity fit, and, for a claim that waited for its first pod, that the pod's node reaches.
public enum VolumeMatching {
    /// - Parameter node: the labels (with `metadata.name` as the field) of the node the first pod was placed on, for
    ///   claims of a WaitForFirstConsumer class; nil when the claim binds at once, regardless of nodes.
    public static func bestVolume(for claim: PersistentVolumeClaim, among volumes: [PersistentVolume], node: NodeFacts?) -> PersistentVolume? {
        let claimKey = (claim.metadata.namespace ?? "", claim.metadata.name)
        var best: (volume: PersistentVolume, bytes: Int64)?
        for volume in volumes where !volume.metadata.isDeleting && volume.volumeMode == claim.volumeMode {
            if let node, let terms = volume.requiredNodeTerms, !matches(terms, node: node) { continue }
            if let reference = volume.claimRef {
                // Pre-bound to this claim (by name, or by name and uid): taken before any other.
                if reference == claimKey, volume.claimUID == nil || volume.claimUID == claim.metadata.uid { return volume }
                continue
            }
            guard volume.phase == "Available" || volume.phase == "Pending", fits(volume, claim) else { continue }
            let bytes = volume.capacity?.value ?? 0
            if best == nil || bytes < best?.bytes ?? .max { best = (volume, bytes) }
        }
        return best?.volume
    }

    /// Whether an unclaimed volume can serve the claim: same class, every access mode the claim asks for, labels its
    /// selector wants, and at least the storage it requests.
    public static func fits(_ volume: PersistentVolume, _ claim: PersistentVolumeClaim) -> Bool {
        guard volume.className == (claim.className ?? ""), Set(claim.accessModes).isSubset(of: Set(volume.accessModes)) else { return false }
        if let selector = claim.selector {
            guard let parsed = try? LabelSelector(object: selector), parsed.matches(volume.metadata.labels) else { return false }
        }
        let requested = claim.requestedStorage?.value ?? 0
        return (volume.capacity?.value ?? 0) >= requested
    }

    /// What node selector terms look at: the node's labels and its name (`matchFields` on `metadata.name`).
    public struct NodeFacts: Sendable {
        public var name: String
        public var labels: [String: String]

        public init(name: String, labels: [String: String]) {
            self.name = name
            self.labels = labels
        }
    }

    /// Whether the node matches any of the terms (each term's requirements all hold; a term with none matches no
    /// node), as `v1helper.MatchNodeSelectorTerms`.
    public static func matches(_ terms: [JSONValue], node: NodeFacts) -> Bool {
        terms.contains { term in
            let expressions = term["matchExpressions"]?.arrayValue ?? []
            let fields = term["matchFields"]?.arrayValue ?? []
            guard !expressions.isEmpty || !fields.isEmpty else { return false }
            return expressions.allSatisfy { holds($0, value: node.labels[$0["key"]?.stringValue ?? ""]) }
                && fields.allSatisfy { ($0["key"]?.stringValue == "metadata.name") && holds($0, value: node.name) }
        }
    }

    private static func holds(_ requirement: JSONValue, value: String?) -> Bool {
        let values = (requirement["values"]?.arrayValue ?? []).compactMap(\.stringValue)
        switch requirement["operator"]?.stringValue {
        case "In": return value.map(values.contains) ?? false
        case "NotIn": return value.map { !values.contains($0) } ?? true
        case "Exists": return value != nil
        case "DoesNotExist": return value == nil
        case "Gt": return value.flatMap { Int64($0) }.map { number in values.first.flatMap { Int64($0) }.map { number > $0 } ?? false } ?? false
        case "Lt": return value.flatMap { Int64($0) }.map { number in values.first.flatMap { Int64($0) }.map { number < $0 } ?? false } ?? false
        default: return false
        }
    }
}
