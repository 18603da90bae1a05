import APIMachinery
import Foundation

/// `kubectl get pods`: NAME READY STATUS RESTARTS AGE | IP NODE NOMINATED NODE READINESS GATES.
extension TablePrinter {
    static let pods = TablePrinter(
        columns: [
            .name,
            TableColumn("Ready", "The aggregate readiness state of this pod for accepting traffic."),
            TableColumn("Status", "The aggregate status of the containers in this pod."),
            TableColumn(
                "Restarts",
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."
            ),
            .age,
            TableColumn("IP", "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", priority: 1),
            TableColumn("Node", "NodeName indicates in which node this pod is scheduled.", priority: 1),
            TableColumn("Nominated Node", "nominatedNodeName is set only when this pod preempts other pods on the node.", priority: 1),
            TableColumn("Readiness Gates", "If specified, all readiness gates will be evaluated for pod readiness.", priority: 1),
        ],
        cells: podCells,
        conditions: { pod in
            switch pod.string("status", "phase") {
            case "Succeeded":
                return [["type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."]]
            case "Failed":
                return [["type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."]]
            default:
                return []
            }
        })

    /// READY, STATUS and RESTARTS follow `printPod` step by step: init containers first, then the app containers
    /// from last to first (so the first container's state wins), then deletion.
    private static func podCells(_ pod: PrintedObject) -> [JSONValue] {
        let phase = pod.string("status", "phase")
        var reason = pod.optionalString("status", "reason").flatMap { $0.isEmpty ? nil : $0 } ?? phase
        let conditions = pod.array("status", "conditions")
        for condition in conditions
        where condition["type"]?.stringValue == "PodScheduled" && condition["reason"]?.stringValue == "SchedulingGated" {
            reason = "SchedulingGated"
        }

        let initContainers = pod.array("spec", "initContainers")
        let restartableInit = Set(
            initContainers.filter { $0["restartPolicy"]?.stringValue == "Always" }.compactMap { $0["name"]?.stringValue })
        let totalContainers = pod.array("spec", "containers").count + restartableInit.count
        var readyContainers = 0
        var restarts: Int64 = 0
        var restartableInitRestarts: Int64 = 0
        var lastRestart: Date?
        var lastRestartableInitRestart: Date?

        var initializing = false
        for (index, status) in pod.array("status", "initContainerStatuses").enumerated() {
            let restartCount = status["restartCount"]?.integerValue ?? 0
            let finished = terminatedAt(status)
            restarts += restartCount
            lastRestart = later(lastRestart, finished)
            let name = status["name"]?.stringValue ?? ""
            let isRestartable = restartableInit.contains(name)
            if isRestartable {
                restartableInitRestarts += restartCount
                lastRestartableInitRestart = later(lastRestartableInitRestart, finished)
            }
            let terminated = status[path: "state", "terminated"]
            let waitingReason = status[path: "state", "waiting", "reason"]?.stringValue ?? ""
            if let terminated, (terminated["exitCode"]?.integerValue ?? 0) == 0 {
                continue
            }
            if isRestartable, status["started"]?.boolValue == true {
                if status["ready"]?.boolValue == true { readyContainers += 1 }
                continue
            }
            if let terminated {
                let terminatedReason = terminated["reason"]?.stringValue ?? ""
                if terminatedReason.isEmpty {
                    let signal = terminated["signal"]?.integerValue ?? 0
                    reason =
                        signal != 0
                        ? "Init:Signal:\(signal)" : "Init:ExitCode:\(terminated["exitCode"]?.integerValue ?? 0)"
                } else {
                    reason = "Init:" + terminatedReason
                }
            } else if !waitingReason.isEmpty, waitingReason != "PodInitializing" {
                reason = "Init:" + waitingReason
            } else {
                reason = "Init:\(index)/\(initContainers.count)"
            }
            initializing = true
            break
        }

        let initialized = conditions.contains {
            $0["type"]?.stringValue == "Initialized" && $0["status"]?.stringValue == "True"
        }
        if !initializing || initialized {
            restarts = restartableInitRestarts
            lastRestart = lastRestartableInitRestart
            var hasRunning = false
            for status in pod.array("status", "containerStatuses").reversed() {
                restarts += status["restartCount"]?.integerValue ?? 0
                lastRestart = later(lastRestart, terminatedAt(status))
                let waitingReason = status[path: "state", "waiting", "reason"]?.stringValue ?? ""
                let terminated = status[path: "state", "terminated"]
                let terminatedReason = terminated?["reason"]?.stringValue ?? ""
                if !waitingReason.isEmpty {
                    reason = waitingReason
                } else if terminated != nil, !terminatedReason.isEmpty {
                    reason = terminatedReason
                } else if let terminated {
                    let signal = terminated["signal"]?.integerValue ?? 0
                    reason = signal != 0 ? "Signal:\(signal)" : "ExitCode:\(terminated["exitCode"]?.integerValue ?? 0)"
                } else if status["ready"]?.boolValue == true, status[path: "state", "running"] != nil {
                    hasRunning = true
                    readyContainers += 1
                }
            }
            // A pod whose first container completed while another still runs is reported by the pod's readiness.
            if reason == "Completed" && hasRunning {
                let ready = conditions.contains { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }
                reason = ready ? "Running" : "NotReady"
            }
        }

        if pod.isDeleting && pod.string("status", "reason") == "NodeLost" {
            reason = "Unknown"
        } else if pod.isDeleting && phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating"
        }

        var restartText = String(restarts)
        if restarts != 0, let lastRestart {
            restartText = "\(restarts) (\(TableFormat.humanDuration(pod.now.timeIntervalSince(lastRestart))) ago)"
        }

        let podIP = pod.array("status", "podIPs").first?["ip"]?.stringValue ?? pod.string("status", "podIP")
        let node = pod.string("spec", "nodeName")
        let nominated = pod.string("status", "nominatedNodeName")
        var readinessGates = "<none>"
        let gates = pod.array("spec", "readinessGates")
        if !gates.isEmpty {
            var satisfied = 0
            for gate in gates {
                let type = gate["conditionType"]?.stringValue
                if let condition = conditions.first(where: { $0["type"]?.stringValue == type }),
                    condition["status"]?.stringValue == "True"
                {
                    satisfied += 1
                }
            }
            readinessGates = "\(satisfied)/\(gates.count)"
        }
        return [
            .string(pod.name), .string("\(readyContainers)/\(totalContainers)"), .string(reason), .string(restartText),
            .string(pod.age), .string(podIP.isEmpty ? "<none>" : podIP), .string(node.isEmpty ? "<none>" : node),
            .string(nominated.isEmpty ? "<none>" : nominated), .string(readinessGates),
        ]
    }

    /// When the container last terminated (`lastState.terminated.finishedAt`), if it has.
    private static func terminatedAt(_ status: JSONValue) -> Date? {
        status[path: "lastState", "terminated", "finishedAt"]?.stringValue.flatMap(KubeTime.parse)
    }

    private static func later(_ current: Date?, _ candidate: Date?) -> Date? {
        guard let candidate, candidate.timeIntervalSince1970 > TableFormat.zeroTime else { return current }
        guard let current else { return candidate }
        return max(current, candidate)
    }
}
