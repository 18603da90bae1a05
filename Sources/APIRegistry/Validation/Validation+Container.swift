import APIMachinery

/// `validateContainerCommon` and what it calls: names, images, ports, env, mounts, probes, resources.
extension Validation {
    static func validateContainerCommon(_ container: JSONValue, volumes: Set<String>, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        let name = container.text("name")
        if name.isEmpty {
            errors.append(.required(path.child("name").description))
        } else {
            for message in NameRules.dns1123Label(name) {
                errors.append(.invalid(path.child("name").description, value: .string(name), message))
            }
        }
        if container.text("image").isEmpty { errors.append(.required(path.child("image").description)) }
        switch container.text("terminationMessagePolicy") {
        case "File", "FallbackToLogsOnError": break
        case "": errors.append(.required(path.child("terminationMessagePolicy").description, "must be 'File' or 'FallbackToLogsOnError'"))
        case let other:
            errors.append(.notSupported(path.child("terminationMessagePolicy").description, value: .string(other), supported: ["File", "FallbackToLogsOnError"]))
        }
        errors += validateContainerPorts(container.items("ports"), path: path.child("ports"))
        errors += validateEnv(container.items("env"), path: path.child("env"))
        errors += validateEnvFrom(container.items("envFrom"), path: path.child("envFrom"))
        errors += validateVolumeMounts(container.items("volumeMounts"), volumes: volumes, path: path.child("volumeMounts"))
        switch container.text("imagePullPolicy") {
        case "Always", "IfNotPresent", "Never": break
        case "": errors.append(.required(path.child("imagePullPolicy").description))
        case let other:
            errors.append(.notSupported(path.child("imagePullPolicy").description, value: .string(other), supported: ["Always", "IfNotPresent", "Never"]))
        }
        errors += validateResourceRequirements(container["resources"] ?? .emptyObject, path: path.child("resources"))
        errors += validateContainerSecurityContext(container["securityContext"], path: path.child("securityContext"))
        return errors
    }

    static func validateContainerPorts(_ ports: [JSONValue], path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        var names: Set<String> = []
        for (index, port) in ports.enumerated() {
            let portPath = path.index(index)
            let name = port.text("name")
            if !name.isEmpty {
                let messages = NameRules.portName(name)
                if !messages.isEmpty {
                    errors += messages.map { .invalid(portPath.child("name").description, value: .string(name), $0) }
                } else if names.contains(name) {
                    errors.append(.duplicate(portPath.child("name").description, value: .string(name)))
                } else {
                    names.insert(name)
                }
            }
            let containerPort = port.number("containerPort") ?? 0
            if containerPort == 0 {
                errors.append(.required(portPath.child("containerPort").description))
            } else {
                errors += NameRules.portNumber(containerPort).map { .invalid(portPath.child("containerPort").description, value: .integer(containerPort), $0) }
            }
            if let hostPort = port.number("hostPort"), hostPort != 0 {
                errors += NameRules.portNumber(hostPort).map { .invalid(portPath.child("hostPort").description, value: .integer(hostPort), $0) }
            }
            errors += validateProtocol(port.text("protocol"), path: portPath.child("protocol"))
        }
        return errors
    }

    static func validateProtocol(_ value: String, path: FieldPath) -> [StatusCause] {
        switch value {
        case "TCP", "UDP", "SCTP": return []
        case "": return [.required(path.description)]
        default: return [.notSupported(path.description, value: .string(value), supported: ["SCTP", "TCP", "UDP"])]
        }
    }

    static let envFieldPaths = [
        "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP",
        "status.hostIPs", "status.podIP", "status.podIPs",
    ]

