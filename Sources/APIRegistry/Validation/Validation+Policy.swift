import APIMachinery

/// Autoscaling, RBAC, disruption budgets, priority classes, leases, nodes and quotas.
extension Validation {
    static func validateHorizontalPodAutoscaler(_ autoscaler: JSONValue) -> [StatusCause] {
        let spec = autoscaler["spec"] ?? .emptyObject
        let path = FieldPath("spec")
        var errors: [StatusCause] = []
        let minReplicas = spec.number("minReplicas")
        if let minReplicas, minReplicas < 1 {
            errors.append(.invalid(path.child("minReplicas").description, value: .integer(minReplicas), "must be greater than or equal to 1"))
        }
        let maxReplicas = spec.number("maxReplicas") ?? 0
        if maxReplicas < 1 { errors.append(.invalid(path.child("maxReplicas").description, value: .integer(maxReplicas), "must be greater than 0")) }
        if let minReplicas, maxReplicas < minReplicas {
            errors.append(.invalid(path.child("maxReplicas").description, value: .integer(maxReplicas), "must be greater than or equal to `minReplicas`"))
        }
        let target = spec["scaleTargetRef"] ?? .emptyObject
        for field in ["kind", "name"] {
            let value = target.text(field)
            let fieldPath = path.child("scaleTargetRef", field).description
            if value.isEmpty {
                errors.append(.required(fieldPath))
            } else {
                errors += NameRules.pathSegmentName(value).map { .invalid(fieldPath, value: .string(value), $0) }
            }
        }
        if autoscaler["apiVersion"]?.stringValue == "autoscaling/v1" {
            // v1's single CPU target is stored as the first metric; Kubernetes reports it at that path.
            if let percent = spec.number("targetCPUUtilizationPercentage"), percent < 1 {
                errors.append(.invalid("spec.metrics[0].resource.target.averageUtilization", value: .integer(percent), "must be greater than 0"))
            }
            return errors
        }
        for (index, metric) in spec.items("metrics").enumerated() {
            errors += validateMetric(metric, path: path.child("metrics").index(index))
        }
        if let behavior = spec["behavior"], behavior.objectValue != nil {
            for direction in ["scaleUp", "scaleDown"] {
                guard let rules = behavior[direction], rules.objectValue != nil else { continue }
                errors += validateScalingRules(rules, path: path.child("behavior", direction))
            }
        }
        return errors
    }

    private static let metricSources = ["Object": "object", "Pods": "pods", "Resource": "resource", "External": "external", "ContainerResource": "containerResource"]

    private static func validateMetric(_ metric: JSONValue, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        let type = metric.text("type")
        let supported = ["Object", "Pods", "Resource", "External", "ContainerResource"]
        if type.isEmpty { errors.append(.required(path.child("type").description, "must specify a metric source type")) }
        guard let field = metricSources[type] else {
            errors.append(.notSupported(path.child("type").description, value: .string(type), supported: supported))
            return errors
        }
        guard let source = metric[field], source.objectValue != nil else {
            errors.append(.required(path.child(field).description, "must populate information for the given metric source"))
            return errors
        }
        for (otherType, otherField) in metricSources.sorted(by: { $0.key < $1.key }) where otherType != type && metric.isSet(otherField) {
            errors.append(.forbidden(path.child(otherField).description, "must populate the given metric source only"))
        }
        if type == "Resource" || type == "ContainerResource" {
            if source.text("name").isEmpty {
                errors.append(.required(path.child(field, "name").description, "must specify a resource name"))
            }
            if type == "ContainerResource" && source.text("container").isEmpty {
                errors.append(.required(path.child(field, "container").description, "must specify a container"))
            }
            let target = source["target"] ?? .emptyObject
            errors += validateMetricTarget(target, path: path.child(field, "target"))
            let hasUtilization = target.isSet("averageUtilization")
            let hasAverage = target.isSet("averageValue")
            if !hasUtilization && !hasAverage {
                errors.append(.required(path.child(field, "target", "averageUtilization").description, "must set either a target raw value or a target utilization"))
            } else if hasUtilization && hasAverage {
                errors.append(.forbidden(path.child(field, "target", "averageValue").description, "may not set both a target raw value and a target utilization"))
            }
        } else {
            errors += validateMetricTarget(source["target"] ?? .emptyObject, path: path.child(field, "target"))
        }
        return errors
    }

