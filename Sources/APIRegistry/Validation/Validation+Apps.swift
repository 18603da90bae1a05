import APIMachinery

/// `apps/v1` workloads and the core ReplicationController.
extension Validation {
    static func validateDeployment(_ deployment: JSONValue) -> [StatusCause] {
        let spec = deployment["spec"] ?? .emptyObject
        let path = FieldPath("spec")
        var errors = nonNegative(spec, "replicas", path)
        errors += validateWorkloadSelector(spec, path: path, kindName: "deployment")
        errors += validateReplicatedTemplate(spec, path: path, owner: "ReplicaSet")
        errors += validateDeploymentStrategy(spec["strategy"] ?? .emptyObject, path: path.child("strategy"))
        errors += nonNegative(spec, "minReadySeconds", path)
        errors += nonNegative(spec, "revisionHistoryLimit", path)
        if let deadline = spec.number("progressDeadlineSeconds") {
            errors += nonNegative(spec, "progressDeadlineSeconds", path)
            if deadline <= (spec.number("minReadySeconds") ?? 0) {
                errors.append(.invalid(path.child("progressDeadlineSeconds").description, value: .integer(deadline), "must be greater than minReadySeconds"))
            }
        }
        return errors
    }

    static func validateReplicaSet(_ replicaSet: JSONValue) -> [StatusCause] {
        let spec = replicaSet["spec"] ?? .emptyObject
        let path = FieldPath("spec")
        var errors = nonNegative(spec, "replicas", path)
        errors += nonNegative(spec, "minReadySeconds", path)
        // Kubernetes' ReplicaSet validation reuses the Deployment wording.
        errors += validateWorkloadSelector(spec, path: path, kindName: "deployment")
        errors += validateReplicatedTemplate(spec, path: path, owner: "ReplicaSet")
        return errors
    }

    static func validateStatefulSet(_ statefulSet: JSONValue) -> [StatusCause] {
        let spec = statefulSet["spec"] ?? .emptyObject
        let path = FieldPath("spec")
        var errors: [StatusCause] = []
        switch spec.text("podManagementPolicy") {
        case "OrderedReady", "Parallel": break
        case "": errors.append(.required(path.child("podManagementPolicy").description))
        case let other:
            errors.append(.invalid(path.child("podManagementPolicy").description, value: .string(other), "must be 'OrderedReady' or 'Parallel'"))
        }
        let strategy = spec["updateStrategy"] ?? .emptyObject
        let strategyPath = path.child("updateStrategy")
        switch strategy.text("type") {
        case "": errors.append(.required(strategyPath.description))
        case "OnDelete":
            if strategy.isSet("rollingUpdate") {
                errors.append(
                    .invalid(
                        strategyPath.child("rollingUpdate").description, renderedValue: strategy["rollingUpdate"].map(GoSyntax.value) ?? "null",
                        "only allowed for updateStrategy 'RollingUpdate'"))
            }
        case "RollingUpdate":
            if let rollingUpdate = strategy["rollingUpdate"], rollingUpdate.objectValue != nil {
                errors += nonNegative(rollingUpdate, "partition", strategyPath.child("rollingUpdate"))
            }
        case let other:
            errors.append(
                .invalid(
                    strategyPath.description, renderedValue: "apps.StatefulSetUpdateStrategy{Type:\(GoSyntax.quote(other)), RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}",
                    "must be 'RollingUpdate' or 'OnDelete'"))
        }
        if let policy = spec["persistentVolumeClaimRetentionPolicy"], policy.objectValue != nil {
            for field in ["whenDeleted", "whenScaled"] {
                let value = policy.text(field)
                if value != "Retain" && value != "Delete" {
                    errors.append(
                        .notSupported(
                            path.child("persistentVolumeClaimRetentionPolicy", field).description, value: .string(value), supported: ["Retain", "Delete"]))
                }
            }
        }
        errors += nonNegative(spec, "replicas", path)
        errors += nonNegative(spec, "minReadySeconds", path)
        if let ordinals = spec["ordinals"], ordinals.objectValue != nil { errors += nonNegative(ordinals, "start", path.child("ordinals")) }
        errors += validateWorkloadSelector(spec, path: path, kindName: "statefulset")
        let template = spec["template"] ?? .emptyObject
        let templatePath = path.child("template")
        errors += validateTemplateMatchesSelector(spec, path: path)
        // Claim templates become volumes of every pod, so mounts may name them.
        var templateWithClaims = template
        let claimVolumes = spec.items("volumeClaimTemplates").map { claim -> JSONValue in
            ["name": .string(claim[path: "metadata", "name"]?.stringValue ?? ""), "persistentVolumeClaim": ["claimName": "template"]]
        }
        templateWithClaims[path: "spec", "volumes"] = .array((template[path: "spec", "volumes"]?.arrayValue ?? []) + claimVolumes)
        errors += validatePodTemplateSpec(templateWithClaims, path: templatePath)
        let restartPolicy = template[path: "spec", "restartPolicy"]?.stringValue ?? ""
        if restartPolicy != "Always" {
            errors.append(.notSupported(templatePath.child("spec", "restartPolicy").description, value: .string(restartPolicy), supported: ["Always"]))
        }
        if template[path: "spec", "activeDeadlineSeconds"]?.isNull == false {
            errors.append(.forbidden(templatePath.child("spec", "activeDeadlineSeconds").description, "activeDeadlineSeconds in StatefulSet is not Supported"))
        }
        for (index, claim) in spec.items("volumeClaimTemplates").enumerated() {
            let claimPath = path.child("volumeClaimTemplates").index(index)
            let name = claim[path: "metadata", "name"]?.stringValue ?? ""
            if name.isEmpty {
                errors.append(.required(claimPath.child("metadata", "name").description))
            }
            errors += validateClaimSpec(claim["spec"] ?? .emptyObject, path: claimPath.child("spec"))
        }
        return errors
    }

