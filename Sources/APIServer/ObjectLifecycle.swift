import APIMachinery
import APIRegistry
import Foundation

/// The fields the server owns on every object, set the way Kubernetes' registry strategies set them.
enum ObjectLifecycle {
    /// Resources whose `metadata.generation` counts spec changes (their status reports `observedGeneration`).
    static let generationTracked: Set<String> = [
        "apps/deployments", "apps/replicasets", "apps/statefulsets", "apps/daemonsets", "batch/jobs", "batch/cronjobs",
        "networking.k8s.io/ingresses", "networking.k8s.io/networkpolicies", "networking.k8s.io/ingressclasses",
        "policy/poddisruptionbudgets", "autoscaling/horizontalpodautoscalers", "/replicationcontrollers",
        "storage.k8s.io/volumeattachments",
    ]

    static func tracksGeneration(_ definition: ResourceDefinition) -> Bool {
        generationTracked.contains("\(definition.group)/\(definition.resource)")
    }

    static func hasStatus(_ definition: ResourceDefinition) -> Bool {
        definition.subresources.contains { $0.name == "status" }
    }

    /// Kubernetes' name generator: the prefix plus five characters without vowels or look-alikes.
    static func generateName(prefix: String) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        let base = prefix.count > 58 ? String(prefix.prefix(58)) : prefix
        return base + String((0..<5).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    static func prepareForCreate(_ object: inout JSONValue, definition: ResourceDefinition, now: Date) {
        object[path: "metadata", "uid"] = .string(UUID().uuidString.lowercased())
        object[path: "metadata", "creationTimestamp"] = .string(KubeTime.format(now))
        object[path: "metadata", "resourceVersion"] = nil
        object[path: "metadata", "deletionTimestamp"] = nil
        object[path: "metadata", "deletionGracePeriodSeconds"] = nil
        object[path: "metadata", "selfLink"] = nil
        if tracksGeneration(definition) {
            object[path: "metadata", "generation"] = .integer(1)
        } else {
            object[path: "metadata", "generation"] = nil
        }
        guard hasStatus(definition) else { return }
        switch (definition.group, definition.resource) {
        case ("", "namespaces"):
            object["status"] = ["phase": "Active"]
        case ("", "pods"):
            object["status"] = ["phase": "Pending", "qosClass": .string(qosClass(of: object))]
        case ("", "persistentvolumeclaims"), ("", "persistentvolumes"):
            object["status"] = ["phase": "Pending"]
        case ("", "services"):
            object["status"] = ["loadBalancer": .emptyObject]
        case ("", "nodes"), ("", "replicationcontrollers"), ("certificates.k8s.io", _):
            break
        default:
            object["status"] = .emptyObject
        }
    }

    /// Carries server-owned fields across an update of the main resource: identity, creation time, status.
    static func prepareForUpdate(_ object: inout JSONValue, old: JSONValue, definition: ResourceDefinition, subresource: String?) {
        for field in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
            object[path: "metadata", field] = old[path: "metadata", field]
        }
        if subresource == "status" {
            // A status write changes status only (and metadata labels/annotations as Kubernetes allows).
            var updated = old
            updated["status"] = object["status"]
            for field in ["labels", "annotations", "resourceVersion"] {
                updated[path: "metadata", field] = object[path: "metadata", field]
            }
            object = updated
            return
        }
        // A binding sets the pod's PodScheduled condition along with its node; other writes keep the status.
        if hasStatus(definition) && definition.resource != "nodes" && subresource != "binding" {
            object["status"] = old["status"]
        }
        if tracksGeneration(definition), object["spec"] != old["spec"] {
            let generation = old[path: "metadata", "generation"]?.integerValue ?? 0
            object[path: "metadata", "generation"] = .integer(generation + 1)
        }
    }

    /// The pod's QoS class from its containers' requests and limits (Kubernetes' `GetPodQOS`).
    static func qosClass(of pod: JSONValue) -> String {
        let containers = (pod[path: "spec", "containers"]?.arrayValue ?? []) + (pod[path: "spec", "initContainers"]?.arrayValue ?? [])
        var anyResource = false
        var guaranteed = true
        for container in containers {
            let limits = container[path: "resources", "limits"]?.objectValue ?? [:]
            let requests = container[path: "resources", "requests"]?.objectValue ?? [:]
            if !limits.isEmpty || !requests.isEmpty { anyResource = true }
            for resource in ["cpu", "memory"] {
                guard let limit = limits[resource] else {
                    guaranteed = false
                    continue
                }
                if let request = requests[resource], request != limit { guaranteed = false }
            }
        }
        if !anyResource { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }
}
