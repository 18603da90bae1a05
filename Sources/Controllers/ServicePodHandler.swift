import APIMachinery
import ControllerRuntime
import KubeObjects

/// The pod handler of the endpoint controllers: a pod change enqueues every Service whose selector matches the pod's
/// labels before or after the change, so that a pod leaving a Service through a relabel is noticed too.
enum ServicePodHandler {
    static func enqueue(_ queue: WorkQueue<ObjectKey>, services: Informer) -> InformerHandler {
        let enqueueSelecting: @Sendable (JSONValue) -> Void = { pod in
            for service in services.list(where: { ServiceEndpoints.selects($0, pod) }) { queue.add(ObjectKey(service)) }
        }
        return InformerHandler(
            onAdd: enqueueSelecting,
            onUpdate: { old, new in
                enqueueSelecting(new)
                if old.metadata.labels != new.metadata.labels { enqueueSelecting(old) }
            },
            onDelete: enqueueSelecting)
    }
}