    static func validateStatefulSetUpdate(_ statefulSet: JSONValue, old: JSONValue) -> [StatusCause] {
        var errors = immutable(statefulSet[path: "spec", "selector"], old[path: "spec", "selector"], FieldPath("spec.selector"), render: GoSyntax.labelSelector)
        var newSpec = statefulSet.fields("spec") ?? [:]
        var oldSpec = old.fields("spec") ?? [:]
        for field in [
            "replicas", "template", "updateStrategy", "minReadySeconds", "ordinals", "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy", "selector",
        ] {
            newSpec[field] = nil
            oldSpec[field] = nil
        }
        if newSpec != oldSpec {
            errors.append(
                .forbidden(
                    "spec",
                    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
                ))
        }
        return errors
    }

    static func validateDaemonSet(_ daemonSet: JSONValue) -> [StatusCause] {
        let spec = daemonSet["spec"] ?? .emptyObject
        let path = FieldPath("spec")
        var errors = validateLabelSelector(spec["selector"], path: path.child("selector"))
        errors += validateTemplateMatchesSelector(spec, path: path)
        if let selector = spec["selector"], selector.objectValue != nil, isEmptySelector(selector) {
            errors.append(.invalid(path.child("selector").description, renderedValue: GoSyntax.labelSelector(selector), "empty selector is invalid for daemonset"))
        }
        let template = spec["template"] ?? .emptyObject
        let templatePath = path.child("template")
        errors += validatePodTemplateSpec(template, path: templatePath)
        let restartPolicy = template[path: "spec", "restartPolicy"]?.stringValue ?? ""
        if restartPolicy != "Always" {
            errors.append(.notSupported(templatePath.child("spec", "restartPolicy").description, value: .string(restartPolicy), supported: ["Always"]))
        }
        if let deadline = template[path: "spec", "activeDeadlineSeconds"], !deadline.isNull {
            errors.append(.invalid(templatePath.child("spec", "activeDeadlineSeconds").description, value: deadline, "activeDeadlineSeconds in DaemonSet is not Supported"))
        }
        errors += nonNegative(spec, "minReadySeconds", path)
        errors += nonNegative(spec, "templateGeneration", path)
        let strategy = spec["updateStrategy"] ?? .emptyObject
        let strategyPath = path.child("updateStrategy")
        switch strategy.text("type") {
        case "OnDelete": break
        case "RollingUpdate":
            guard let rollingUpdate = strategy["rollingUpdate"], rollingUpdate.objectValue != nil else {
                errors.append(.required(strategyPath.child("rollingUpdate").description))
                break
            }
            let rollingPath = strategyPath.child("rollingUpdate")
            errors += validateIntOrPercent(rollingUpdate["maxUnavailable"], path: rollingPath.child("maxUnavailable"))
            errors += validateIntOrPercent(rollingUpdate["maxSurge"], path: rollingPath.child("maxSurge"))
            errors += notMoreThan100Percent(rollingUpdate["maxUnavailable"], path: rollingPath.child("maxUnavailable"))
            errors += notMoreThan100Percent(rollingUpdate["maxSurge"], path: rollingPath.child("maxSurge"))
            let hasUnavailable = intOrPercentValue(rollingUpdate["maxUnavailable"]) != 0
            let hasSurge = intOrPercentValue(rollingUpdate["maxSurge"]) != 0
            if hasUnavailable && hasSurge {
                errors.append(
                    .invalid(rollingPath.child("maxSurge").description, renderedValue: GoSyntax.intOrString(rollingUpdate["maxSurge"]), "may not be set when maxUnavailable is non-zero"))
            } else if !hasUnavailable && !hasSurge {
                errors.append(.required(rollingPath.child("maxUnavailable").description, "cannot be 0 when maxSurge is 0"))
            }
        default:
            errors.append(
                .notSupported(strategyPath.description, value: .string(strategy.text("type")), supported: ["RollingUpdate", "OnDelete"]))
        }
        errors += nonNegative(spec, "revisionHistoryLimit", path)
        return errors
    }

