import APIMachinery
import ControllerRuntime
import Foundation
import KubeClient
import KubeObjects

extension DeploymentController {
    /// Writes replica counts and the `Available` and `Progressing` conditions as Kubernetes words them.
    func writeStatus(
        _ deployment: JSONValue, newSet: JSONValue?, all: [JSONValue], desired: Int64, created: String?, paused: Bool
    ) async throws(APIError) -> ReconcileResult {
        let time = now()
        let stamp = JSONValue.string(KubeTime.format(time))
        let (_, unavailable) = DeploymentRollout.fenceposts(of: deployment)
        let replicas = all.map { Self.statusCount($0, "replicas") }.reduce(0, +)
        let updated = newSet.map { Self.statusCount($0, "replicas") } ?? 0
        let ready = all.map { Self.statusCount($0, "readyReplicas") }.reduce(0, +)
        let available = all.map { Self.statusCount($0, "availableReplicas") }.reduce(0, +)
        var status = deployment["status"] ?? .emptyObject
        status["observedGeneration"] = deployment[path: "metadata", "generation"] ?? 1
        status["replicas"] = .integer(replicas)
        status["updatedReplicas"] = .integer(updated)
        status["readyReplicas"] = .integer(ready)
        status["availableReplicas"] = .integer(available)
        status["unavailableReplicas"] = .integer(max(0, desired - available))

        var conditions = status["conditions"]?.arrayValue ?? []
        func set(_ type: String, _ value: String, _ reason: String, _ message: String) {
            let previous = conditions.first { $0["type"]?.stringValue == type }
            guard previous?["reason"]?.stringValue != reason || previous?["message"]?.stringValue != message || previous?["status"]?.stringValue != value
            else { return }
            let transition = previous?["status"]?.stringValue == value ? previous?["lastTransitionTime"] ?? stamp : stamp
            conditions.removeAll { $0["type"]?.stringValue == type }
            conditions.append([
                "type": .string(type), "status": .string(value), "reason": .string(reason), "message": .string(message),
                "lastUpdateTime": stamp, "lastTransitionTime": transition,
            ])
        }
        if available >= desired - unavailable {
            set("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        } else {
            set("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
        }
        let name = newSet?.metadata.name ?? ""
        let complete = updated == desired && replicas == desired && available == desired && newSet.map { ReplicaSet($0).spec.replicas == desired } ?? false
        var result = ReconcileResult.done
        let progressing = conditions.first { $0["type"]?.stringValue == "Progressing" }
        if paused {
            set("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused")
        } else if complete {
            set("Progressing", "True", "NewReplicaSetAvailable", "ReplicaSet \"\(name)\" has successfully progressed.")
        } else if let created {
            set("Progressing", "True", "NewReplicaSetCreated", "Created new replica set \"\(created)\"")
        } else if progressing?["reason"]?.stringValue != "ProgressDeadlineExceeded" {
            let deadline = TimeInterval(Deployment(deployment).spec.progressDeadlineSeconds)
            let since = progressing?["lastUpdateTime"]?.stringValue.flatMap(KubeTime.parse) ?? time
            let changed = status["updatedReplicas"] != deployment[path: "status", "updatedReplicas"]
                || status["availableReplicas"] != deployment[path: "status", "availableReplicas"]
                || status["replicas"] != deployment[path: "status", "replicas"]
            if changed || progressing?["reason"]?.stringValue == "DeploymentPaused" || progressing == nil {
                set("Progressing", "True", "ReplicaSetUpdated", "ReplicaSet \"\(name)\" is progressing.")
                if let index = conditions.firstIndex(where: { $0["type"]?.stringValue == "Progressing" }) { conditions[index]["lastUpdateTime"] = stamp }
                result = .requeue(after: .seconds(Int64(deadline) + 1))
            } else if time.timeIntervalSince(since) >= deadline {
                set("Progressing", "False", "ProgressDeadlineExceeded", "ReplicaSet \"\(name)\" has timed out progressing.")
            } else {
                result = .requeue(after: .milliseconds(Int64((deadline - time.timeIntervalSince(since)) * 1000) + 100))
            }
        }
        status["conditions"] = .array(conditions.sorted { ($0["type"]?.stringValue ?? "") < ($1["type"]?.stringValue ?? "") })
        if status != deployment["status"] {
            var changed = deployment
            changed["status"] = status
            _ = try await client.update(.deployments, changed, subresource: "status")
        }
        return result
    }
}
