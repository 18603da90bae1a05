import APIMachinery

/// `batch/v1` Jobs and CronJobs.
extension Validation {
    static func validateJob(_ job: JSONValue) -> [StatusCause] {
        let spec = job["spec"] ?? .emptyObject
        let path = FieldPath("spec")
        var errors = validateJobSpecFields(spec, path: path)
        // Without `manualSelector` the server generates the selector from the uid (see
        // `Defaulting.generateJobSelector`); a missing one is only an error when the client chose to manage it.
        let manual = spec["manualSelector"]?.boolValue == true
        if let selector = spec["selector"], selector.objectValue != nil {
            errors += validateLabelSelector(selector, path: path.child("selector"))
            let labels = spec[path: "template", "metadata", "labels"]?.objectValue?.compactMapValues(\.stringValue)
            if !Validation.selector(selector, matches: labels ?? [:]) {
                errors.append(
                    .invalid(
                        path.child("template", "metadata", "labels").description, renderedValue: GoSyntax.stringMap(labels),
                        "`selector` does not match template `labels`"))
            }
        } else if manual {
            errors.append(.required(path.child("selector").description))
        }
        if spec.text("completionMode") == "Indexed", let completions = spec.number("completions"), completions > 0 {
            let name = job[path: "metadata", "name"]?.stringValue ?? ""
            let hostname = "\(name)-\(completions - 1)"
            if !NameRules.dns1123Label(hostname).isEmpty {
                errors.append(
                    .invalid("metadata.name", value: .string(name), "will not able to create pod with invalid DNS label: \(hostname)"))
            }
        }
        return errors
    }

    /// `validateJobSpec`: the rules Jobs and CronJob job templates share.
    static func validateJobSpecFields(_ spec: JSONValue, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        for field in ["parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished", "backoffLimitPerIndex"] {
            errors += nonNegative(spec, field, path)
        }
        let mode = spec.text("completionMode")
        if spec.isSet("backoffLimitPerIndex") && mode != "Indexed" {
            errors.append(.forbidden(path.child("backoffLimitPerIndex").description, "requires indexed completion mode"))
        }
        if spec.isSet("completionMode") {
            if mode != "NonIndexed" && mode != "Indexed" {
                errors.append(.notSupported(path.child("completionMode").description, value: .string(mode), supported: ["NonIndexed", "Indexed"]))
            }
            if mode == "Indexed" {
                if !spec.isSet("completions") {
                    errors.append(.required(path.child("completions").description, "when completion mode is Indexed"))
                }
                if let parallelism = spec.number("parallelism"), parallelism > 100_000 {
                    errors.append(
                        .invalid(path.child("parallelism").description, value: .integer(parallelism), "must be less than or equal to 100000 when completion mode is Indexed"))
                }
            }
        }
        if spec.isSet("podReplacementPolicy") {
            let policy = spec.text("podReplacementPolicy")
            if spec.isSet("podFailurePolicy") {
                if policy != "Failed" {
                    errors.append(.notSupported(path.child("podReplacementPolicy").description, value: .string(policy), supported: ["Failed"]))
                }
            } else if policy != "TerminatingOrFailed" && policy != "Failed" {
                errors.append(
                    .notSupported(path.child("podReplacementPolicy").description, value: .string(policy), supported: ["TerminatingOrFailed", "Failed"]))
            }
        }
        let template = spec["template"] ?? .emptyObject
        let templatePath = path.child("template")
        errors += validatePodTemplateSpec(template, path: templatePath)
        let restartPolicy = template[path: "spec", "restartPolicy"]?.stringValue ?? ""
        let restartPath = templatePath.child("spec", "restartPolicy").description
        switch restartPolicy {
        case "Always", "":
            // Pod defaulting turns a missing policy into Always, so Kubernetes asks for a choice in both cases.
            errors.append(.required(restartPath, "valid values: \"OnFailure\", \"Never\""))
        case "OnFailure" where spec.isSet("podFailurePolicy"):
            errors.append(.invalid(restartPath, value: .string(restartPolicy), "only \"Never\" is supported when podFailurePolicy is specified"))
        case "OnFailure", "Never":
            break
        default:
            errors.append(.notSupported(restartPath, value: .string(restartPolicy), supported: ["OnFailure", "Never"]))
        }
        return errors
    }

