import APIMachinery
import ControllerRuntime
import KubeObjects

/// What the controllers that keep an object in every namespace (the `default` ServiceAccount, `kube-root-ca.crt`)
/// share: they work per namespace name, and only on namespaces that are not going away.
extension Informer {
    /// Queues the name of each namespace this (namespaces) informer adds or changes.
    func namespaceNames(into queue: WorkQueue<String>) -> Watch {
        Watch(
            self,
            InformerHandler(
                onAdd: { namespace in queue.add(namespace.metadata.name) },
                onUpdate: { _, namespace in queue.add(namespace.metadata.name) }))
    }

    /// The namespace called `name`, unless it is gone or terminating (creating in it would be refused).
    func activeNamespace(_ name: String) -> JSONValue? {
        guard let namespace = get(ObjectKey(namespace: nil, name: name)),
            namespace[path: "status", "phase"]?.stringValue != "Terminating", !namespace.metadata.isDeleting
        else { return nil }
        return namespace
    }
}