    static func validateEnv(_ variables: [JSONValue], path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        for (index, variable) in variables.enumerated() {
            let variablePath = path.index(index)
            let name = variable.text("name")
            if name.isEmpty {
                errors.append(.required(variablePath.child("name").description))
            } else {
                errors += NameRules.envVarName(name).map { .invalid(variablePath.child("name").description, value: .string(name), $0) }
            }
            guard let source = variable["valueFrom"], source.objectValue != nil else { continue }
            let sourcePath = variablePath.child("valueFrom")
            var sources = 0
            if let fieldRef = source["fieldRef"], !fieldRef.isNull {
                sources += 1
                errors += validateFieldSelector(fieldRef, path: sourcePath.child("fieldRef"))
            }
            if let resourceRef = source["resourceFieldRef"], !resourceRef.isNull {
                sources += 1
                if resourceRef.text("resource").isEmpty {
                    errors.append(.required(sourcePath.child("resourceFieldRef", "resource").description))
                }
            }
            for key in ["configMapKeyRef", "secretKeyRef"] {
                guard let selector = source[key], !selector.isNull else { continue }
                sources += 1
                errors += validateKeySelector(selector, path: sourcePath.child(key))
            }
            if sources == 0 {
                errors.append(
                    .invalid(sourcePath.description, value: "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
            } else if !variable.text("value").isEmpty {
                errors.append(.invalid(sourcePath.description, value: "", "may not be specified when `value` is not empty"))
            } else if sources > 1 {
                errors.append(.invalid(sourcePath.description, value: "", "may not have more than one field specified at a time"))
            }
        }
        return errors
    }

    private static func validateFieldSelector(_ selector: JSONValue, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        if selector.text("apiVersion").isEmpty { errors.append(.required(path.child("apiVersion").description)) }
        let fieldPath = selector.text("fieldPath")
        if fieldPath.isEmpty {
            errors.append(.required(path.child("fieldPath").description))
        } else if !envFieldPaths.contains(fieldPath) && !fieldPath.hasPrefix("metadata.labels[") && !fieldPath.hasPrefix("metadata.annotations[") {
            errors.append(.notSupported(path.child("fieldPath").description, value: .string(fieldPath), supported: envFieldPaths))
        }
        return errors
    }

    private static func validateKeySelector(_ selector: JSONValue, path: FieldPath) -> [StatusCause] {
        var errors = NameRules.dns1123Subdomain(selector.text("name")).map {
            StatusCause.invalid(path.child("name").description, value: .string(selector.text("name")), $0)
        }
        let key = selector.text("key")
        if key.isEmpty {
            errors.append(.required(path.child("key").description))
        } else {
            errors += NameRules.configKey(key).map { .invalid(path.child("key").description, value: .string(key), $0) }
        }
        return errors
    }

    static func validateEnvFrom(_ sources: [JSONValue], path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        for (index, source) in sources.enumerated() {
            let sourcePath = path.index(index)
            let prefix = source.text("prefix")
            if !prefix.isEmpty {
                errors += NameRules.envVarName(prefix).map { .invalid(sourcePath.child("prefix").description, value: .string(prefix), $0) }
            }
            var count = 0
            for key in ["configMapRef", "secretRef"] {
                guard let reference = source[key], !reference.isNull else { continue }
                count += 1
                let name = reference.text("name")
                errors += NameRules.dns1123Subdomain(name).map { .invalid(sourcePath.child(key, "name").description, value: .string(name), $0) }
            }
            if count == 0 {
                errors.append(.invalid(sourcePath.description, value: "", "must specify one of: `configMapRef` or `secretRef`"))
            } else if count > 1 {
                errors.append(.invalid(sourcePath.description, value: "", "may not have more than one field specified at a time"))
            }
        }
        return errors
    }

    static func validateVolumeMounts(_ mounts: [JSONValue], volumes: Set<String>, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        var mountPoints: Set<String> = []
        for (index, mount) in mounts.enumerated() {
            let mountPath = path.index(index)
            let name = mount.text("name")
            if name.isEmpty { errors.append(.required(mountPath.child("name").description)) }
            if !volumes.contains(name) { errors.append(.notFound(mountPath.child("name").description, value: .string(name))) }
            let point = mount.text("mountPath")
            if point.isEmpty { errors.append(.required(mountPath.child("mountPath").description)) }
            if mountPoints.contains(point) {
                errors.append(.invalid(mountPath.child("mountPath").description, value: .string(point), "must be unique"))
            }
            mountPoints.insert(point)
            let subPath = mount.text("subPath")
            if !subPath.isEmpty { errors += validateLocalDescendingPath(subPath, path: path.child("subPath")) }
        }
        return errors
    }

    /// A relative path that stays inside its volume: no leading '/', no '..' element.
    static func validateLocalDescendingPath(_ value: String, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        if value.hasPrefix("/") { errors.append(.invalid(path.description, value: .string(value), "must be a relative path")) }
        if value.split(separator: "/").contains("..") {
            errors.append(.invalid(path.description, value: .string(value), "must not contain '..'"))
        }
        return errors
    }

    // MARK: - Probes

    static func validateProbe(_ probe: JSONValue?, path: FieldPath, kind: ProbeKind) -> [StatusCause] {
        guard let probe, probe.objectValue != nil else { return [] }
        var errors = validateHandler(probe, path: path)
        for field in ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"] {
            errors += nonNegative(probe, field, path)
        }
        if let grace = probe.number("terminationGracePeriodSeconds"), grace <= 0 {
            errors.append(.invalid(path.child("terminationGracePeriodSeconds").description, value: .integer(grace), "must be greater than 0"))
        }
        if kind != .readiness, let threshold = probe.number("successThreshold"), threshold != 1 {
            errors.append(.invalid(path.child("successThreshold").description, value: .integer(threshold), "must be 1"))
        }
        return errors
    }

    enum ProbeKind {
        case liveness, readiness, startup
    }

    static func validateHandler(_ handler: JSONValue, path: FieldPath, allowSleep: Bool = false) -> [StatusCause] {
        var errors: [StatusCause] = []
        var handlers = 0
        for key in ["exec", "httpGet", "tcpSocket", "grpc", "sleep"] {
            guard let action = handler[key], !action.isNull, key != "sleep" || allowSleep else { continue }
            let actionPath = path.child(key)
            if handlers > 0 {
                errors.append(.forbidden(actionPath.description, "may not specify more than 1 handler type"))
                continue
            }
            handlers += 1
            switch key {
            case "exec":
                if action.items("command").isEmpty { errors.append(.required(actionPath.child("command").description)) }
            case "httpGet":
                if action.text("path").isEmpty { errors.append(.required(actionPath.child("path").description)) }
                errors += validatePortNumberOrName(action["port"], path: actionPath.child("port"))
                let scheme = action.text("scheme")
                if scheme != "HTTP" && scheme != "HTTPS" {
                    errors.append(.notSupported(actionPath.child("scheme").description, value: .string(scheme), supported: ["HTTP", "HTTPS"]))
                }
            case "tcpSocket":
                errors += validatePortNumberOrName(action["port"], path: actionPath.child("port"))
            case "grpc":
                let port = action.number("port") ?? 0
                errors += NameRules.portNumber(port).map { .invalid(actionPath.child("port").description, value: .integer(port), $0) }
            default:
                if let seconds = action.number("seconds"), seconds < 0 {
                    errors.append(.invalid(actionPath.child("seconds").description, value: .integer(seconds), "must be non-negative"))
                }
            }
        }
        if handlers == 0 { errors.append(.required(path.description, "must specify a handler type")) }
        return errors
    }

    /// An `IntOrString` port: a number in 1-65535 or an IANA service name.
    static func validatePortNumberOrName(_ port: JSONValue?, path: FieldPath) -> [StatusCause] {
        switch port {
        case .string(let name)?:
            return NameRules.portName(name).map { .invalid(path.description, value: .string(name), $0) }
        default:
            let number = port?.integerValue ?? 0
            return NameRules.portNumber(number).map { .invalid(path.description, value: .integer(number), $0) }
        }
    }

    // MARK: - Resources

    static func validateResourceRequirements(_ resources: JSONValue, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        let limitsPath = path.child("limits")
        let requestsPath = path.child("requests")
        var limits: [String: Quantity] = [:]
        for (name, raw) in (resources.fields("limits") ?? [:]).sorted(by: { $0.key < $1.key }) {
            let quantityPath = limitsPath.key(name)
            errors += validateContainerResourceName(name, path: quantityPath)
            guard let quantity = parseQuantity(raw, path: quantityPath, errors: &errors) else { continue }
            errors += validateQuantityValue(name, quantity, path: quantityPath)
            limits[name] = quantity
        }
        for (name, raw) in (resources.fields("requests") ?? [:]).sorted(by: { $0.key < $1.key }) {
            let quantityPath = requestsPath.key(name)
            errors += validateContainerResourceName(name, path: quantityPath)
            guard let quantity = parseQuantity(raw, path: quantityPath, errors: &errors) else { continue }
            errors += validateQuantityValue(name, quantity, path: quantityPath)
            if let limit = limits[name] {
                if quantity != limit && !isOvercommitAllowed(name) {
                    errors.append(
                        .invalid(requestsPath.description, value: .string(quantity.description), "must be equal to \(name) limit of \(limit)"))
                } else if quantity > limit {
                    errors.append(
                        .invalid(
                            requestsPath.description, value: .string(quantity.description),
                            "must be less than or equal to \(name) limit of \(limit)"))
                }
            } else if !isOvercommitAllowed(name) {
                errors.append(.required(limitsPath.description, "Limit must be set for non overcommitable resources"))
            }
        }
        return errors
    }

    static func parseQuantity(_ raw: JSONValue, path: FieldPath, errors: inout [StatusCause]) -> Quantity? {
        guard let quantity = Quantity(json: raw) else {
            errors.append(.invalid(path.description, value: raw, Quantity.syntaxError))
            return nil
        }
        return quantity
    }

    static func validateQuantityValue(_ name: String, _ quantity: Quantity, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        if quantity.isNegative {
            errors.append(.invalid(path.description, value: .string(quantity.description), "must be greater than or equal to 0"))
        }
        if isExtendedResource(name) && !quantity.isInteger {
            errors.append(.invalid(path.description, value: .string(quantity.description), "must be an integer"))
        }
        return errors
    }

    private static func validateContainerResourceName(_ name: String, path: FieldPath) -> [StatusCause] {
        var errors = NameRules.qualifiedName(name).map { StatusCause.invalid(path.description, value: .string(name), $0) }
        if !name.contains("/") {
            if !["cpu", "memory", "ephemeral-storage"].contains(name) && !name.hasPrefix("hugepages-") {
                errors.append(.invalid(path.description, value: .string(name), "must be a standard resource for containers"))
            }
        } else if !isNativeResource(name) && name.hasPrefix("requests.") {
            errors.append(.invalid(path.description, value: .string(name), "doesn't follow extended resource name standard"))
        }
        return errors
    }

    private static func isNativeResource(_ name: String) -> Bool {
        !name.contains("/") || name.contains("kubernetes.io/")
    }

    static func isExtendedResource(_ name: String) -> Bool {
        !isNativeResource(name) && !name.hasPrefix("requests.")
    }

    /// Only native, non-hugepage resources may request less than their limit.
    private static func isOvercommitAllowed(_ name: String) -> Bool {
        isNativeResource(name) && !name.hasPrefix("hugepages-")
    }

    private static func validateContainerSecurityContext(_ context: JSONValue?, path: FieldPath) -> [StatusCause] {
        guard let context, context.objectValue != nil else { return [] }
        var errors: [StatusCause] = []
        for field in ["runAsUser", "runAsGroup"] {
            if let id = context.number(field), !(0...2_147_483_647).contains(id) {
                errors.append(.invalid(path.child(field).description, value: .integer(id), "must be between 0 and 2147483647, inclusive"))
            }
        }
        if context["privileged"]?.boolValue == true, context["allowPrivilegeEscalation"]?.boolValue == false {
            errors.append(.invalid(path.description, value: "", "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"))
        }
        return errors
    }
}