    static func validateJobUpdate(_ job: JSONValue, old: JSONValue) -> [StatusCause] {
        let spec = job["spec"] ?? .emptyObject
        let oldSpec = old["spec"] ?? .emptyObject
        let path = FieldPath("spec")
        var errors: [StatusCause] = []
        // Elastic indexed Jobs may change completions together with parallelism.
        let elastic = spec.text("completionMode") == "Indexed" && spec["completions"] == spec["parallelism"]
            && oldSpec["completions"] == oldSpec["parallelism"]
        if !elastic { errors += immutable(spec["completions"], oldSpec["completions"], path.child("completions")) }
        errors += immutable(spec["selector"], oldSpec["selector"], path.child("selector"), render: GoSyntax.labelSelector)
        var template = spec["template"] ?? .emptyObject
        var oldTemplate = oldSpec["template"] ?? .emptyObject
        // A suspended Job may still have its scheduling directives adjusted before it starts.
        if spec["suspend"]?.boolValue == true {
            for field in ["nodeSelector", "tolerations", "affinity", "schedulingGates"] {
                template[path: "spec", field] = nil
                oldTemplate[path: "spec", field] = nil
            }
            for field in ["labels", "annotations"] {
                template[path: "metadata", field] = nil
                oldTemplate[path: "metadata", field] = nil
            }
        }
        if template != oldTemplate {
            errors.append(.invalid(path.child("template").description, renderedValue: GoSyntax.value(spec["template"] ?? .null), "field is immutable"))
        }
        for field in ["completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy", "successPolicy"] {
            errors += immutable(spec[field], oldSpec[field], path.child(field))
        }
        return errors
    }

    static func validateCronJob(_ cronJob: JSONValue, old: JSONValue?) -> [StatusCause] {
        let spec = cronJob["spec"] ?? .emptyObject
        let oldSpec = old?["spec"]
        let path = FieldPath("spec")
        var errors: [StatusCause] = []
        let schedule = spec.text("schedule")
        if schedule.isEmpty {
            errors.append(.required(path.child("schedule").description))
        } else {
            if let message = CronSchedule.error(in: schedule) {
                errors.append(.invalid(path.child("schedule").description, value: .string(schedule), message))
            }
            let allowTZ = (oldSpec?.text("schedule") ?? "").contains("TZ")
            if allowTZ && schedule.contains("TZ") && spec.isSet("timeZone") {
                errors.append(
                    .invalid(path.child("schedule").description, value: .string(schedule), "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
            } else if !allowTZ && schedule.contains("TZ") {
                errors.append(
                    .invalid(path.child("schedule").description, value: .string(schedule), "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
            }
        }
        errors += nonNegative(spec, "startingDeadlineSeconds", path)
        if oldSpec?["timeZone"] != spec["timeZone"] { errors += validateTimeZone(spec["timeZone"], path: path.child("timeZone")) }
        switch spec.text("concurrencyPolicy") {
        case "Allow", "Forbid", "Replace": break
        case "": errors.append(.required(path.child("concurrencyPolicy").description))
        case let other:
            errors.append(.notSupported(path.child("concurrencyPolicy").description, value: .string(other), supported: ["Allow", "Forbid", "Replace"]))
        }
        let jobSpec = spec[path: "jobTemplate", "spec"] ?? .emptyObject
        let jobPath = path.child("jobTemplate", "spec")
        errors += validateJobSpecFields(jobSpec, path: jobPath)
        if let selector = jobSpec["selector"], !selector.isNull {
            errors.append(.invalid(jobPath.child("selector").description, renderedValue: GoSyntax.labelSelector(selector), "`selector` will be auto-generated"))
        }
        if jobSpec["manualSelector"]?.boolValue == true {
            errors.append(.notSupported(jobPath.child("manualSelector").description, value: true, supported: ["nil", "false"]))
        }
        errors += nonNegative(spec, "successfulJobsHistoryLimit", path)
        errors += nonNegative(spec, "failedJobsHistoryLimit", path)
        // The controller names Jobs `<cronjob>-<11 characters>`, which must stay a 63-character label; existing
        // CronJobs with longer names may still be updated.
        let name = cronJob[path: "metadata", "name"]?.stringValue ?? ""
        if old == nil && name.utf8.count > 52 {
            errors.append(.invalid("metadata.name", value: .string(name), "must be no more than 52 characters"))
        }
        return errors
    }

    private static func validateTimeZone(_ zone: JSONValue?, path: FieldPath) -> [StatusCause] {
        guard let zone, !zone.isNull else { return [] }
        let name = zone.stringValue ?? ""
        if name.isEmpty { return [.invalid(path.description, value: .string(name), "timeZone must be nil or non-empty string")] }
        for part in name.split(separator: "/", omittingEmptySubsequences: false) {
            let valid = !part.isEmpty && part.utf8.count <= 14
                && part.utf8.allSatisfy { NameRules.isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") }
            if part == "." || part == ".." || part.hasPrefix("-") || !valid {
                return [.invalid(path.description, value: .string(name), "unknown time zone \(name)")]
            }
        }
        if name.lowercased() == "local" {
            return [.invalid(path.description, value: .string(name), "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")]
        }
        return []
    }
}
