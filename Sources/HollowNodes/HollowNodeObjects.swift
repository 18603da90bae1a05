import APIMachinery
import Foundation
import KubeObjects
import NodeAgent

/// The objects a hollow node writes, as a kubelet would write them.
enum HollowNodeObjects {
    static let kubeletVersion = "v1.32.0"
    /// Annotations a test puts on a pod to script what its hollow containers do.
    static let exitCodeAnnotation = "hollow.skiff.dev/exit-code"
    static let runSecondsAnnotation = "hollow.skiff.dev/run-seconds"

    /// A hollow node's address: from 198.18.0.0/15, the range set aside for benchmarking, so it never reaches a real host.
    static func address(index: Int) -> String {
        // Offset by one so that no node gets the range's network address.
        let host = index + 1
        return "198.\(18 + (host >> 16) & 1).\((host >> 8) & 0xff).\(host & 0xff)"
    }

    static func node(name: String, index: Int, options: HollowNodeOptions, now: Date) -> JSONValue {
        var labels: [String: JSONValue] = [
            "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": .string(name), "kubernetes.io/os": "linux", "skiff.dev/hollow": "true",
        ]
        for (key, value) in options.labels { labels[key] = .string(value) }
        let resources: JSONValue = [
            "cpu": .string(options.cpu), "memory": .string(options.memory), "pods": .string(String(options.pods)),
            "ephemeral-storage": .string(options.ephemeralStorage),
        ]
        return [
            "apiVersion": "v1", "kind": "Node",
            "metadata": ["name": .string(name), "labels": .object(labels)],
            "spec": .emptyObject,
            "status": [
                "capacity": resources, "allocatable": resources,
                "conditions": .array(NodeAgent.conditions(now: now)),
                "addresses": [["type": "InternalIP", "address": .string(address(index: index))], ["type": "Hostname", "address": .string(name)]],
                "daemonEndpoints": ["kubeletEndpoint": ["Port": 10250]],
                "nodeInfo": [
                    "machineID": .string(identifier(name, "machine")), "systemUUID": .string(identifier(name, "system")),
                    "bootID": .string(UUID().uuidString.lowercased()), "kernelVersion": "hollow", "osImage": "Skiff hollow node",
                    "containerRuntimeVersion": "hollow://1.0.0", "kubeletVersion": .string(kubeletVersion), "kubeProxyVersion": .string(kubeletVersion),
                    "operatingSystem": "linux", "architecture": "amd64",
                ],
            ],
        ]
    }

    static func lease(node: String, uid: String?, options: HollowNodeOptions, now: Date) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(node), "namespace": "kube-node-lease"]
        if let uid {
            metadata["ownerReferences"] = [["apiVersion": "v1", "kind": "Node", "name": .string(node), "uid": .string(uid)]]
        }
        return [
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": .object(metadata),
            "spec": [
                "holderIdentity": .string(node), "leaseDurationSeconds": .integer(Int64(options.leaseDurationSeconds)),
                "renewTime": .string(KubeTime.formatMicro(now)),
            ],
        ]
    }

    /// A stable identifier derived from the node name, as a machine ID is stable across restarts.
    private static func identifier(_ name: String, _ salt: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (salt + name).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(hash, radix: 16) + String(hash.byteSwapped, radix: 16)
    }

    /// Whether the pod's containers run to completion (Jobs) rather than forever.
    static func runsToCompletion(_ pod: JSONValue) -> Bool {
        let policy = pod[path: "spec", "restartPolicy"]?.stringValue ?? "Always"
        return policy != "Always"
    }

    static func exitCode(_ pod: JSONValue) -> Int64 {
        pod.metadata.annotations[exitCodeAnnotation].flatMap { Int64($0) } ?? 0
    }

    static func runDuration(_ pod: JSONValue, default fallback: Duration) -> Duration {
        guard let text = pod.metadata.annotations[runSecondsAnnotation], let seconds = Double(text) else {
            return fallback
        }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// The status of a pod whose containers all started: Running and Ready.
    static func runningStatus(_ pod: JSONValue, hostIP: String, podIP: String?, now: Date) -> JSONValue {
        var status = pod["status"] ?? .emptyObject
        let time = JSONValue.string(KubeTime.format(now))
        let containers = pod[path: "spec", "containers"]?.arrayValue ?? []
        status["phase"] = "Running"
        status["hostIP"] = .string(hostIP)
        status["hostIPs"] = [["ip": .string(hostIP)]]
        if let podIP {
            status["podIP"] = .string(podIP)
            status["podIPs"] = [["ip": .string(podIP)]]
        }
        if status["startTime"] == nil { status["startTime"] = time }
        status["conditions"] = .array(
            ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"].map { type in
                let transition = existingTransition(status, type) ?? time
                return ["type": .string(type), "status": "True", "lastProbeTime": .null, "lastTransitionTime": transition]
            })
        status["containerStatuses"] = .array(
            containers.map { container in
                containerStatus(container, pod: pod, state: ["running": ["startedAt": time]], ready: true)
            })
        if let initContainers = pod[path: "spec", "initContainers"]?.arrayValue, !initContainers.isEmpty {
            status["initContainerStatuses"] = .array(
                initContainers.map { container in
                    containerStatus(
                        container, pod: pod,
                        state: ["terminated": ["exitCode": 0, "reason": "Completed", "startedAt": time, "finishedAt": time]], ready: true)
                })
        }
        return status
    }

    /// The status of a pod whose containers exited: Succeeded with exit code 0, Failed otherwise.
    static func terminatedStatus(_ pod: JSONValue, exitCode: Int64, now: Date) -> JSONValue {
        var status = pod["status"] ?? .emptyObject
        let time = JSONValue.string(KubeTime.format(now))
        let started = status["startTime"] ?? time
        let succeeded = exitCode == 0
        status["phase"] = succeeded ? "Succeeded" : "Failed"
        let reason: JSONValue = succeeded ? "PodCompleted" : "PodFailed"
        status["conditions"] = .array(
            ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"].map { type in
                let ready = type == "Ready" || type == "ContainersReady"
                let initialized = type == "Initialized"
                var condition: JSONValue = [
                    "type": .string(type), "status": ready || type == "PodReadyToStartContainers" ? "False" : "True", "lastProbeTime": .null,
                    "lastTransitionTime": ready || type == "PodReadyToStartContainers" ? time : (existingTransition(status, type) ?? time),
                ]
                if ready || initialized { condition["reason"] = reason }
                return condition
            })
        status["containerStatuses"] = .array(
            (pod[path: "spec", "containers"]?.arrayValue ?? []).map { container in
                containerStatus(
                    container, pod: pod,
                    state: [
                        "terminated": [
                            "exitCode": .integer(exitCode), "reason": succeeded ? "Completed" : "Error", "startedAt": started, "finishedAt": time,
                        ]
                    ], ready: false)
            })
        return status
    }

    private static func existingTransition(_ status: JSONValue, _ type: String) -> JSONValue? {
        status["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }?["lastTransitionTime"]
    }

    private static func containerStatus(_ container: JSONValue, pod: JSONValue, state: JSONValue, ready: Bool) -> JSONValue {
        let name = container["name"]?.stringValue ?? ""
        let image = container["image"]?.stringValue ?? ""
        let uid = pod.metadata.uid
        return [
            "name": .string(name), "image": .string(image), "imageID": .string("hollow://\(image)"),
            "containerID": .string("hollow://\(uid)/\(name)"), "ready": .bool(ready), "started": .bool(state["running"] != nil),
            "restartCount": 0, "state": state, "lastState": .emptyObject,
        ]
    }
}
