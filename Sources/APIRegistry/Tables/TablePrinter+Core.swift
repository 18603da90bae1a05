import APIMachinery

/// Nodes, namespaces, config maps, secrets, service accounts, pod templates, resource quotas, component statuses.
extension TablePrinter {
    static let nodes = TablePrinter(
        columns: [
            .name, TableColumn("Status", "The status of the node"), TableColumn("Roles", "The roles of the node"), .age,
            TableColumn("Version", "Kubelet Version reported by the node."),
            TableColumn("Internal-IP", "List of addresses reachable to the node.", priority: 1),
            TableColumn("External-IP", "List of addresses reachable to the node.", priority: 1),
            TableColumn("OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", priority: 1),
            TableColumn("Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", priority: 1),
            TableColumn("Container-Runtime", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", priority: 1),
        ],
        cells: { node in
            // Only the Ready condition is reported; the last condition of that type wins, as in Kubernetes' map.
            var status: [String] = []
            if let ready = node.array("status", "conditions").last(where: { $0["type"]?.stringValue == "Ready" }) {
                status.append(ready["status"]?.stringValue == "True" ? "Ready" : "NotReady")
            } else {
                status.append("Unknown")
            }
            if node.value("spec", "unschedulable")?.boolValue == true { status.append("SchedulingDisabled") }

            var roles: Set<String> = []
            for (key, value) in node.stringMap("metadata", "labels") {
                if key.hasPrefix("node-role.kubernetes.io/") {
                    let role = String(key.dropFirst("node-role.kubernetes.io/".count))
                    if !role.isEmpty { roles.insert(role) }
                } else if key == "kubernetes.io/role", !value.isEmpty {
                    roles.insert(value)
                }
            }
            func address(_ type: String) -> String {
                node.array("status", "addresses").first { $0["type"]?.stringValue == type }?["address"]?.stringValue ?? "<none>"
            }
            func info(_ field: String) -> String {
                let value = node.string("status", "nodeInfo", field)
                return value.isEmpty ? "<unknown>" : value
            }
            return [
                .string(node.name), .string(status.joined(separator: ",")),
                .string(roles.isEmpty ? "<none>" : roles.sorted().joined(separator: ",")), .string(node.age),
                .string(node.string("status", "nodeInfo", "kubeletVersion")), .string(address("InternalIP")),
                .string(address("ExternalIP")), .string(info("osImage")), .string(info("kernelVersion")),
                .string(info("containerRuntimeVersion")),
            ]
        })

    static let namespaces = TablePrinter(
        columns: [.name, TableColumn("Status", "The status of the namespace"), .age],
        cells: { namespace in [.string(namespace.name), .string(namespace.string("status", "phase")), .string(namespace.age)] })

    static let configMaps = TablePrinter(
        columns: [.name, TableColumn("Data", "Data contains the configuration data."), .age],
        cells: { configMap in
            let count = (configMap.value("data")?.objectValue?.count ?? 0) + (configMap.value("binaryData")?.objectValue?.count ?? 0)
            return [.string(configMap.name), .integer(Int64(count)), .string(configMap.age)]
        })

    static let secrets = TablePrinter(
        columns: [
            .name, TableColumn("Type", "Used to facilitate programmatic handling of secret data."),
            TableColumn("Data", "Data contains the secret data."), .age,
        ],
        cells: { secret in
            // stringData is merged into data on write; counting both keeps an unmerged object's count right too.
            let keys = Set((secret.value("data")?.objectValue ?? [:]).keys).union((secret.value("stringData")?.objectValue ?? [:]).keys)
            return [.string(secret.name), .string(secret.string("type")), .integer(Int64(keys.count)), .string(secret.age)]
        })

    static let serviceAccounts = TablePrinter(
        columns: [
            .name, TableColumn("Secrets", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."),
            .age,
        ],
        cells: { account in
            [.string(account.name), .integer(Int64(account.array("secrets").count)), .string(account.age)]
        })

    static let podTemplates = TablePrinter(
        columns: [
            .name, TableColumn("Containers", "Names of each container in the template."),
            TableColumn("Images", "Images referenced by each container in the template."),
            TableColumn("Pod Labels", "The labels for the pod template."),
        ],
        cells: { template in
            let (names, images) = TableFormat.containers(template.array("template", "spec", "containers"))
            return [
                .string(template.name), .string(names), .string(images),
                .string(TableFormat.labels(template.stringMap("template", "metadata", "labels"))),
            ]
        })

    static let resourceQuotas = TablePrinter(
        columns: [
            .name,
            TableColumn("Request", "Request represents a minimum amount of cpu/memory that a container may consume."),
            TableColumn("Limit", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
            .age,
        ],
        cells: { quota in
            let hard = quota.value("status", "hard")?.objectValue ?? [:]
            let used = quota.value("status", "used")?.objectValue ?? [:]
            var requests: [String] = []
            var limits: [String] = []
            for resource in hard.keys.sorted() {
                let entry = "\(resource): \(TableFormat.scalar(used[resource]) ?? "0")/\(TableFormat.scalar(hard[resource]) ?? "0")"
                let parts = resource.split(separator: ".", omittingEmptySubsequences: false)
                if parts.count > 1 && parts[0] == "limits" {
                    limits.append(entry)
                } else {
                    requests.append(entry)
                }
            }
            return [
                .string(quota.name), .string(requests.joined(separator: ", ")), .string(limits.joined(separator: ", ")),
                .string(quota.age),
            ]
        })

    static let componentStatuses = TablePrinter(
        columns: [
            .name, TableColumn("Status", "Status of the component conditions"),
            TableColumn("Message", "Message of the component conditions"), TableColumn("Error", "Error of the component conditions"),
        ],
        cells: { component in
            var status = "Unknown"
            var message = ""
            var error = ""
            if let healthy = component.array("conditions").first(where: { $0["type"]?.stringValue == "Healthy" }) {
                status = healthy["status"]?.stringValue == "True" ? "Healthy" : "Unhealthy"
                message = healthy["message"]?.stringValue ?? ""
                error = healthy["error"]?.stringValue ?? ""
            }
            return [.string(component.name), .string(status), .string(message), .string(error)]
        })
}
