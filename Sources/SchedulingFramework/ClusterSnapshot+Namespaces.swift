import APIMachinery
import KubeObjects

/// Namespace labels, which affinity terms with a `namespaceSelector` match against.
extension ClusterSnapshot {
    /// Records a namespace object's labels.
    public mutating func upsertNamespace(_ namespace: JSONValue) {
        guard let name = namespace[path: "metadata", "name"]?.stringValue else { return }
        namespaces.known[name] = PodInfo.stringMap(namespace[path: "metadata", "labels"])
    }

    public mutating func removeNamespace(named name: String) {
        namespaces.known[name] = nil
    }

    /// The labels of a namespace; for one the snapshot has not been told about, the
    /// `kubernetes.io/metadata.name` label the API server puts on every namespace.
    public func namespaceLabels(_ name: String) -> [String: String] {
        namespaces.labels(of: name)
    }
}
