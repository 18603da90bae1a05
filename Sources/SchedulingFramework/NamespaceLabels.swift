/// The labels of the namespaces the snapshot was told about, for affinity terms with a `namespaceSelector`.
struct NamespaceLabels: Sendable {
    var known: [String: [String: String]] = [:]

    /// A namespace's labels; for one not recorded, the `kubernetes.io/metadata.name` label the API server puts on
    /// every namespace.
    func labels(of namespace: String) -> [String: String] {
        known[namespace] ?? ["kubernetes.io/metadata.name": namespace]
    }
}
