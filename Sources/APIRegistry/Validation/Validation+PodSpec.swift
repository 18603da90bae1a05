import APIMachinery

/// `ValidatePod`, `ValidatePodSpec`, `ValidatePodTemplateSpec`, volumes, tolerations and `ValidatePodUpdate`.
extension Validation {
    static func validatePod(_ pod: JSONValue) -> [StatusCause] {
        validatePodSpec(pod["spec"] ?? .emptyObject, path: FieldPath("spec"))
    }

    static func validatePodTemplateSpec(_ template: JSONValue, path: FieldPath) -> [StatusCause] {
        // Kubernetes reports template metadata errors at `template.labels`, without `metadata`.
        var errors = validateLabels(template[path: "metadata", "labels"], path: path.child("labels"))
        errors += validateAnnotations(template[path: "metadata", "annotations"], path: path.child("annotations"))
        let spec = template["spec"] ?? .emptyObject
        errors += validatePodSpec(spec, path: path.child("spec"))
        if !spec.items("ephemeralContainers").isEmpty {
            errors.append(.forbidden(path.child("spec", "ephemeralContainers").description, "ephemeral containers not allowed in pod template"))
        }
        return errors
    }

    static func validatePodSpec(_ spec: JSONValue, path: FieldPath) -> [StatusCause] {
        var (volumes, errors) = validateVolumes(spec.items("volumes"), path: path.child("volumes"))
        errors += validateContainers(spec.items("containers"), volumes: volumes, path: path.child("containers"))
        errors += validateInitContainers(
            spec.items("initContainers"), regular: spec.items("containers"), volumes: volumes, path: path.child("initContainers"))
        if spec.flag("hostNetwork") {
            for key in ["containers", "initContainers"] {
                for (index, container) in spec.items(key).enumerated() {
                    for (portIndex, port) in container.items("ports").enumerated() {
                        let hostPort = port.number("hostPort") ?? 0
                        if hostPort != (port.number("containerPort") ?? 0) {
                            errors.append(
                                .invalid(
                                    path.child(key).index(index).child("ports").index(portIndex).child("hostPort").description,
                                    value: .integer(hostPort), "must match `containerPort` when `hostNetwork` is true"))
                        }
                    }
                }
            }
        }
        switch spec.text("restartPolicy") {
        case "Always", "OnFailure", "Never": break
        case "": errors.append(.required(path.child("restartPolicy").description))
        case let other:
            errors.append(.notSupported(path.child("restartPolicy").description, value: .string(other), supported: ["Always", "OnFailure", "Never"]))
        }
        switch spec.text("dnsPolicy") {
        case "ClusterFirstWithHostNet", "ClusterFirst", "Default": break
        case "None":
            if !spec.isSet("dnsConfig") {
                errors.append(.required(path.child("dnsConfig").description, "must provide `dnsConfig` when `dnsPolicy` is None"))
            }
        case "": errors.append(.required(path.child("dnsPolicy").description))
        case let other:
            errors.append(
                .notSupported(
                    path.child("dnsPolicy").description, value: .string(other), supported: ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]))
        }
        errors += validateLabels(spec["nodeSelector"], path: path.child("nodeSelector"))
        if let context = spec["securityContext"], context.objectValue != nil {
            for field in ["runAsUser", "runAsGroup", "fsGroup"] {
                if let id = context.number(field), !(0...2_147_483_647).contains(id) {
                    errors.append(
                        .invalid(path.child("securityContext", field).description, value: .integer(id), "must be between 0 and 2147483647, inclusive"))
                }
            }
        }
        for (field, rule) in [("serviceAccountName", NameRules.dns1123Subdomain), ("nodeName", NameRules.dns1123Subdomain),
            ("hostname", NameRules.dns1123Label), ("subdomain", NameRules.dns1123Label), ("priorityClassName", NameRules.dns1123Subdomain)]
        {
            let value = spec.text(field)
            guard !value.isEmpty else { continue }
            errors += rule(value).map { .invalid(path.child(field).description, value: .string(value), $0) }
        }
        if let deadline = spec.number("activeDeadlineSeconds"), !(1...2_147_483_647).contains(deadline) {
            errors.append(
                .invalid(path.child("activeDeadlineSeconds").description, value: .integer(deadline), "must be between 1 and 2147483647, inclusive"))
        }
        errors += validateTolerations(spec.items("tolerations"), path: path.child("tolerations"))
        return errors
    }

    static func validateContainers(_ containers: [JSONValue], volumes: Set<String>, path: FieldPath) -> [StatusCause] {
        guard !containers.isEmpty else { return [.required(path.description)] }
        var errors: [StatusCause] = []
        var names: Set<String> = []
        for (index, container) in containers.enumerated() {
            let containerPath = path.index(index)
            errors += validateContainerCommon(container, volumes: volumes, path: containerPath)
            let name = container.text("name")
            if names.contains(name) {
                errors.append(.duplicate(containerPath.child("name").description, value: .string(name)))
            } else {
                names.insert(name)
            }
            if let lifecycle = container["lifecycle"], lifecycle.objectValue != nil {
                for hook in ["postStart", "preStop"] {
                    guard let handler = lifecycle[hook], handler.objectValue != nil else { continue }
                    errors += validateHandler(handler, path: containerPath.child("lifecycle", hook), allowSleep: true)
                }
            }
            errors += validateProbe(container["livenessProbe"], path: containerPath.child("livenessProbe"), kind: .liveness)
            errors += validateProbe(container["readinessProbe"], path: containerPath.child("readinessProbe"), kind: .readiness)
            errors += validateProbe(container["startupProbe"], path: containerPath.child("startupProbe"), kind: .startup)
            if container.isSet("restartPolicy") {
                errors.append(.forbidden(containerPath.child("restartPolicy").description, "may not be set for non-init containers"))
            }
        }
        return errors
    }

    static func validateInitContainers(_ containers: [JSONValue], regular: [JSONValue], volumes: Set<String>, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        var names = Set(regular.map { $0.text("name") })
        for (index, container) in containers.enumerated() {
            let containerPath = path.index(index)
            errors += validateContainerCommon(container, volumes: volumes, path: containerPath)
            var restartAlways = false
            if container.isSet("restartPolicy") {
                let policy = container.text("restartPolicy")
                restartAlways = policy == "Always"
                if !restartAlways {
                    errors.append(.notSupported(containerPath.child("restartPolicy").description, value: .string(policy), supported: ["Always"]))
                }
            }
            let name = container.text("name")
            if names.contains(name) {
                errors.append(.duplicate(containerPath.child("name").description, value: .string(name)))
            } else if !name.isEmpty {
                names.insert(name)
            }
            if restartAlways {
                errors += validateProbe(container["livenessProbe"], path: containerPath.child("livenessProbe"), kind: .liveness)
                errors += validateProbe(container["readinessProbe"], path: containerPath.child("readinessProbe"), kind: .readiness)
                errors += validateProbe(container["startupProbe"], path: containerPath.child("startupProbe"), kind: .startup)
            } else {
                for field in ["lifecycle", "livenessProbe", "readinessProbe", "startupProbe"] where container.isSet(field) {
                    errors.append(.forbidden(containerPath.child(field).description, "may not be set for init containers without restartPolicy=Always"))
                }
            }
        }
        return errors
    }

    /// Returns the names of the valid volumes, which volume mounts may refer to, and the errors.
    static func validateVolumes(_ volumes: [JSONValue], path: FieldPath) -> (Set<String>, [StatusCause]) {
        var names: Set<String> = []
        var errors: [StatusCause] = []
        for (index, volume) in volumes.enumerated() {
            let volumePath = path.index(index)
            var volumeErrors = validateVolumeSource(volume, path: volumePath)
            let name = volume.text("name")
            if name.isEmpty {
                volumeErrors.append(.required(volumePath.child("name").description))
            } else {
                volumeErrors += NameRules.dns1123Label(name).map { .invalid(volumePath.child("name").description, value: .string(name), $0) }
            }
            if names.contains(name) { volumeErrors.append(.duplicate(volumePath.child("name").description, value: .string(name))) }
            if volumeErrors.isEmpty { names.insert(name) } else { errors += volumeErrors }
        }
        return (names, errors)
    }

    static let hostPathTypes = ["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"]

    private static func validateVolumeSource(_ volume: JSONValue, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        var sources = 0
        for key in Defaulting.volumeSourceKeys where volume.isSet(key) {
            let sourcePath = path.child(key)
            if sources > 0 {
                errors.append(.forbidden(sourcePath.description, "may not specify more than 1 volume type"))
                continue
            }
            sources += 1
            let source = volume[key] ?? .emptyObject
            switch key {
            case "hostPath":
                if source.text("path").isEmpty { errors.append(.required(sourcePath.child("path").description)) }
                let type = source.text("type")
                if !hostPathTypes.contains(type) {
                    errors.append(.notSupported(sourcePath.child("type").description, value: .string(type), supported: hostPathTypes))
                }
            case "secret":
                errors += validateProjectionFields(source, path: sourcePath)
                let name = source.text("secretName")
                if name.isEmpty { errors.append(.required(sourcePath.child("secretName").description)) }
            case "configMap":
                errors += validateProjectionFields(source, path: sourcePath)
                let name = source.text("name")
                errors += NameRules.dns1123Subdomain(name).map { .invalid(sourcePath.child("name").description, value: .string(name), $0) }
            case "persistentVolumeClaim":
                if source.text("claimName").isEmpty { errors.append(.required(sourcePath.child("claimName").description)) }
            case "nfs":
                if source.text("server").isEmpty { errors.append(.required(sourcePath.child("server").description)) }
                let nfsPath = source.text("path")
                if nfsPath.isEmpty {
                    errors.append(.required(sourcePath.child("path").description))
                } else if !nfsPath.hasPrefix("/") {
                    errors.append(.invalid(sourcePath.child("path").description, value: .string(nfsPath), "must be an absolute path"))
                }
            case "emptyDir":
                if let raw = source["sizeLimit"], let limit = Quantity(json: raw), limit.isNegative || limit.isZero {
                    errors.append(.forbidden(sourcePath.child("sizeLimit").description, "SizeLimit field must be a valid resource quantity"))
                }
            case "csi":
                if source.text("driver").isEmpty { errors.append(.required(sourcePath.child("driver").description)) }
            default:
                break
            }
        }
        if sources == 0 { errors.append(.required(path.description, "must specify a volume type")) }
        return errors
    }

    /// The `defaultMode` and `items` shared by secret and configMap volumes.
    private static func validateProjectionFields(_ source: JSONValue, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        if let mode = source.number("defaultMode"), !(0...0o777).contains(mode) {
            errors.append(.invalid(path.child("defaultMode").description, value: .integer(mode), "must be a number between 0 and 0777 (octal), both inclusive"))
        }
        for (index, item) in source.items("items").enumerated() {
            let itemPath = path.child("items").index(index)
            if item.text("key").isEmpty { errors.append(.required(itemPath.child("key").description)) }
            let itemFile = item.text("path")
            if itemFile.isEmpty {
                errors.append(.required(itemPath.child("path").description))
            } else {
                errors += validateLocalDescendingPath(itemFile, path: itemPath.child("path"))
            }
            if let mode = item.number("mode"), !(0...0o777).contains(mode) {
                errors.append(.invalid(itemPath.child("mode").description, value: .integer(mode), "must be a number between 0 and 0777 (octal), both inclusive"))
            }
        }
        return errors
    }

    static func validateTolerations(_ tolerations: [JSONValue], path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        for (index, toleration) in tolerations.enumerated() {
            let tolerationPath = path.index(index)
            let key = toleration.text("key")
            if !key.isEmpty {
                errors += NameRules.qualifiedName(key).map { .invalid(tolerationPath.child("key").description, value: .string(key), $0) }
            }
            let op = toleration.text("operator")
            if key.isEmpty && op != "Exists" {
                errors.append(
                    .invalid(
                        tolerationPath.child("operator").description, value: .string(op),
                        "operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
            }
            let effect = toleration.text("effect")
            if toleration.isSet("tolerationSeconds") && effect != "NoExecute" {
                errors.append(
                    .invalid(tolerationPath.child("effect").description, value: .string(effect), "effect must be 'NoExecute' when `tolerationSeconds` is set"))
            }
            switch op {
            case "Equal", "":
                let value = toleration.text("value")
                errors += NameRules.labelValue(value).map { .invalid(tolerationPath.child("operator").description, value: .string(value), $0) }
            case "Exists":
                if !toleration.text("value").isEmpty {
                    errors.append(.invalid(tolerationPath.child("operator").description, value: .string(op), "value must be empty when `operator` is 'Exists'"))
                }
            default:
                errors.append(.notSupported(tolerationPath.child("operator").description, value: .string(op), supported: ["Equal", "Exists"]))
            }
            if !effect.isEmpty && !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(effect) {
                errors.append(
                    .notSupported(tolerationPath.child("effect").description, value: .string(effect), supported: ["NoSchedule", "PreferNoSchedule", "NoExecute"]))
            }
        }
        return errors
    }
}
