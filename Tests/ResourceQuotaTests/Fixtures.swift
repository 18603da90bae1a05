import APIMachinery
import Foundation

/// Objects as the API server stores them, with only what quota reads.
enum Fixtures {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func container(_ name: String, requests: JSONValue? = nil, limits: JSONValue? = nil, restartPolicy: String? = nil) -> JSONValue {
        var container: JSONValue = ["name": .string(name), "image": "nginx"]
        if let requests { container[path: "resources", "requests"] = requests }
        if let limits { container[path: "resources", "limits"] = limits }
        if let restartPolicy { container["restartPolicy"] = .string(restartPolicy) }
        return container
    }

    static func pod(
        _ name: String, containers: [JSONValue], initContainers: [JSONValue] = [], spec extra: [String: JSONValue] = [:], phase: String? = nil
    ) -> JSONValue {
        var pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "shop", "resourceVersion": "7"],
            "spec": ["containers": .array(containers)],
        ]
        if !initContainers.isEmpty { pod[path: "spec", "initContainers"] = .array(initContainers) }
        for (key, value) in extra { pod[path: "spec", key] = value }
        if let phase { pod[path: "status", "phase"] = .string(phase) }
        return pod
    }

    /// A pod of one container `web` with these requests and limits.
    static func webPod(requests: JSONValue? = nil, limits: JSONValue? = nil) -> JSONValue {
        pod("web", containers: [container("web", requests: requests, limits: limits)])
    }

    /// A quota as the controller has synced it: `status.hard` is `hard`; `used` nil leaves the status unsynced.
    static func quota(_ name: String, hard: JSONValue, used: JSONValue?, scopes: [String] = [], scopeSelector: [JSONValue] = []) -> JSONValue {
        var quota: JSONValue = [
            "apiVersion": "v1", "kind": "ResourceQuota", "metadata": ["name": .string(name), "namespace": "shop", "resourceVersion": "3"],
            "spec": ["hard": hard],
        ]
        if !scopes.isEmpty { quota[path: "spec", "scopes"] = .array(scopes.map { .string($0) }) }
        if !scopeSelector.isEmpty { quota[path: "spec", "scopeSelector", "matchExpressions"] = .array(scopeSelector) }
        if let used { quota["status"] = ["hard": hard, "used": used] }
        return quota
    }

    static func service(_ name: String, type: String, ports: [JSONValue], allocateNodePorts: Bool? = nil) -> JSONValue {
        var service: JSONValue = ["metadata": ["name": .string(name), "namespace": "shop"], "spec": ["type": .string(type), "ports": .array(ports)]]
        if let allocateNodePorts { service[path: "spec", "allocateLoadBalancerNodePorts"] = .bool(allocateNodePorts) }
        return service
    }

    static func claim(_ name: String, storage: String, className: String? = nil, allocated: String? = nil, resourceVersion: String = "5") -> JSONValue {
        var claim: JSONValue = [
            "metadata": ["name": .string(name), "namespace": "shop", "resourceVersion": .string(resourceVersion)],
            "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": .string(storage)]]],
        ]
        if let className { claim[path: "spec", "storageClassName"] = .string(className) }
        if let allocated { claim[path: "status", "allocatedResources", "storage"] = .string(allocated) }
        return claim
    }
}
