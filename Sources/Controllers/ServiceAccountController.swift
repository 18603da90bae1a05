import APIMachinery
import ControllerRuntime
import KubeClient
import KubeObjects
import Logging

/// Gives every active namespace a `default` ServiceAccount, and puts it back if it is deleted, as Kubernetes'
/// serviceaccounts controller does.
public final class ServiceAccountController: Sendable {
    static let accountName = "default"

    private let client: KubeClient
    private let namespaces: Informer
    private let serviceAccounts: Informer
    private let logger: Logger
    private let queue = WorkQueue<String>()

    public init(context: ControllerContext) {
        client = context.client
        namespaces = context.informer(.namespaces)
        serviceAccounts = context.informer(.serviceAccounts)
        logger = context.logger
    }

    public func run() async {
        let watches = [
            namespaces.namespaceNames(into: queue),
            Watch(
                serviceAccounts,
                InformerHandler(onDelete: { [queue] account in
                    guard account.metadata.name == Self.accountName else { return }
                    account.metadata.namespace.map(queue.add)
                })),
        ]
        await ControllerWorkers.run(queue, watching: watches, workers: 1, name: "serviceaccount", logger: logger) { namespace throws(APIError) in
            try await self.reconcile(namespace)
        }
    }

    private func reconcile(_ namespace: String) async throws(APIError) -> ReconcileResult {
        guard namespaces.activeNamespace(namespace) != nil else { return .done }
        if serviceAccounts.get(ObjectKey(namespace: namespace, name: Self.accountName)) != nil { return .done }
        let account: JSONValue = [
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": .string(Self.accountName), "namespace": .string(namespace)],
        ]
        do throws(APIError) {
            _ = try await client.create(.serviceAccounts, namespace: namespace, account)
        } catch where error.isAlreadyExists {
            return .done
        } catch where error.code == 403 || error.isNotFound {
            // The namespace started terminating (or went away) meanwhile.
            return .done
        }
        return .done
    }
}
