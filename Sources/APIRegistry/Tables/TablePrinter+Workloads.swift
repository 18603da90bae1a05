import APIMachinery
import Foundation

/// Deployments, replica sets, replication controllers, stateful sets, daemon sets, jobs, cron jobs.
extension TablePrinter {
    static let deployments = TablePrinter(
        columns: [
            .name, TableColumn("Ready", "Number of the pod with ready state"),
            TableColumn("Up-to-date", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
            TableColumn("Available", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
            .age, .containers, .images, .selector("Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment."),
        ],
        cells: { deployment in
            let (names, images) = TableFormat.containers(deployment.array("spec", "template", "spec", "containers"))
            // printDeployment prints the selector's string as is, so an empty one stays empty rather than <none>.
            let selector = (try? LabelSelector(object: deployment.value("spec", "selector") ?? .null))?.description ?? "<invalid>"
            return [
                .string(deployment.name),
                .string("\(deployment.integer("status", "readyReplicas"))/\(deployment.integer("spec", "replicas", default: 1))"),
                .integer(deployment.integer("status", "updatedReplicas")),
                .integer(deployment.integer("status", "availableReplicas")), .string(deployment.age), .string(names),
                .string(images), .string(selector),
            ]
        })

    static let replicaSets = TablePrinter(
        columns: replicaColumns(selector: "Selector is a label query over pods that should match the replica count."),
        cells: { replicaSet in
            let (names, images) = TableFormat.containers(replicaSet.array("spec", "template", "spec", "containers"))
            return [
                .string(replicaSet.name), .integer(replicaSet.integer("spec", "replicas", default: 1)),
                .integer(replicaSet.integer("status", "replicas")), .integer(replicaSet.integer("status", "readyReplicas")),
                .string(replicaSet.age), .string(names), .string(images),
                .string(TableFormat.labelSelector(replicaSet.value("spec", "selector"))),
            ]
        })

    static let replicationControllers = TablePrinter(
        columns: replicaColumns(selector: "Selector is a label query over pods that should match the Replicas count."),
        cells: { controller in
            let (names, images) = TableFormat.containers(controller.array("spec", "template", "spec", "containers"))
            return [
                .string(controller.name), .integer(controller.integer("spec", "replicas", default: 1)),
                .integer(controller.integer("status", "replicas")), .integer(controller.integer("status", "readyReplicas")),
                .string(controller.age), .string(names), .string(images),
                .string(TableFormat.labels(controller.stringMap("spec", "selector"))),
            ]
        })

    private static func replicaColumns(selector: String) -> [TableColumn] {
        [
            .name, TableColumn("Desired", "Replicas is the number of desired replicas.", type: "integer"),
            TableColumn("Current", "Replicas is the most recently observed number of replicas.", type: "integer"),
            TableColumn("Ready", "The number of ready replicas for this replica set.", type: "integer"),
            .age, .containers, .images, .selector(selector),
        ]
    }

    static let statefulSets = TablePrinter(
        columns: [.name, TableColumn("Ready", "Number of the pod with ready state"), .age, .containers, .images],
        cells: { statefulSet in
            let (names, images) = TableFormat.containers(statefulSet.array("spec", "template", "spec", "containers"))
            return [
                .string(statefulSet.name),
                .string("\(statefulSet.integer("status", "readyReplicas"))/\(statefulSet.integer("spec", "replicas", default: 1))"),
                .string(statefulSet.age), .string(names), .string(images),
            ]
        })

    static let daemonSets = TablePrinter(
        columns: [
            .name,
            TableColumn("Desired", "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).", type: "integer"),
            TableColumn("Current", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.", type: "integer"),
            TableColumn("Ready", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.", type: "integer"),
            TableColumn("Up-to-date", "The total number of nodes that are running updated daemon pod", type: "integer"),
            TableColumn("Available", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)", type: "integer"),
            TableColumn("Node Selector", "NodeSelector is a selector which must be true for the pod to fit on a node."),
            .age, .containers, .images, .selector("A label query over pods that are managed by the daemon set."),
        ],
        cells: { daemonSet in
            let (names, images) = TableFormat.containers(daemonSet.array("spec", "template", "spec", "containers"))
            return [
                .string(daemonSet.name), .integer(daemonSet.integer("status", "desiredNumberScheduled")),
                .integer(daemonSet.integer("status", "currentNumberScheduled")),
                .integer(daemonSet.integer("status", "numberReady")),
                .integer(daemonSet.integer("status", "updatedNumberScheduled")),
                .integer(daemonSet.integer("status", "numberAvailable")),
                .string(TableFormat.labels(daemonSet.stringMap("spec", "template", "spec", "nodeSelector"))),
                .string(daemonSet.age), .string(names), .string(images),
                .string(TableFormat.labelSelector(daemonSet.value("spec", "selector"))),
            ]
        })

    static let jobs = TablePrinter(
        columns: [
            .name, TableColumn("Status", "Status of the job."),
            TableColumn("Completions", "The number of pods which reached phase Succeeded."),
            TableColumn("Duration", "Time required to complete the job."), .age, .containers, .images,
            .selector("A label query over pods that should match the pod count."),
        ],
        cells: { job in
            let succeeded = job.integer("status", "succeeded")
            let completions: String
            if let wanted = job.value("spec", "completions")?.integerValue {
                completions = "\(succeeded)/\(wanted)"
            } else {
                let parallelism = job.integer("spec", "parallelism")
                completions = parallelism > 1 ? "\(succeeded)/1 of \(parallelism)" : "\(succeeded)/1"
            }
            var duration = ""
            if let start = job.optionalString("status", "startTime").flatMap(KubeTime.parse) {
                let end = job.optionalString("status", "completionTime").flatMap(KubeTime.parse) ?? job.now
                duration = TableFormat.humanDuration(end.timeIntervalSince(start))
            }
            let conditions = job.array("status", "conditions")
            func holds(_ type: String) -> Bool {
                conditions.first { $0["type"]?.stringValue == type }?["status"]?.stringValue == "True"
            }
            let status: String
            if holds("Complete") {
                status = "Complete"
            } else if holds("Failed") {
                status = "Failed"
            } else if job.isDeleting {
                status = "Terminating"
            } else if holds("Suspended") {
                status = "Suspended"
            } else if holds("FailureTarget") {
                status = "FailureTarget"
            } else {
                status = "Running"
            }
            let (names, images) = TableFormat.containers(job.array("spec", "template", "spec", "containers"))
            return [
                .string(job.name), .string(status), .string(completions), .string(duration), .string(job.age), .string(names),
                .string(images), .string(TableFormat.labelSelector(job.value("spec", "selector"))),
            ]
        })

    static let cronJobs = TablePrinter(
        columns: [
            .name, TableColumn("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
            TableColumn("Timezone", "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
            TableColumn("Suspend", "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.", type: "boolean"),
            TableColumn("Active", "A list of pointers to currently running jobs.", type: "integer"),
            TableColumn("Last Schedule", "Information when was the last time the job was successfully scheduled."), .age,
            .containers, .images, .selector("A label query over pods that should match the pod count."),
        ],
        cells: { cronJob in
            let lastSchedule = cronJob.optionalString("status", "lastScheduleTime").map { cronJob.since($0) } ?? "<none>"
            let suspend = cronJob.value("spec", "suspend")?.boolValue.map(TableFormat.bool) ?? "<unset>"
            let (names, images) = TableFormat.containers(
                cronJob.array("spec", "jobTemplate", "spec", "template", "spec", "containers"))
            return [
                .string(cronJob.name), .string(cronJob.string("spec", "schedule")),
                .string(cronJob.optionalString("spec", "timeZone") ?? "<none>"), .string(suspend),
                .integer(Int64(cronJob.array("status", "active").count)), .string(lastSchedule), .string(cronJob.age),
                .string(names), .string(images),
                .string(TableFormat.labelSelector(cronJob.value("spec", "jobTemplate", "spec", "selector"))),
            ]
        })

    static let controllerRevisions = TablePrinter(
        columns: [
            .name, TableColumn("Controller", "Controller of the object"),
            TableColumn("Revision", "Revision indicates the revision of the state represented by Data."), .age,
        ],
        cells: { revision in
            var controller = "<none>"
            if let owner = revision.array("metadata", "ownerReferences").first(where: { $0["controller"]?.boolValue == true }) {
                let group = GroupVersion(apiVersion: owner["apiVersion"]?.stringValue ?? "").group
                let kind = owner["kind"]?.stringValue ?? ""
                let qualified = group.isEmpty ? kind : "\(kind).\(group)"
                let ownerName = owner["name"]?.stringValue ?? ""
                controller = qualified.isEmpty ? ownerName : qualified.lowercased() + "/" + ownerName
            }
            return [.string(revision.name), .string(controller), .integer(revision.integer("revision")), .string(revision.age)]
        })
}
