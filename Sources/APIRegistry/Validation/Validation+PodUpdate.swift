import APIMachinery

/// `ValidatePodUpdate`: a running pod's spec is fixed except for images, a shrinking deadline, added
/// tolerations and removed scheduling gates.
extension Validation {
    static let podUpdatableFields = [
        "`spec.containers[*].image`", "`spec.initContainers[*].image`", "`spec.activeDeadlineSeconds`",
        "`spec.tolerations` (only additions to existing tolerations)",
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
    ]

    static func validatePodUpdate(_ pod: JSONValue, old: JSONValue) -> [StatusCause] {
        let spec = pod["spec"] ?? .emptyObject
        let oldSpec = old["spec"] ?? .emptyObject
        let path = FieldPath("spec")
        var errors: [StatusCause] = []
        for key in ["containers", "initContainers"] {
            let containers = spec.items(key)
            if containers.count != oldSpec.items(key).count {
                return [.forbidden(path.child(key).description, "pod updates may not add or remove containers")]
            }
            for (index, container) in containers.enumerated() where container.text("image").isEmpty {
                errors.append(.required(path.child(key).index(index).child("image").description))
            }
        }
        if let deadline = spec.number("activeDeadlineSeconds") {
            if let oldDeadline = oldSpec.number("activeDeadlineSeconds"), deadline > oldDeadline {
                errors.append(.invalid(path.child("activeDeadlineSeconds").description, value: .integer(deadline), "must be less than or equal to previous value"))
            }
        } else if oldSpec.isSet("activeDeadlineSeconds") {
            errors.append(.invalid(path.child("activeDeadlineSeconds").description, value: .null, "must not update from a positive integer to nil value"))
        }
        let oldTolerations = oldSpec.items("tolerations")
        let tolerations = spec.items("tolerations")
        if oldTolerations.contains(where: { existing in !tolerations.contains { sameToleration($0, existing) } }) {
            errors.append(.forbidden(path.child("tolerations").description, "existing toleration can not be modified except its tolerationSeconds"))
        }
        let oldGates = Set(oldSpec.items("schedulingGates").map { $0.text("name") })
        if spec.items("schedulingGates").contains(where: { !oldGates.contains($0.text("name")) }) {
            errors.append(.forbidden(path.child("schedulingGates").description, "only deletion is allowed, but found new scheduling gate"))
        }
        if mungedSpec(spec, old: oldSpec) != mungedSpec(oldSpec, old: oldSpec) {
            errors.append(.forbidden(path.description, "pod updates may not change fields other than " + podUpdatableFields.joined(separator: ",")))
        }
        return errors
    }

    /// The spec with every field a pod update may change replaced by the stored value, as Kubernetes compares it.
    private static func mungedSpec(_ spec: JSONValue, old: JSONValue) -> JSONValue {
        var munged = spec
        for key in ["containers", "initContainers"] {
            let oldContainers = old.items(key)
            munged.updateEachIndexed(key) { index, container in
                container["image"] = index < oldContainers.count ? oldContainers[index]["image"] : nil
            }
        }
        for field in ["activeDeadlineSeconds", "tolerations", "schedulingGates"] { munged[field] = old[field] }
        if let grace = old.number("terminationGracePeriodSeconds"), grace < 0, spec.number("terminationGracePeriodSeconds") == 1 {
            munged["terminationGracePeriodSeconds"] = old["terminationGracePeriodSeconds"]
        }
        if !old.items("schedulingGates").isEmpty {
            for field in ["nodeSelector", "affinity"] { munged[field] = old[field] }
        }
        return munged
    }

    /// Tolerations match when everything but `tolerationSeconds` is equal.
    private static func sameToleration(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        var left = lhs
        var right = rhs
        left["tolerationSeconds"] = nil
        right["tolerationSeconds"] = nil
        return left == right
    }
}
