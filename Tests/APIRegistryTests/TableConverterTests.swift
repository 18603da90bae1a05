import APIMachinery
import Foundation
import Testing

@testable import APIRegistry

/// Expected cells are worked out by hand from Kubernetes' printers (`pkg/printers/internalversion/printers.go`),
/// which the API server always runs in wide mode.
struct TableConverterTests {
    let now = KubeTime.parse("2024-05-01T12:00:00Z") ?? Date()

    /// An RFC 3339 time `seconds` before `now`.
    func ago(_ seconds: TimeInterval) -> JSONValue {
        .string(KubeTime.format(now.addingTimeInterval(-seconds)))
    }

    func table(_ group: String, _ resource: String, _ objects: [JSONValue], include: IncludeObjectPolicy = .metadata) -> JSONValue {
        TableConverter.table(
            group: group, resource: resource, objects: objects, listResourceVersion: "42", continueToken: nil,
            includeObject: include, now: now)
    }

    func columns(_ table: JSONValue) -> [String] {
        (table["columnDefinitions"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
    }

    func wideColumns(_ table: JSONValue) -> [String] {
        (table["columnDefinitions"]?.arrayValue ?? []).filter { $0["priority"]?.integerValue == 1 }.compactMap { $0["name"]?.stringValue }
    }

    func cells(_ table: JSONValue, row: Int = 0) -> [JSONValue] {
        table["rows"]?.arrayValue?[row]["cells"]?.arrayValue ?? []
    }

    @Test func tableEnvelope() {
        let pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": "web", "namespace": "default", "labels": ["app": "web"], "creationTimestamp": ago(45)],
        ]
        let result = TableConverter.table(
            group: "", resource: "pods", objects: [pod], listResourceVersion: "42", continueToken: "abc",
            includeObject: .metadata, now: now)
        #expect(result["kind"] == "Table")
        #expect(result["apiVersion"] == "meta.k8s.io/v1")
        #expect(result[path: "metadata", "resourceVersion"] == "42")
        #expect(result[path: "metadata", "continue"] == "abc")
        let row = result["rows"]?.arrayValue?.first
        #expect(row?[path: "object", "kind"] == "PartialObjectMetadata")
        #expect(row?[path: "object", "apiVersion"] == "meta.k8s.io/v1")
        #expect(row?[path: "object", "metadata", "labels", "app"] == "web")
        #expect(row?[path: "object", "spec"] == nil)
        let first = result["columnDefinitions"]?.arrayValue?.first
        #expect(first?["format"] == "name")
        #expect(first?["priority"] == 0)
        #expect(first?["type"] == "string")

        #expect(table("", "pods", [pod], include: .none)["rows"]?.arrayValue?.first?["object"] == nil)
        #expect(table("", "pods", [pod], include: .object)["rows"]?.arrayValue?.first?[path: "object", "kind"] == "Pod")
        #expect(table("", "pods", [])["rows"] == .array([]))
        #expect(table("", "pods", [])[path: "metadata", "continue"] == nil)
    }

    @Test func podWithOneOfTwoContainersReadyAndRestarts() {
        let pod: JSONValue = [
            "metadata": ["name": "web-1", "creationTimestamp": ago(7200)],
            "spec": ["nodeName": "node-1", "containers": [["name": "app"], ["name": "sidecar"]]],
            "status": [
                "phase": "Running", "podIP": "10.0.0.5", "podIPs": [["ip": "10.0.0.5"]],
                "containerStatuses": [
                    ["name": "app", "ready": true, "restartCount": 0, "state": ["running": ["startedAt": ago(7000)]]],
                    [
                        "name": "sidecar", "ready": false, "restartCount": 3, "state": ["running": ["startedAt": ago(60)]],
                        "lastState": ["terminated": ["exitCode": 1, "finishedAt": ago(300)]],
                    ],
                ],
            ],
        ]
        let result = table("", "pods", [pod])
        #expect(columns(result) == ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"])
        #expect(wideColumns(result) == ["IP", "Node", "Nominated Node", "Readiness Gates"])
        #expect(cells(result) == ["web-1", "1/2", "Running", "3 (5m ago)", "120m", "10.0.0.5", "node-1", "<none>", "<none>"])
    }

    @Test func podStatusReasons() {
        func status(_ pod: JSONValue) -> JSONValue? { cells(table("", "pods", [pod]))[2] }

        let crashing: JSONValue = [
            "metadata": ["name": "c"], "spec": ["containers": [["name": "app"]]],
            "status": [
                "phase": "Running",
                "containerStatuses": [["name": "app", "ready": false, "restartCount": 4, "state": ["waiting": ["reason": "CrashLoopBackOff"]]]],
            ],
        ]
        #expect(status(crashing) == "CrashLoopBackOff")
        #expect(cells(table("", "pods", [crashing]))[3] == "4")
        #expect(cells(table("", "pods", [crashing]))[4] == "<unknown>")

        let terminating: JSONValue = [
            "metadata": ["name": "t", "deletionTimestamp": ago(5)], "spec": ["containers": [["name": "app"]]],
            "status": ["phase": "Running", "containerStatuses": [["name": "app", "ready": true, "state": ["running": [:]]]]],
        ]
        #expect(status(terminating) == "Terminating")

        let initializing: JSONValue = [
            "metadata": ["name": "i"], "spec": ["initContainers": [["name": "setup"]], "containers": [["name": "app"]]],
            "status": [
                "phase": "Pending",
                "initContainerStatuses": [["name": "setup", "ready": false, "state": ["running": [:]]]],
                "containerStatuses": [["name": "app", "ready": false, "state": ["waiting": ["reason": "PodInitializing"]]]],
            ],
        ]
        #expect(status(initializing) == "Init:0/1")
        #expect(cells(table("", "pods", [initializing]))[1] == "0/1")

        let initFailed: JSONValue = [
            "metadata": ["name": "f"], "spec": ["initContainers": [["name": "setup"]], "containers": [["name": "app"]]],
            "status": [
                "phase": "Pending",
                "initContainerStatuses": [["name": "setup", "state": ["terminated": ["exitCode": 2]]]],
            ],
        ]
        #expect(status(initFailed) == "Init:ExitCode:2")

        let completed: JSONValue = [
            "metadata": ["name": "done"], "spec": ["containers": [["name": "app"]]],
            "status": [
                "phase": "Succeeded",
                "containerStatuses": [["name": "app", "ready": false, "state": ["terminated": ["exitCode": 0, "reason": "Completed"]]]],
            ],
        ]
        let completedTable = table("", "pods", [completed])
        #expect(cells(completedTable)[2] == "Completed")
        #expect(cells(completedTable)[1] == "0/1")
        #expect(completedTable["rows"]?.arrayValue?.first?["conditions"] == [
            ["type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."]
        ])