    private static func validateMetricTarget(_ target: JSONValue, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        let type = target.text("type")
        if type.isEmpty { errors.append(.required(path.child("type").description, "must specify a metric target type")) }
        if !["Utilization", "Value", "AverageValue"].contains(type) {
            errors.append(.invalid(path.child("type").description, value: .string(type), "must be either Utilization, Value, or AverageValue"))
        }
        for field in ["value", "averageValue"] {
            guard let raw = target[field], !raw.isNull else { continue }
            if let quantity = parseQuantity(raw, path: path.child(field), errors: &errors), quantity.isNegative || quantity.isZero {
                errors.append(.invalid(path.child(field).description, value: .string(quantity.description), "must be positive"))
            }
        }
        if let utilization = target.number("averageUtilization"), utilization < 1 {
            errors.append(.invalid(path.child("averageUtilization").description, value: .integer(utilization), "must be greater than 0"))
        }
        return errors
    }

    private static func validateScalingRules(_ rules: JSONValue, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        if let window = rules.number("stabilizationWindowSeconds") {
            if window < 0 {
                errors.append(.invalid(path.child("stabilizationWindowSeconds").description, value: .integer(window), "must be greater than or equal to zero"))
            } else if window > 3600 {
                errors.append(.invalid(path.child("stabilizationWindowSeconds").description, value: .integer(window), "must be less than or equal to 3600"))
            }
        }
        if rules.isSet("selectPolicy") {
            let policy = rules.text("selectPolicy")
            if !["Disabled", "Max", "Min"].contains(policy) {
                errors.append(.notSupported(path.child("selectPolicy").description, value: .string(policy), supported: ["Disabled", "Max", "Min"]))
            }
        }
        let policies = rules.items("policies")
        if policies.isEmpty { errors.append(.required(path.child("policies").description, "must specify at least one Policy")) }
        for (index, policy) in policies.enumerated() {
            let policyPath = path.child("policies").index(index)
            let type = policy.text("type")
            if type != "Pods" && type != "Percent" {
                errors.append(.notSupported(policyPath.child("type").description, value: .string(type), supported: ["Percent", "Pods"]))
            }
            let value = policy.number("value") ?? 0
            if value <= 0 { errors.append(.invalid(policyPath.child("value").description, value: .integer(value), "must be greater than zero")) }
            let period = policy.number("periodSeconds") ?? 0
            if period <= 0 {
                errors.append(.invalid(policyPath.child("periodSeconds").description, value: .integer(period), "must be greater than zero"))
            } else if period > 1800 {
                errors.append(.invalid(policyPath.child("periodSeconds").description, value: .integer(period), "must be less than or equal to 1800"))
            }
        }
        return errors
    }

    // MARK: - RBAC

    static func validateRole(_ role: JSONValue) -> [StatusCause] {
        let namespaced = role["kind"]?.stringValue == "Role"
        var errors: [StatusCause] = []
        for (index, rule) in role.items("rules").enumerated() {
            let path = FieldPath("rules").index(index)
            if rule.items("verbs").isEmpty { errors.append(.required(path.child("verbs").description, "verbs must contain at least one value")) }
            let urls = rule.items("nonResourceURLs").compactMap(\.stringValue)
            if !urls.isEmpty {
                if namespaced {
                    errors.append(.invalid(path.child("nonResourceURLs").description, renderedValue: GoSyntax.stringSlice(urls), "namespaced rules cannot apply to non-resource URLs"))
                }
                if !rule.items("apiGroups").isEmpty || !rule.items("resources").isEmpty || !rule.items("resourceNames").isEmpty {
                    errors.append(
                        .invalid(path.child("nonResourceURLs").description, renderedValue: GoSyntax.stringSlice(urls), "rules cannot apply to both regular resources and non-resource URLs"))
                }
                continue
            }
            if rule.items("apiGroups").isEmpty {
                errors.append(.required(path.child("apiGroups").description, "resource rules must supply at least one api group"))
            }
            if rule.items("resources").isEmpty {
                errors.append(.required(path.child("resources").description, "resource rules must supply at least one resource"))
            }
        }
        return errors
    }

