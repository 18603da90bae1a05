import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects
import Logging
import ResourceQuota

/// Kubernetes' resource-quota controller: every ResourceQuota's `status.hard` follows its `spec.hard`, and its
/// `status.used` is recounted from what the namespace holds — at once when a quota is created or changed, when a pod,
/// Service or claim goes away or a pod finishes (replenishment: admission charged them, nothing else gives back), and
/// every `resyncPeriod` for everything else (objects counted with `count/<resource>`).
public final class ResourceQuotaController: Sendable {
    private let client: KubeClient
    private let quotas: Informer
    private let pods: Informer
    private let services: Informer
    private let claims: Informer
    private let logger: Logger
    private let resyncPeriod: Duration
    private let queue = WorkQueue<ObjectKey>()

    public init(context: ControllerContext, resyncPeriod: Duration = .seconds(15)) {
        client = context.client
        quotas = context.informer(.resourceQuotas)
        pods = context.informer(.pods)
        services = context.informer(.services)
        claims = context.informer(.persistentVolumeClaims)
        logger = context.logger
        self.resyncPeriod = resyncPeriod
    }

    public func run() async {
        let queue = self.queue
        let quotas = self.quotas
        let replenish: @Sendable (JSONValue) -> Void = { released in
            for quota in quotas.list(where: { $0.metadata.namespace == released.metadata.namespace }) {
                queue.add(ObjectKey(quota))
            }
        }
        let podFinished: @Sendable (JSONValue, JSONValue) -> Void = { old, new in
            let terminal: Set<String?> = ["Succeeded", "Failed"]
            let wasCharged = !terminal.contains(Pod(old).status.phase) && !old.metadata.isDeleting
            let isCharged = !terminal.contains(Pod(new).status.phase) && !new.metadata.isDeleting
            if wasCharged && !isCharged { replenish(new) }
        }
        let watches = [
            Watch(
                quotas,
                InformerHandler(
                    onAdd: { queue.add(ObjectKey($0)) },
                    onUpdate: { old, new in if old["spec"] != new["spec"] || old["status"] != new["status"] { queue.add(ObjectKey(new)) } })),
            Watch(pods, InformerHandler(onUpdate: podFinished, onDelete: replenish)),
            Watch(services, InformerHandler(onDelete: replenish)),
            Watch(claims, InformerHandler(onDelete: replenish)),
        ]
        await ControllerWorkers.run(queue, watching: watches, workers: 1, name: "resourcequota", logger: logger) { key throws(APIError) in
            try await self.sync(key)
        }
    }

    func sync(_ key: ObjectKey) async throws(APIError) -> ReconcileResult {
        guard var quota = quotas.get(key), !quota.metadata.isDeleting, let namespace = key.namespace else { return .done }
        let inNamespace: @Sendable (JSONValue) -> Bool = { $0.metadata.namespace == namespace }
        let contents = NamespaceContents(
            pods: pods.list(where: inNamespace), services: services.list(where: inNamespace),
            persistentVolumeClaims: claims.list(where: inNamespace),
            objectCounts: try await objectCounts(for: ResourceQuotaObject(quota).specHard.names, namespace: namespace))
        guard let status = QuotaStatusSync.newStatus(of: quota, in: contents, now: Date()) else { return .requeue(after: resyncPeriod) }
        quota["status"] = status
        do {
            _ = try await client.update(.resourceQuotas, quota, subresource: "status")
        } catch where error.code == 409 || error.code == 404 {
            // Admission charged it meanwhile (or it is gone): the newer quota is in the cache soon and is synced again.
            return .requeue(after: .milliseconds(100))
        }
        return .requeue(after: resyncPeriod)
    }

    /// How many objects the namespace holds of each resource a quota counts by name (`count/deployments.apps`,
    /// `configmaps`, `secrets`), read as the size of a one-item list.
    private func objectCounts(for names: Set<String>, namespace: String) async throws(APIError) -> [GroupResource: Int] {
        var counts: [GroupResource: Int] = [:]
        for resource in Set(names.compactMap(Self.countedResource)) {
            guard let type = try await listableType(resource) else { continue }
            let page = try await client.list(type, namespace: namespace, options: ListOptions(limit: 1))
            let listed = page["items"]?.arrayValue?.count ?? 0
            counts[resource] = listed + Int(page[path: "metadata", "remainingItemCount"]?.integerValue ?? 0)
        }
        return counts
    }

    /// The resource an object-count name counts: `count/<resource>[.<group>]`, or one of the legacy names.
    static func countedResource(_ name: String) -> GroupResource? {
        if name.hasPrefix("count/") {
            let qualified = name.dropFirst("count/".count)
            guard let dot = qualified.firstIndex(of: ".") else { return GroupResource(group: "", resource: String(qualified)) }
            return GroupResource(group: String(qualified[qualified.index(after: dot)...]), resource: String(qualified[..<dot]))
        }
        let legacy: Set = ["configmaps", "secrets", "replicationcontrollers", "resourcequotas", "services", "persistentvolumeclaims", "pods"]
        return legacy.contains(name) ? GroupResource(group: "", resource: name) : nil
    }

    /// The resource at the version the server prefers, or nil when the server does not serve it.
    private func listableType(_ resource: GroupResource) async throws(APIError) -> ResourceType? {
        let version: String
        if resource.group.isEmpty {
            version = "v1"
        } else {
            do {
                let group = try await client.transport.perform(KubeRequest(method: "GET", path: "/apis/\(resource.group)"))
                guard let preferred = group[path: "preferredVersion", "version"]?.stringValue else { return nil }
                version = preferred
            } catch where error.code == 404 {
                return nil
            }
        }
        return ResourceType(group: resource.group, version: version, resource: resource.resource, kind: "", namespaced: true)
    }
}
