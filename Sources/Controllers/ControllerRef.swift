import APIMachinery
import KubeClient
import KubeObjects

/// Controller references between an owner and its pods, and what an owner does with a pod it could claim
/// (Kubernetes' `PodControllerRefManager`).
enum ControllerRef {
    enum Claim: Equatable {
        /// Already ours and still selected.
        case keep
        /// An orphan the selector matches: take it by adding our controller reference.
        case adopt
        /// Ours but no longer selected: remove our reference so another controller may take it.
        case release
        /// Someone else's, or not ours to take.
        case ignore
    }

    /// The controller reference an owner puts on the pods it creates or adopts.
    static func reference(to owner: JSONValue, resource: ResourceType) -> JSONValue {
        [
            "apiVersion": .string(resource.apiVersion), "kind": .string(resource.kind),
            "name": owner[path: "metadata", "name"] ?? "", "uid": owner[path: "metadata", "uid"] ?? "",
            "controller": true, "blockOwnerDeletion": true,
        ]
    }

    static func claim(pod: JSONValue, ownerUID: String, ownerDeleting: Bool, selected: Bool) -> Claim {
        if let controller = pod.metadata.controllerRef {
            guard controller.uid == ownerUID else { return .ignore }
            if selected { return .keep }
            // A deleting owner leaves its pods to the garbage collector rather than releasing them.
            return ownerDeleting ? .ignore : .release
        }
        guard selected, !ownerDeleting, !pod.metadata.isDeleting else { return .ignore }
        return .adopt
    }

    /// A merge patch giving the pod `reference` as its controller; the resourceVersion makes it conditional on the
    /// pod being unchanged since it was read, so two controllers cannot both adopt it.
    static func adoptionPatch(_ pod: JSONValue, reference: JSONValue) -> JSONValue {
        let references = (pod[path: "metadata", "ownerReferences"]?.arrayValue ?? []) + [reference]
        return ["metadata": ["ownerReferences": .array(references), "resourceVersion": pod[path: "metadata", "resourceVersion"] ?? ""]]
    }

    /// A merge patch removing the owner's reference from the pod, conditional on the pod being unchanged.
    static func releasePatch(_ pod: JSONValue, ownerUID: String) -> JSONValue {
        let references = (pod[path: "metadata", "ownerReferences"]?.arrayValue ?? []).filter { $0["uid"]?.stringValue != ownerUID }
        return [
            "metadata": [
                "ownerReferences": references.isEmpty ? .null : .array(references),
                "resourceVersion": pod[path: "metadata", "resourceVersion"] ?? "",
            ]
        ]
    }

    /// A pod for an owner from its template (Kubernetes' `GetPodFromTemplate`): the template's labels, annotations
    /// and spec, a name generated from the owner's, and the owner as controller.
    static func pod(from template: JSONValue, owner: JSONValue, resource: ResourceType) -> JSONValue {
        var metadata: [String: JSONValue] = [
            "generateName": .string("\(owner.metadata.name)-"),
            "namespace": owner[path: "metadata", "namespace"] ?? "default",
            "ownerReferences": [reference(to: owner, resource: resource)],
        ]
        for field in ["labels", "annotations", "finalizers"] {
            if let value = template[path: "metadata", field] { metadata[field] = value }
        }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": template["spec"] ?? .emptyObject]
    }
}