    static func validateRoleBinding(_ binding: JSONValue, namespaced: Bool) -> [StatusCause] {
        var errors: [StatusCause] = []
        let roleRef = binding["roleRef"] ?? .emptyObject
        let group = roleRef.text("apiGroup")
        if group != "rbac.authorization.k8s.io" {
            errors.append(.notSupported("roleRef.apiGroup", value: .string(group), supported: ["rbac.authorization.k8s.io"]))
        }
        let kind = roleRef.text("kind")
        let kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"]
        if !kinds.contains(kind) { errors.append(.notSupported("roleRef.kind", value: .string(kind), supported: kinds)) }
        let name = roleRef.text("name")
        if name.isEmpty {
            errors.append(.required("roleRef.name"))
        } else {
            errors += NameRules.pathSegmentName(name).map { .invalid("roleRef.name", value: .string(name), $0) }
        }
        for (index, subject) in binding.items("subjects").enumerated() {
            let path = FieldPath("subjects").index(index)
            let subjectName = subject.text("name")
            if subjectName.isEmpty { errors.append(.required(path.child("name").description)) }
            let subjectGroup = subject.text("apiGroup")
            switch subject.text("kind") {
            case "ServiceAccount":
                if !subjectName.isEmpty {
                    errors += NameRules.dns1123Subdomain(subjectName).map { .invalid(path.child("name").description, value: .string(subjectName), $0) }
                }
                if !subjectGroup.isEmpty { errors.append(.notSupported(path.child("apiGroup").description, value: .string(subjectGroup), supported: [""])) }
                if !namespaced && subject.text("namespace").isEmpty { errors.append(.required(path.child("namespace").description)) }
            case "User", "Group":
                if subjectGroup != "rbac.authorization.k8s.io" {
                    errors.append(.notSupported(path.child("apiGroup").description, value: .string(subjectGroup), supported: ["rbac.authorization.k8s.io"]))
                }
            case let other:
                errors.append(.notSupported(path.child("kind").description, value: .string(other), supported: ["ServiceAccount", "User", "Group"]))
            }
        }
        return errors
    }

    static func validateRoleBindingUpdate(_ binding: JSONValue, old: JSONValue) -> [StatusCause] {
        let roleRef = binding["roleRef"] ?? .emptyObject
        guard roleRef != (old["roleRef"] ?? .emptyObject) else { return [] }
        let rendered = "rbac.RoleRef{APIGroup:\(GoSyntax.quote(roleRef.text("apiGroup"))), Kind:\(GoSyntax.quote(roleRef.text("kind"))), Name:\(GoSyntax.quote(roleRef.text("name")))}"
        return [.invalid("roleRef", renderedValue: rendered, "cannot change roleRef")]
    }

    // MARK: - Policy, scheduling, coordination, nodes, quotas

    static func validatePodDisruptionBudget(_ budget: JSONValue) -> [StatusCause] {
        let spec = budget["spec"] ?? .emptyObject
        let path = FieldPath("spec")
        var errors: [StatusCause] = []
        if spec.isSet("minAvailable") && spec.isSet("maxUnavailable") {
            errors.append(.invalid(path.description, renderedValue: GoSyntax.value(spec), "minAvailable and maxUnavailable cannot be both set"))
        }
        for field in ["minAvailable", "maxUnavailable"] where spec.isSet(field) {
            errors += validateIntOrPercent(spec[field], path: path.child(field))
            errors += notMoreThan100Percent(spec[field], path: path.child(field))
        }
        errors += validateLabelSelector(spec["selector"], path: path.child("selector"))
        if spec.isSet("unhealthyPodEvictionPolicy") {
            let policy = spec.text("unhealthyPodEvictionPolicy")
            if policy != "AlwaysAllow" && policy != "IfHealthyBudget" {
                errors.append(.notSupported(path.child("unhealthyPodEvictionPolicy").description, value: .string(policy), supported: ["AlwaysAllow", "IfHealthyBudget"]))
            }
        }
        return errors
    }