    static func validateReplicationController(_ controller: JSONValue) -> [StatusCause] {
        let spec = controller["spec"] ?? .emptyObject
        let path = FieldPath("spec")
        var errors = nonNegative(spec, "minReadySeconds", path)
        let selector = spec.stringMap("selector") ?? [:]
        if selector.isEmpty { errors.append(.required(path.child("selector").description)) }
        errors += nonNegative(spec, "replicas", path)
        guard let template = spec["template"], template.objectValue != nil else {
            return errors + [.required(path.child("template").description)]
        }
        let templatePath = path.child("template")
        let labels = template[path: "metadata", "labels"]?.objectValue?.compactMapValues(\.stringValue)
        if !selector.isEmpty, !selector.allSatisfy({ labels?[$0.key] == $0.value }) {
            errors.append(
                .invalid(templatePath.child("metadata", "labels").description, renderedValue: GoSyntax.stringMap(labels), "`selector` does not match template `labels`"))
        }
        errors += validatePodTemplateSpec(template, path: templatePath)
        let restartPolicy = template[path: "spec", "restartPolicy"]?.stringValue ?? ""
        if restartPolicy != "Always" {
            errors.append(.notSupported(templatePath.child("spec", "restartPolicy").description, value: .string(restartPolicy), supported: ["Always"]))
        }
        return errors
    }

    // MARK: - Shared workload rules

    /// The selector rules of Deployments, ReplicaSets and StatefulSets: required, valid and not empty.
    private static func validateWorkloadSelector(_ spec: JSONValue, path: FieldPath, kindName: String) -> [StatusCause] {
        guard let selector = spec["selector"], selector.objectValue != nil else { return [.required(path.child("selector").description)] }
        var errors = validateLabelSelector(selector, path: path.child("selector"))
        if isEmptySelector(selector) {
            errors.append(.invalid(path.child("selector").description, renderedValue: GoSyntax.labelSelector(selector), "empty selector is invalid for \(kindName)"))
        }
        return errors
    }

    /// A nil selector selects nothing, so Kubernetes also reports that it does not match the template.
    static func validateTemplateMatchesSelector(_ spec: JSONValue, path: FieldPath) -> [StatusCause] {
        let labelsValue = spec[path: "template", "metadata", "labels"]?.objectValue?.compactMapValues(\.stringValue)
        let selector = spec["selector"]
        let matches: Bool
        if let selector, selector.objectValue != nil {
            matches = isEmptySelector(selector) || Validation.selector(selector, matches: labelsValue ?? [:])
        } else {
            matches = false
        }
        guard !matches else { return [] }
        return [
            .invalid(
                path.child("template", "metadata", "labels").description, renderedValue: GoSyntax.stringMap(labelsValue),
                "`selector` does not match template `labels`")
        ]
    }

