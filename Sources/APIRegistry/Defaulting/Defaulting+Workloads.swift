import APIMachinery

/// `apps/v1` and `batch/v1` defaults (Kubernetes 1.32, default feature gates).
extension Defaulting {
    static func defaultDeployment(_ deployment: inout JSONValue) {
        deployment.updateStruct("spec") { spec in
            spec.setDefault("replicas", 1)
            spec.updateStruct("strategy") { strategy in
                strategy.setDefaultIfEmpty("type", "RollingUpdate")
                guard strategy.text("type") == "RollingUpdate" else { return }
                strategy.updateStruct("rollingUpdate") { rollingUpdate in
                    rollingUpdate.setDefault("maxUnavailable", "25%")
                    rollingUpdate.setDefault("maxSurge", "25%")
                }
            }
            spec.setDefault("revisionHistoryLimit", 10)
            spec.setDefault("progressDeadlineSeconds", 600)
            spec.updateStruct("template") { defaultPodTemplate(&$0) }
        }
    }

    static func defaultReplicaSet(_ replicaSet: inout JSONValue) {
        replicaSet.updateStruct("spec") { spec in
            spec.setDefault("replicas", 1)
            spec.updateStruct("template") { defaultPodTemplate(&$0) }
        }
    }

    static func defaultReplicationController(_ controller: inout JSONValue) {
        let labels = controller[path: "spec", "template", "metadata", "labels"]
        controller.updateStruct("spec") { spec in
            if let labels, labels.objectValue != nil {
                if (spec.fields("selector") ?? [:]).isEmpty { spec["selector"] = labels }
            }
            spec.setDefault("replicas", 1)
            spec.updateObject("template") { defaultPodTemplate(&$0) }
        }
        if let labels, labels.objectValue != nil {
            controller.updateStruct("metadata") { metadata in
                if (metadata.fields("labels") ?? [:]).isEmpty { metadata["labels"] = labels }
            }
        }
    }

    static func defaultStatefulSet(_ statefulSet: inout JSONValue) {
        statefulSet.updateStruct("spec") { spec in
            spec.setDefaultIfEmpty("podManagementPolicy", "OrderedReady")
            spec.updateStruct("updateStrategy") { strategy in
                if strategy.text("type").isEmpty {
                    strategy["type"] = "RollingUpdate"
                    strategy.setDefault("rollingUpdate", .emptyObject)
                }
                if strategy.text("type") == "RollingUpdate" {
                    strategy.updateObject("rollingUpdate") { $0.setDefault("partition", 0) }
                }
            }
            spec.updateStruct("persistentVolumeClaimRetentionPolicy") { policy in
                policy.setDefaultIfEmpty("whenDeleted", "Retain")
                policy.setDefaultIfEmpty("whenScaled", "Retain")
            }
            spec.setDefault("replicas", 1)
            spec.setDefault("revisionHistoryLimit", 10)
            spec.updateStruct("template") { defaultPodTemplate(&$0) }
            // Claim templates are whole embedded PersistentVolumeClaims, so they get the claim defaults and the
            // type fields the embedded object's conversion writes.
            spec.updateEach("volumeClaimTemplates") { claim in
                claim.setDefaultIfEmpty("apiVersion", "v1")
                claim.setDefaultIfEmpty("kind", "PersistentVolumeClaim")
                defaultPersistentVolumeClaim(&claim)
            }
        }
    }

    static func defaultDaemonSet(_ daemonSet: inout JSONValue) {
        daemonSet.updateStruct("spec") { spec in
            spec.updateStruct("updateStrategy") { strategy in
                strategy.setDefaultIfEmpty("type", "RollingUpdate")
                guard strategy.text("type") == "RollingUpdate" else { return }
                strategy.updateStruct("rollingUpdate") { rollingUpdate in
                    rollingUpdate.setDefault("maxUnavailable", 1)
                    rollingUpdate.setDefault("maxSurge", 0)
                }
            }
            spec.setDefault("revisionHistoryLimit", 10)
            spec.updateStruct("template") { defaultPodTemplate(&$0) }
        }
    }

    static func defaultJob(_ job: inout JSONValue) {
        let templateLabels = job[path: "spec", "template", "metadata", "labels"]
        job.updateStruct("spec") { spec in
            if !spec.isSet("completions") && !spec.isSet("parallelism") {
                spec["completions"] = 1
                spec["parallelism"] = 1
            }
            spec.setDefault("parallelism", 1)
            spec.setDefault("backoffLimit", spec.isSet("backoffLimitPerIndex") ? .integer(Int64(Int32.max)) : 6)
            spec.setDefault("completionMode", "NonIndexed")
            spec.setDefault("suspend", false)
            spec.updateObject("podFailurePolicy") { policy in
                policy.updateEach("rules") { rule in
                    rule.updateEach("onPodConditions") { $0.setDefaultIfEmpty("status", "True") }
                }
            }
            spec.setDefault("podReplacementPolicy", spec.isSet("podFailurePolicy") ? "Failed" : "TerminatingOrFailed")
            spec.updateStruct("template") { defaultPodTemplate(&$0) }
        }
        if let templateLabels, templateLabels.objectValue != nil {
            job.updateStruct("metadata") { metadata in
                if (metadata.fields("labels") ?? [:]).isEmpty { metadata["labels"] = templateLabels }
            }
        }
    }

    /// Only the pod template inside `jobTemplate` is defaulted: `SetDefaults_Job` runs on Jobs, not on templates.
    static func defaultCronJob(_ cronJob: inout JSONValue) {
        cronJob.updateStruct("spec") { spec in
            spec.setDefaultIfEmpty("concurrencyPolicy", "Allow")
            spec.setDefault("suspend", false)
            spec.setDefault("successfulJobsHistoryLimit", 3)
            spec.setDefault("failedJobsHistoryLimit", 1)
            spec.updateStruct("jobTemplate") { template in
                template.updateStruct("spec") { $0.updateStruct("template") { defaultPodTemplate(&$0) } }
            }
        }
    }
}
