import APIMachinery
import KubeObjects

/// What each node may read, as Kubernetes' Node authorizer knows it (plugin/pkg/auth/authorizer/node's graph): the
/// Secrets, ConfigMaps, claims and service accounts of the pods bound to the node, and the volumes of those claims.
/// Kept current from every pod and claim; a pod counts from the moment it is bound (`spec.nodeName`).
public struct NodeGraph: Sendable {
    /// An object of a namespace.
    struct ObjectName: Hashable {
        var namespace: String
        var name: String
    }

    /// What one bound pod refers to.
    struct PodReferences: Hashable {
        var node: String
        var secrets: Set<String> = []
        var configMaps: Set<String> = []
        var claims: Set<String> = []
        var serviceAccount: String = ""
    }

    public enum Kind: Sendable, Hashable {
        case secret, configMap, claim, serviceAccount
    }

    private struct Reference: Hashable {
        var kind: Kind
        var object: ObjectName
    }

    private var pods: [ObjectName: PodReferences] = [:]
    /// How many of a node's pods refer to each object.
    private var references: [String: [Reference: Int]] = [:]
    /// The volume each bound claim is bound to.
    private var claimVolumes: [ObjectName: String] = [:]

    public init() {}

    // MARK: - Keeping it current

    /// Adds or replaces a pod; one not yet bound to a node refers to nothing yet.
    public mutating func apply(pod: JSONValue) {
        let key = ObjectName(namespace: pod.metadata.namespace ?? "", name: pod.metadata.name)
        removePod(namespace: key.namespace, name: key.name)
        guard let node = pod[path: "spec", "nodeName"]?.stringValue, !node.isEmpty else { return }
        let found = Self.references(of: pod, node: node)
        pods[key] = found
        for reference in Self.flatten(found, namespace: key.namespace) {
            references[node, default: [:]][reference, default: 0] += 1
        }
    }

    public mutating func removePod(namespace: String, name: String) {
        let key = ObjectName(namespace: namespace, name: name)
        guard let old = pods.removeValue(forKey: key) else { return }
        for reference in Self.flatten(old, namespace: namespace) {
            let count = (references[old.node]?[reference] ?? 1) - 1
            references[old.node]?[reference] = count > 0 ? count : nil
        }
        if references[old.node]?.isEmpty == true { references[old.node] = nil }
    }

    /// Adds or replaces a claim's binding to its volume.
    public mutating func apply(claim: JSONValue) {
        let key = ObjectName(namespace: claim.metadata.namespace ?? "", name: claim.metadata.name)
        if let volume = PersistentVolumeClaim(claim).volumeName {
            claimVolumes[key] = volume
        } else {
            claimVolumes[key] = nil
        }
    }

    public mutating func removeClaim(namespace: String, name: String) {
        claimVolumes[ObjectName(namespace: namespace, name: name)] = nil
    }

    /// Forgets every pod, before they are read again.
    public mutating func removeAllPods() {
        pods = [:]
        references = [:]
    }

    public mutating func removeAllClaims() {
        claimVolumes = [:]
    }

    private static func flatten(_ found: PodReferences, namespace: String) -> [Reference] {
        found.secrets.map { Reference(kind: .secret, object: ObjectName(namespace: namespace, name: $0)) }
            + found.configMaps.map { Reference(kind: .configMap, object: ObjectName(namespace: namespace, name: $0)) }
            + found.claims.map { Reference(kind: .claim, object: ObjectName(namespace: namespace, name: $0)) }
            + (found.serviceAccount.isEmpty ? [] : [Reference(kind: .serviceAccount, object: ObjectName(namespace: namespace, name: found.serviceAccount))])
    }

    /// The objects a pod refers to, as the kubelet reads them: image pull secrets, volumes (secret, configMap,
    /// projected, persistentVolumeClaim, ephemeral claims `<pod>-<volume>`), and every container's `env` and
    /// `envFrom` references.
    static func references(of pod: JSONValue, node: String) -> PodReferences {
        var found = PodReferences(node: node)
        let spec = pod["spec"] ?? .emptyObject
        found.serviceAccount = spec["serviceAccountName"]?.stringValue ?? spec["serviceAccount"]?.stringValue ?? "default"
        for secret in spec["imagePullSecrets"]?.arrayValue ?? [] {
            if let name = secret["name"]?.stringValue { found.secrets.insert(name) }
        }
        for volume in spec["volumes"]?.arrayValue ?? [] {
            if let name = volume[path: "secret", "secretName"]?.stringValue { found.secrets.insert(name) }
            if let name = volume[path: "configMap", "name"]?.stringValue { found.configMaps.insert(name) }
            if let name = volume[path: "persistentVolumeClaim", "claimName"]?.stringValue { found.claims.insert(name) }
            if volume["ephemeral"].map({ !$0.isNull }) == true, let volumeName = volume["name"]?.stringValue {
                found.claims.insert("\(pod.metadata.name)-\(volumeName)")
            }
            for source in volume[path: "projected", "sources"]?.arrayValue ?? [] {
                if let name = source[path: "secret", "name"]?.stringValue { found.secrets.insert(name) }
                if let name = source[path: "configMap", "name"]?.stringValue { found.configMaps.insert(name) }
            }
        }
        for field in ["initContainers", "containers", "ephemeralContainers"] {
            for container in spec[field]?.arrayValue ?? [] {
                for variable in container["env"]?.arrayValue ?? [] {
                    if let name = variable[path: "valueFrom", "secretKeyRef", "name"]?.stringValue { found.secrets.insert(name) }
                    if let name = variable[path: "valueFrom", "configMapKeyRef", "name"]?.stringValue { found.configMaps.insert(name) }
                }
                for source in container["envFrom"]?.arrayValue ?? [] {
                    if let name = source[path: "secretRef", "name"]?.stringValue { found.secrets.insert(name) }
                    if let name = source[path: "configMapRef", "name"]?.stringValue { found.configMaps.insert(name) }
                }
            }
        }
        return found
    }

    // MARK: - Answering

    /// Whether a pod bound to `node` refers to the object.
    public func relates(node: String, _ kind: Kind, namespace: String, name: String) -> Bool {
        references[node]?[Reference(kind: kind, object: ObjectName(namespace: namespace, name: name))] != nil
    }

    /// Whether a claim of a pod bound to `node` is bound to the volume.
    public func relates(node: String, volume: String) -> Bool {
        guard let mine = references[node] else { return false }
        return claimVolumes.contains { claim, bound in bound == volume && mine[Reference(kind: .claim, object: claim)] != nil }
    }
}