    /// `ValidatePodTemplateSpecForReplicaSet`: the template matches, is valid, and always restarts.
    private static func validateReplicatedTemplate(_ spec: JSONValue, path: FieldPath, owner: String) -> [StatusCause] {
        let templatePath = path.child("template")
        var errors = validateTemplateMatchesSelector(spec, path: path)
        let template = spec["template"] ?? .emptyObject
        errors += validatePodTemplateSpec(template, path: templatePath)
        let restartPolicy = template[path: "spec", "restartPolicy"]?.stringValue ?? ""
        if restartPolicy != "Always" {
            errors.append(.notSupported(templatePath.child("spec", "restartPolicy").description, value: .string(restartPolicy), supported: ["Always"]))
        }
        if template[path: "spec", "activeDeadlineSeconds"]?.isNull == false {
            errors.append(.forbidden(templatePath.child("spec", "activeDeadlineSeconds").description, "activeDeadlineSeconds in \(owner) is not Supported"))
        }
        return errors
    }

    private static func validateDeploymentStrategy(_ strategy: JSONValue, path: FieldPath) -> [StatusCause] {
        switch strategy.text("type") {
        case "Recreate":
            guard strategy.isSet("rollingUpdate") else { return [] }
            return [.forbidden(path.child("rollingUpdate").description, "may not be specified when strategy `type` is 'Recreate'")]
        case "RollingUpdate":
            guard let rollingUpdate = strategy["rollingUpdate"], rollingUpdate.objectValue != nil else {
                return [.required(path.child("rollingUpdate").description, "this should be defaulted and never be nil")]
            }
            let rollingPath = path.child("rollingUpdate")
            var errors = validateIntOrPercent(rollingUpdate["maxUnavailable"], path: rollingPath.child("maxUnavailable"))
            errors += validateIntOrPercent(rollingUpdate["maxSurge"], path: rollingPath.child("maxSurge"))
            if intOrPercentValue(rollingUpdate["maxUnavailable"]) == 0 && intOrPercentValue(rollingUpdate["maxSurge"]) == 0 {
                errors.append(
                    .invalid(
                        rollingPath.child("maxUnavailable").description, renderedValue: GoSyntax.intOrString(rollingUpdate["maxUnavailable"]),
                        "may not be 0 when `maxSurge` is 0"))
            }
            errors += notMoreThan100Percent(rollingUpdate["maxUnavailable"], path: rollingPath.child("maxUnavailable"))
            return errors
        default:
            let rendered = "apps.DeploymentStrategy{Type:\(GoSyntax.quote(strategy.text("type"))), RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}"
            return [
                StatusCause(
                    type: "FieldValueNotSupported", message: "Unsupported value: \(rendered): supported values: \"Recreate\", \"RollingUpdate\"",
                    field: path.description)
            ]
        }
    }

    /// `ValidatePositiveIntOrPercent`: a non-negative number or a percent string.
    static func validateIntOrPercent(_ value: JSONValue?, path: FieldPath) -> [StatusCause] {
        switch value {
        case .string(let text)?:
            return NameRules.percent(text).map { .invalid(path.description, renderedValue: GoSyntax.intOrString(value), $0) }
        case let number?:
            guard let integer = number.integerValue, integer < 0 else { return [] }
            return [.invalid(path.description, value: .integer(integer), "must be greater than or equal to 0")]
        default:
            return []
        }
    }

    static func notMoreThan100Percent(_ value: JSONValue?, path: FieldPath) -> [StatusCause] {
        guard case .string(let text)? = value, text.hasSuffix("%"), let percent = Int(text.dropLast()), percent > 100 else { return [] }
        return [.invalid(path.description, value: .string(text), "must not be greater than 100%")]
    }

    /// The number in an `IntOrString`, as Kubernetes' `getIntOrPercentValue` reads it (percent strings too).
    static func intOrPercentValue(_ value: JSONValue?) -> Int64 {
        switch value {
        case .string(let text)?: return Int64(text.hasSuffix("%") ? String(text.dropLast()) : text) ?? 0
        case let number?: return number.integerValue ?? 0
        default: return 0
        }
    }
}
