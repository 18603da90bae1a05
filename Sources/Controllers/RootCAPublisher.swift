import APIMachinery
import ControllerRuntime
import KubeClient
import KubeObjects
import Logging

/// Publishes the cluster CA as the `kube-root-ca.crt` ConfigMap in every active namespace, so pods can trust the
/// API server (Kubernetes' root-ca-cert-publisher); restores it when it is changed or deleted.
public final class RootCAPublisher: Sendable {
    static let configMapName = "kube-root-ca.crt"

    private let client: KubeClient
    private let namespaces: Informer
    private let configMaps: Informer
    private let caCertificatePEM: String
    private let logger: Logger
    private let queue = WorkQueue<String>()

    public init(context: ControllerContext, caCertificatePEM: String) {
        client = context.client
        namespaces = context.informer(.namespaces)
        // Only the one ConfigMap the publisher manages, not every ConfigMap of the cluster.
        configMaps = context.informer(.configMaps, selectors: ListOptions(fieldSelector: "metadata.name=\(Self.configMapName)"))
        self.caCertificatePEM = caCertificatePEM
        logger = context.logger
    }

    public func run() async {
        let enqueueOwn: @Sendable (JSONValue) -> Void = { [queue] configMap in
            guard configMap.metadata.name == Self.configMapName else { return }
            configMap.metadata.namespace.map(queue.add)
        }
        let watches = [
            namespaces.namespaceNames(into: queue),
            Watch(configMaps, InformerHandler(onAdd: enqueueOwn, onUpdate: { _, new in enqueueOwn(new) }, onDelete: enqueueOwn)),
        ]
        await ControllerWorkers.run(queue, watching: watches, workers: 1, name: "root-ca-cert-publisher", logger: logger) { namespace throws(APIError) in
            try await self.reconcile(namespace)
        }
    }

    private func reconcile(_ namespace: String) async throws(APIError) -> ReconcileResult {
        guard namespaces.activeNamespace(namespace) != nil else { return .done }
        let data: JSONValue = ["ca.crt": .string(caCertificatePEM)]
        do throws(APIError) {
            if var existing = configMaps.get(ObjectKey(namespace: namespace, name: Self.configMapName)) {
                guard existing["data"] != data else { return .done }
                existing["data"] = data
                _ = try await client.update(.configMaps, existing)
            } else {
                let configMap: JSONValue = [
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": ["name": .string(Self.configMapName), "namespace": .string(namespace)], "data": data,
                ]
                _ = try await client.create(.configMaps, namespace: namespace, configMap)
            }
        } catch where error.isAlreadyExists || error.code == 403 || error.isNotFound {
            return .done
        }
        return .done
    }
}