        let pending: JSONValue = ["metadata": ["name": "p"], "spec": ["containers": [["name": "app"]]], "status": ["phase": "Pending"]]
        #expect(cells(table("", "pods", [pending])) == ["p", "0/1", "Pending", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"])

        let evicted: JSONValue = ["metadata": ["name": "e"], "status": ["phase": "Failed", "reason": "Evicted"]]
        #expect(status(evicted) == "Evicted")
    }

    @Test func readinessGates() {
        let pod: JSONValue = [
            "metadata": ["name": "g"],
            "spec": ["containers": [["name": "app"]], "readinessGates": [["conditionType": "a"], ["conditionType": "b"]]],
            "status": ["phase": "Running", "conditions": [["type": "a", "status": "True"], ["type": "b", "status": "False"]]],
        ]
        #expect(cells(table("", "pods", [pod]))[8] == "1/2")
    }

    @Test func nodePortAndLoadBalancerServices() {
        let nodePort: JSONValue = [
            "metadata": ["name": "web", "creationTimestamp": ago(90)],
            "spec": [
                "type": "NodePort", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"], "selector": ["app": "web", "tier": "fe"],
                "ports": [["port": 80, "nodePort": 30080, "protocol": "TCP"], ["port": 53, "protocol": "UDP"]],
            ],
        ]
        let result = table("", "services", [nodePort])
        #expect(columns(result) == ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"])
        #expect(cells(result) == ["web", "NodePort", "10.96.0.10", "<none>", "80:30080/TCP,53/UDP", "90s", "app=web,tier=fe"])

        let balancer: JSONValue = [
            "metadata": ["name": "lb"],
            "spec": ["type": "LoadBalancer", "clusterIPs": ["10.96.0.11"], "ports": [["port": 443, "nodePort": 31443, "protocol": "TCP"]]],
        ]
        #expect(cells(table("", "services", [balancer]))[3] == "<pending>")
        var assigned = balancer
        assigned[path: "status", "loadBalancer", "ingress"] = [["ip": "203.0.113.9"], ["hostname": "lb.example.com"]]
        #expect(cells(table("", "services", [assigned]))[3] == "203.0.113.9,lb.example.com")

        let headless: JSONValue = ["metadata": ["name": "h"], "spec": ["type": "ClusterIP", "clusterIPs": ["None"]]]
        #expect(cells(table("", "services", [headless])) == ["h", "ClusterIP", "None", "<none>", "<none>", "<unknown>", "<none>"])
    }

    @Test func deploymentWideRow() {
        let deployment: JSONValue = [
            "metadata": ["name": "web", "creationTimestamp": ago(5 * 86_400)],
            "spec": [
                "replicas": 3, "selector": ["matchLabels": ["app": "web"]],
                "template": ["spec": ["containers": [["name": "nginx", "image": "nginx:1.27"], ["name": "log", "image": "busybox"]]]],
            ],
            "status": ["replicas": 3, "readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2],
        ]
        let result = table("apps", "deployments", [deployment])
        #expect(columns(result) == ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"])
        #expect(wideColumns(result) == ["Containers", "Images", "Selector"])
        #expect(cells(result) == ["web", "2/3", 3, 2, "5d", "nginx,log", "nginx:1.27,busybox", "app=web"])
    }

    @Test func replicaSetsStatefulSetsDaemonSets() {
        let replicaSet: JSONValue = [
            "metadata": ["name": "web-5d8f"],
            "spec": [
                "replicas": 2, "selector": ["matchLabels": ["app": "web", "pod-template-hash": "5d8f"]],
                "template": ["spec": ["containers": [["name": "nginx", "image": "nginx"]]]],
            ],
            "status": ["replicas": 2, "readyReplicas": 1],
        ]
        #expect(cells(table("apps", "replicasets", [replicaSet])) == [
            "web-5d8f", 2, 2, 1, "<unknown>", "nginx", "nginx", "app=web,pod-template-hash=5d8f",
        ])

        let statefulSet: JSONValue = ["metadata": ["name": "db"], "spec": ["replicas": 3], "status": ["readyReplicas": 3]]
        #expect(columns(table("apps", "statefulsets", [statefulSet])) == ["Name", "Ready", "Age", "Containers", "Images"])
        #expect(cells(table("apps", "statefulsets", [statefulSet])) == ["db", "3/3", "<unknown>", "", ""])

        let daemonSet: JSONValue = [
            "metadata": ["name": "agent"],
            "spec": ["template": ["spec": ["nodeSelector": ["kubernetes.io/os": "linux"]]]],
            "status": ["desiredNumberScheduled": 2, "currentNumberScheduled": 2, "numberReady": 1, "updatedNumberScheduled": 2, "numberAvailable": 1],
        ]
        #expect(cells(table("apps", "daemonsets", [daemonSet])) == [
            "agent", 2, 2, 1, 2, 1, "kubernetes.io/os=linux", "<unknown>", "", "", "<none>",
        ])
    }

    @Test func jobsAndCronJobs() {
        let job: JSONValue = [
            "metadata": ["name": "pi", "creationTimestamp": ago(600)],
            "spec": ["completions": 1, "parallelism": 1, "template": ["spec": ["containers": [["name": "pi", "image": "perl"]]]]],
            "status": [
                "succeeded": 1, "startTime": ago(600), "completionTime": ago(570),
                "conditions": [["type": "Complete", "status": "True"]],
            ],
        ]
        let result = table("batch", "jobs", [job])
        #expect(columns(result) == ["Name", "Status", "Completions", "Duration", "Age", "Containers", "Images", "Selector"])
        #expect(cells(result) == ["pi", "Complete", "1/1", "30s", "10m", "pi", "perl", "<none>"])

        let running: JSONValue = ["metadata": ["name": "r"], "spec": ["parallelism": 3], "status": ["startTime": ago(150)]]
        #expect(Array(cells(table("batch", "jobs", [running]))[1...3]) == ["Running", "0/1 of 3", "2m30s"])

        let cronJob: JSONValue = [
            "metadata": ["name": "nightly", "creationTimestamp": ago(3 * 3600)],
            "spec": ["schedule": "0 2 * * *", "suspend": false],
            "status": ["lastScheduleTime": ago(3600), "active": [["name": "nightly-1"]]],
        ]
        #expect(cells(table("batch", "cronjobs", [cronJob])) == [
            "nightly", "0 2 * * *", "<none>", "False", 1, "60m", "3h", "", "", "<none>",
        ])
    }

    @Test func nodes() {
        let node: JSONValue = [
            "metadata": ["name": "cp-1", "creationTimestamp": ago(49 * 3600), "labels": ["node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/etcd": ""]],
            "spec": ["unschedulable": true],
            "status": [
                "conditions": [["type": "MemoryPressure", "status": "False"], ["type": "Ready", "status": "True"]],
                "addresses": [["type": "InternalIP", "address": "192.168.1.10"], ["type": "Hostname", "address": "cp-1"]],
                "nodeInfo": ["kubeletVersion": "v1.32.0", "osImage": "Debian GNU/Linux 12 (bookworm)", "kernelVersion": "6.1.0", "containerRuntimeVersion": "containerd://1.7.0"],
            ],
        ]
        let result = table("", "nodes", [node])
        #expect(columns(result) == [
            "Name", "Status", "Roles", "Age", "Version", "Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime",
        ])
        #expect(cells(result) == [
            "cp-1", "Ready,SchedulingDisabled", "control-plane,etcd", "2d1h", "v1.32.0", "192.168.1.10", "<none>",
            "Debian GNU/Linux 12 (bookworm)", "6.1.0", "containerd://1.7.0",
        ])

        let bare: JSONValue = ["metadata": ["name": "w"], "status": ["conditions": [["type": "Ready", "status": "Unknown"]]]]
        #expect(cells(table("", "nodes", [bare])) == ["w", "NotReady", "<none>", "<unknown>", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"])
        #expect(cells(table("", "nodes", [["metadata": ["name": "x"]]]))[1] == "Unknown")
    }

    @Test func configDataAndAccounts() {
        let secret: JSONValue = ["metadata": ["name": "tls"], "type": "kubernetes.io/tls", "data": ["tls.crt": "eA==", "tls.key": "eQ==", "ca.crt": "eg=="]]
        let secrets = table("", "secrets", [secret])
        #expect(columns(secrets) == ["Name", "Type", "Data", "Age"])
        #expect(cells(secrets) == ["tls", "kubernetes.io/tls", 3, "<unknown>"])

        let configMap: JSONValue = ["metadata": ["name": "cfg"], "data": ["a": "1"], "binaryData": ["b": "AA=="]]
        #expect(cells(table("", "configmaps", [configMap])) == ["cfg", 2, "<unknown>"])

        let account: JSONValue = ["metadata": ["name": "default"]]
        #expect(columns(table("", "serviceaccounts", [account])) == ["Name", "Secrets", "Age"])
        #expect(cells(table("", "serviceaccounts", [account])) == ["default", 0, "<unknown>"])

        let namespace: JSONValue = ["metadata": ["name": "kube-system", "creationTimestamp": ago(0)], "status": ["phase": "Active"]]
        #expect(columns(table("", "namespaces", [namespace])) == ["Name", "Status", "Age"])
        #expect(cells(table("", "namespaces", [namespace])) == ["kube-system", "Active", "0s"])
    }

    @Test func events() {
        let event: JSONValue = [
            "metadata": ["name": "web-1.17a"], "involvedObject": ["kind": "Pod", "name": "web-1", "fieldPath": "spec.containers{app}"],
            "reason": "BackOff", "type": "Warning", "message": "Back-off restarting failed container\n", "count": 3,
            "firstTimestamp": ago(600), "lastTimestamp": ago(60), "source": ["component": "kubelet", "host": "node-1"],
        ]
        let result = table("", "events", [event])
        #expect(columns(result) == ["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count", "Name"])
        #expect(wideColumns(result) == ["Subobject", "Source", "First Seen", "Count", "Name"])
        #expect(cells(result) == [
            "60s", "Warning", "BackOff", "pod/web-1", "spec.containers{app}", "kubelet, node-1",
            "Back-off restarting failed container", "10m", 3, "web-1.17a",
        ])

        let modern: JSONValue = [
            "apiVersion": "events.k8s.io/v1", "metadata": ["name": "n"], "eventTime": .string(KubeTime.formatMicro(now.addingTimeInterval(-30))),
            "regarding": ["kind": "Node", "name": "node-1"], "reason": "Starting", "type": "Normal", "note": "Starting kubelet.",
            "reportingController": "kubelet", "reportingInstance": "node-1",
        ]
        #expect(cells(table("events.k8s.io", "events", [modern])) == [
            "30s", "Normal", "Starting", "node/node-1", "", "kubelet, node-1", "Starting kubelet.", "30s", 1, "n",
        ])
    }

    @Test func volumesAndClaims() {
        let volume: JSONValue = [
            "metadata": ["name": "pv-1"],
            "spec": [
                "capacity": ["storage": "10Gi"], "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "local", "claimRef": ["namespace": "default", "name": "data"],
            ],
            "status": ["phase": "Bound"],
        ]
        let volumes = table("", "persistentvolumes", [volume])
        #expect(columns(volumes) == [
            "Name", "Capacity", "Access Modes", "Reclaim Policy", "Status", "Claim", "StorageClass", "VolumeAttributesClass", "Reason", "Age", "VolumeMode",
        ])
        #expect(cells(volumes) == ["pv-1", "10Gi", "RWO,RWX", "Retain", "Bound", "default/data", "local", "<unset>", "", "<unknown>", "<unset>"])

        let pendingClaim: JSONValue = [
            "metadata": ["name": "data"], "spec": ["storageClassName": "local", "resources": ["requests": ["storage": "1Gi"]]],
            "status": ["phase": "Pending"],
        ]
        #expect(cells(table("", "persistentvolumeclaims", [pendingClaim])) == [
            "data", "Pending", "", "", "", "local", "<unset>", "<unknown>", "<unset>",
        ])
        var bound = pendingClaim
        bound[path: "spec", "volumeName"] = "pv-1"
        bound["status"] = ["phase": "Bound", "capacity": ["storage": "10Gi"], "accessModes": ["ReadWriteOnce"]]
        bound[path: "spec", "volumeMode"] = "Filesystem"
        #expect(cells(table("", "persistentvolumeclaims", [bound])) == [
            "data", "Bound", "pv-1", "10Gi", "RWO", "local", "<unset>", "<unknown>", "Filesystem",
        ])
    }

    @Test func networkingAndCluster() {
        let ingress: JSONValue = [
            "metadata": ["name": "web"],
            "spec": ["ingressClassName": "nginx", "rules": [["host": "a.example.com"], ["host": "b.example.com"]], "tls": [["hosts": ["a.example.com"]]]],
        ]
        #expect(cells(table("networking.k8s.io", "ingresses", [ingress])) == [
            "web", "nginx", "a.example.com,b.example.com", "", "80, 443", "<unknown>",
        ])

        let endpoints: JSONValue = [
            "metadata": ["name": "web"],
            "subsets": [["addresses": [["ip": "10.0.0.1"], ["ip": "10.0.0.2"], ["ip": "10.0.0.3"], ["ip": "10.0.0.4"]], "ports": [["port": 8080]]]],
        ]
        #expect(cells(table("", "endpoints", [endpoints]))[1] == "10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more...")
        #expect(cells(table("", "endpoints", [["metadata": ["name": "e"]]]))[1] == "<none>")

        let binding: JSONValue = [
            "metadata": ["name": "admins"], "roleRef": ["kind": "ClusterRole", "name": "admin"],
            "subjects": [["kind": "User", "name": "alice"], ["kind": "Group", "name": "ops"], ["kind": "ServiceAccount", "namespace": "ci", "name": "bot"]],
        ]
        #expect(cells(table("rbac.authorization.k8s.io", "rolebindings", [binding])) == [
            "admins", "ClusterRole/admin", "<unknown>", "alice", "ops", "ci/bot",
        ])

        let storageClass: JSONValue = [
            "metadata": ["name": "local", "annotations": ["storageclass.kubernetes.io/is-default-class": "true"]],
            "provisioner": "rancher.io/local-path",
        ]
        #expect(cells(table("storage.k8s.io", "storageclasses", [storageClass])) == [
            "local (default)", "rancher.io/local-path", "Delete", "Immediate", false, "<unknown>",
        ])

        let budget: JSONValue = ["metadata": ["name": "pdb"], "spec": ["minAvailable": "50%"], "status": ["disruptionsAllowed": 1]]
        #expect(cells(table("policy", "poddisruptionbudgets", [budget])) == ["pdb", "50%", "N/A", 1, "<unknown>"])

        let autoscaler: JSONValue = [
            "apiVersion": "autoscaling/v2", "metadata": ["name": "web"],
            "spec": [
                "scaleTargetRef": ["kind": "Deployment", "name": "web"], "minReplicas": 1, "maxReplicas": 10,
                "metrics": [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 80]]]],
            ],
            "status": ["currentReplicas": 2, "currentMetrics": [["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": 45]]]]],
        ]
        let autoscalers = table("autoscaling", "horizontalpodautoscalers", [autoscaler])
        #expect(columns(autoscalers) == ["Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"])
        #expect(cells(autoscalers) == ["web", "Deployment/web", "cpu: 45%/80%", "1", 10, 2, "<unknown>"])

        let lease: JSONValue = ["metadata": ["name": "kube-scheduler"], "spec": ["holderIdentity": "node-1_abc"]]
        #expect(cells(table("coordination.k8s.io", "leases", [lease])) == ["kube-scheduler", "node-1_abc", "<unknown>"])

        let priority: JSONValue = ["metadata": ["name": "high"], "value": 1000, "globalDefault": true, "preemptionPolicy": "Never"]
        #expect(cells(table("scheduling.k8s.io", "priorityclasses", [priority])) == ["high", 1000, true, "<unknown>", "Never"])
    }

    @Test func defaultTables() {
        let role: JSONValue = ["metadata": ["name": "reader", "creationTimestamp": "2024-05-01T10:00:00Z"]]
        let roles = table("rbac.authorization.k8s.io", "roles", [role])
        #expect(columns(roles) == ["Name", "Created At"])
        #expect(roles["columnDefinitions"]?.arrayValue?.last?["type"] == "date")
        #expect(cells(roles) == ["reader", "2024-05-01T10:00:00Z"])
        #expect(columns(table("", "limitranges", [role])) == ["Name", "Created At"])

        let custom: JSONValue = ["metadata": ["name": "w", "creationTimestamp": "2024-05-01T10:00:00Z"]]
        let widgets = table("example.com", "widgets", [custom])
        #expect(columns(widgets) == ["Name", "Age"])
        #expect(cells(widgets) == ["w", "120m"])
    }
}
