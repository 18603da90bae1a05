import APIRegistry
import Metrics

extension KubernetesAPI {
    /// How often `apiserver_storage_objects` is counted again, as kube-apiserver polls its storage.
    static let storageObjectsPeriod: Duration = .seconds(60)

    /// kube-apiserver's `apiserver_storage_objects`: the objects of each stored resource (`pods`,
    /// `deployments.apps`), counted every period until cancelled.
    func countStoredObjects() async {
        while !Task.isCancelled {
            var counted: Set<String> = []
            for definition in catalog.resources where definition.isStored {
                // Several versions (and groups, for Events) of a resource share its storage: counted once.
                let prefix = ObjectStore.keyPrefix(definition, namespace: nil)
                guard counted.insert(prefix).inserted, let count = try? await objects.backend.count(prefix: prefix) else { continue }
                let group = VersionConversion.storageGroup(group: definition.group, resource: definition.resource)
                let name = group.isEmpty ? definition.resource : "\(definition.resource).\(group)"
                Gauge(label: "apiserver_storage_objects", dimensions: [("resource", name)]).record(count)
            }
            try? await Task.sleep(for: Self.storageObjectsPeriod)
        }
    }
}
