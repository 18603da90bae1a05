import APIMachinery

/// Role bindings, disruption budgets, priority classes, leases, runtime classes, certificate signing requests,
/// webhook configurations and horizontal pod autoscalers.
extension TablePrinter {
    /// `kind` is `roleBinding` or `clusterRoleBinding`, as the column descriptions name it.
    static func roleBindings(kind: String) -> TablePrinter {
        TablePrinter(
            columns: [
                .name, TableColumn("Role", "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace."),
                .age, TableColumn("Users", "Users in the \(kind)", priority: 1),
                TableColumn("Groups", "Groups in the \(kind)", priority: 1),
                TableColumn("ServiceAccounts", "ServiceAccounts in the \(kind)", priority: 1),
            ],
            cells: { binding in
                var users: [String] = []
                var groups: [String] = []
                var accounts: [String] = []
                for subject in binding.array("subjects") {
                    let name = subject["name"]?.stringValue ?? ""
                    switch subject["kind"]?.stringValue {
                    case "User": users.append(name)
                    case "Group": groups.append(name)
                    case "ServiceAccount": accounts.append((subject["namespace"]?.stringValue ?? "") + "/" + name)
                    default: break
                    }
                }
                return [
                    .string(binding.name),
                    .string(binding.string("roleRef", "kind") + "/" + binding.string("roleRef", "name")), .string(binding.age),
                    .string(users.joined(separator: ", ")), .string(groups.joined(separator: ", ")),
                    .string(accounts.joined(separator: ", ")),
                ]
            })
    }

    static let podDisruptionBudgets = TablePrinter(
        columns: [
            .name, TableColumn("Min Available", "The minimum number of pods that must be available."),
            TableColumn("Max Unavailable", "The maximum number of pods that may be unavailable."),
            TableColumn("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time.", type: "integer"),
            .age,
        ],
        cells: { budget in
            [
                .string(budget.name), .string(TableFormat.scalar(budget.value("spec", "minAvailable")) ?? "N/A"),
                .string(TableFormat.scalar(budget.value("spec", "maxUnavailable")) ?? "N/A"),
                .integer(budget.integer("status", "disruptionsAllowed")), .string(budget.age),
            ]
        })

    static let priorityClasses = TablePrinter(
        columns: [
            .name, TableColumn("Value", "value represents the integer value of this priority class.", type: "integer"),
            TableColumn("Global-Default", "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.", type: "boolean"),
            .age,
            TableColumn("PreemptionPolicy", "preemptionPolicy is the Policy for preempting pods with lower priority."),
        ],
        cells: { priorityClass in
            [
                .string(priorityClass.name), .integer(priorityClass.integer("value")),
                .bool(priorityClass.value("globalDefault")?.boolValue ?? false), .string(priorityClass.age),
                .string(priorityClass.string("preemptionPolicy")),
            ]
        })

    static let leases = TablePrinter(
        columns: [.name, TableColumn("Holder", "holderIdentity contains the identity of the holder of a current lease."), .age],
        cells: { lease in [.string(lease.name), .string(lease.string("spec", "holderIdentity")), .string(lease.age)] })

    static let runtimeClasses = TablePrinter(
        columns: [.name, TableColumn("Handler", "handler specifies the underlying runtime and configuration that the CRI implementation will use to handle pods of this class."), .age],
        cells: { runtimeClass in [.string(runtimeClass.name), .string(runtimeClass.string("handler")), .string(runtimeClass.age)] })

    static let certificateSigningRequests = TablePrinter(
        columns: [
            .name, .age, TableColumn("SignerName", "signerName indicates the requested signer, and is a qualified name."),
            TableColumn("Requestor", "request contains an x509 certificate signing request encoded in a \"CERTIFICATE REQUEST\" PEM block."),
            TableColumn("RequestedDuration", "expirationSeconds is the requested duration of validity of the issued certificate."),
            TableColumn("Condition", "conditions applied to the request. Known conditions are \"Approved\", \"Denied\", and \"Failed\"."),
        ],
        cells: { request in
            let types = Set(request.array("status", "conditions").compactMap { $0["type"]?.stringValue })
            var condition = types.contains("Denied") ? "Denied" : types.contains("Approved") ? "Approved" : "Pending"
            if types.contains("Failed") { condition += ",Failed" }
            if !request.string("status", "certificate").isEmpty { condition += ",Issued" }
            let signer = request.string("spec", "signerName")
            let duration = request.value("spec", "expirationSeconds")?.integerValue.map {
                TableFormat.humanDuration(Double($0))
            }
            return [
                .string(request.name), .string(request.age), .string(signer.isEmpty ? "<none>" : signer),
                .string(request.string("spec", "username")), .string(duration ?? "<none>"), .string(condition),
            ]
        })

    static let webhookConfigurations = TablePrinter(
        columns: [
            .name,
            TableColumn("Webhooks", "Webhooks indicates the number of webhooks registered in this configuration", type: "integer"),
            .age,
        ],
        cells: { configuration in
            [.string(configuration.name), .integer(Int64(configuration.array("webhooks").count)), .string(configuration.age)]
        })

    static let horizontalPodAutoscalers = TablePrinter(
        columns: [
            .name, TableColumn("Reference", "scaleTargetRef points to the target resource to scale."),
            TableColumn("Targets", "metrics contains the specifications for which to use to calculate the desired replica count."),
            TableColumn("MinPods", "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down."),
            TableColumn("MaxPods", "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up."),
            TableColumn("Replicas", "currentReplicas is current number of replicas of pods managed by this autoscaler."), .age,
        ],
        cells: { autoscaler in
            let reference = autoscaler.string("spec", "scaleTargetRef", "kind") + "/" + autoscaler.string("spec", "scaleTargetRef", "name")
            let minPods = autoscaler.value("spec", "minReplicas")?.integerValue.map { String($0) } ?? "<unset>"
            return [
                .string(autoscaler.name), .string(reference), .string(HPATargets.format(autoscaler)), .string(minPods),
                .integer(autoscaler.integer("spec", "maxReplicas")), .integer(autoscaler.integer("status", "currentReplicas")),
                .string(autoscaler.age),
            ]
        })
}