    static func validatePriorityClass(_ priorityClass: JSONValue) -> [StatusCause] {
        var errors: [StatusCause] = []
        let name = priorityClass[path: "metadata", "name"]?.stringValue ?? ""
        let value = priorityClass.number("value") ?? 0
        if name.hasPrefix("system-") {
            let reason: String?
            if let system = SystemPriorityClass.named(name) {
                if system.value != value {
                    reason = "value of \(name) PriorityClass must be \(system.value)"
                } else if priorityClass["globalDefault"]?.boolValue == true {
                    // No system class is the global default.
                    reason = "globalDefault of \(name) PriorityClass must be false"
                } else {
                    reason = nil
                }
            } else {
                reason = "\(name) is not a known system priority class"
            }
            if let reason {
                errors.append(.forbidden("metadata.name", "priority class names with 'system-' prefix are reserved for system use only. error: \(reason)"))
            }
        } else if value > 1_000_000_000 {
            errors.append(.forbidden("value", "maximum allowed value of a user defined priority is 1000000000"))
        }
        if priorityClass.isSet("preemptionPolicy") {
            let policy = priorityClass.text("preemptionPolicy")
            if policy != "PreemptLowerPriority" && policy != "Never" {
                errors.append(.notSupported("preemptionPolicy", value: .string(policy), supported: ["PreemptLowerPriority", "Never"]))
            }
        }
        return errors
    }

    static func validatePriorityClassUpdate(_ priorityClass: JSONValue, old: JSONValue) -> [StatusCause] {
        var errors: [StatusCause] = []
        if priorityClass.number("value") != old.number("value") { errors.append(.forbidden("value", "may not be changed in an update.")) }
        errors += immutable(priorityClass["preemptionPolicy"], old["preemptionPolicy"], FieldPath("preemptionPolicy"))
        return errors
    }

    static func validateLease(_ lease: JSONValue) -> [StatusCause] {
        let spec = lease["spec"] ?? .emptyObject
        var errors: [StatusCause] = []
        if let duration = spec.number("leaseDurationSeconds"), duration <= 0 {
            errors.append(.invalid("spec.leaseDurationSeconds", value: .integer(duration), "must be greater than 0"))
        }
        if let transitions = spec.number("leaseTransitions"), transitions < 0 {
            errors.append(.invalid("spec.leaseTransitions", value: .integer(transitions), "must be greater than or equal to 0"))
        }
        return errors
    }

    static func validateNode(_ node: JSONValue) -> [StatusCause] {
        var errors: [StatusCause] = []
        for (index, taint) in (node[path: "spec", "taints"]?.arrayValue ?? []).enumerated() {
            let path = FieldPath("spec.taints").index(index)
            let key = taint.text("key")
            errors += NameRules.qualifiedName(key).map { .invalid(path.child("key").description, value: .string(key), $0) }
            let value = taint.text("value")
            errors += NameRules.labelValue(value).map { .invalid(path.child("value").description, value: .string(value), $0) }
            let effect = taint.text("effect")
            if effect.isEmpty {
                errors.append(.required(path.child("effect").description))
            } else if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(effect) {
                errors.append(.notSupported(path.child("effect").description, value: .string(effect), supported: ["NoSchedule", "PreferNoSchedule", "NoExecute"]))
            }
        }
        return errors
    }

    static func validateResourceQuota(_ quota: JSONValue) -> [StatusCause] {
        var errors: [StatusCause] = []
        for (name, raw) in (quota[path: "spec", "hard"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = FieldPath("spec.hard").key(name)
            errors += NameRules.qualifiedName(name).map { .invalid(path.description, value: .string(name), $0) }
            if let quantity = parseQuantity(raw, path: path, errors: &errors), quantity.isNegative {
                errors.append(.invalid(path.description, value: .string(quantity.description), "must be greater than or equal to 0"))
            }
        }
        return errors
    }
}
