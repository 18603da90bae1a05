import APIMachinery

/// `ValidateObjectMeta`, `ValidateObjectMetaUpdate`, labels, annotations and label selectors.
extension Validation {
    static let totalAnnotationSizeLimit = 256 * 1024

    static func validateObjectMeta(_ metadata: JSONValue, namespaced: Bool, nameRule: NameRule) -> [StatusCause] {
        let path = FieldPath("metadata")
        var errors: [StatusCause] = []
        let generateName = metadata.text("generateName")
        if !generateName.isEmpty {
            for message in nameErrors(generateName, rule: nameRule, prefix: true) {
                errors.append(.invalid(path.child("generateName").description, value: .string(generateName), message))
            }
        }
        let name = metadata.text("name")
        if name.isEmpty {
            errors.append(.required(path.child("name").description, "name or generateName is required"))
        } else {
            for message in nameErrors(name, rule: nameRule) {
                errors.append(.invalid(path.child("name").description, value: .string(name), message))
            }
        }
        let namespace = metadata.text("namespace")
        if namespaced {
            if namespace.isEmpty {
                errors.append(.required(path.child("namespace").description))
            } else {
                for message in NameRules.dns1123Label(namespace) {
                    errors.append(.invalid(path.child("namespace").description, value: .string(namespace), message))
                }
            }
        } else if !namespace.isEmpty {
            errors.append(.forbidden(path.child("namespace").description, "not allowed on this type"))
        }
        if let generation = metadata.number("generation"), generation < 0 {
            errors.append(.invalid(path.child("generation").description, value: .integer(generation), "must be greater than or equal to 0"))
        }
        errors += validateLabels(metadata["labels"], path: path.child("labels"))
        errors += validateAnnotations(metadata["annotations"], path: path.child("annotations"))
        errors += validateOwnerReferences(metadata.items("ownerReferences"), path: path.child("ownerReferences"))
        errors += validateFinalizers(metadata.items("finalizers").compactMap(\.stringValue), path: path.child("finalizers"))
        return errors
    }

    static func validateObjectMetaUpdate(_ metadata: JSONValue, old: JSONValue) -> [StatusCause] {
        let path = FieldPath("metadata")
        var errors: [StatusCause] = []
        if old.isSet("deletionTimestamp") {
            let oldFinalizers = Set(old.items("finalizers").compactMap(\.stringValue))
            let added = metadata.items("finalizers").compactMap(\.stringValue).filter { !oldFinalizers.contains($0) }
            if !added.isEmpty {
                errors.append(
                    .forbidden(
                        path.child("finalizers").description,
                        "no new finalizers can be added if the object is being deleted, found new finalizers \(GoSyntax.stringSlice(added))"))
            }
        }
        if let generation = metadata.number("generation"), generation < (old.number("generation") ?? 0) {
            errors.append(.invalid(path.child("generation").description, value: .integer(generation), "must not be decremented"))
        }
        for field in ["name", "namespace", "uid"] {
            errors += immutable(.string(metadata.text(field)), .string(old.text(field)), path.child(field))
        }
        for field in ["creationTimestamp", "deletionTimestamp"] where metadata[field] != old[field] {
            let rendered = GoSyntax.time(metadata[field]?.stringValue)
            if metadata.isSet(field) || old.isSet(field) {
                errors.append(.invalid(path.child(field).description, renderedValue: rendered, "field is immutable"))
            }
        }
        errors += immutable(metadata["deletionGracePeriodSeconds"], old["deletionGracePeriodSeconds"], path.child("deletionGracePeriodSeconds"))
        return errors
    }

    /// `ValidateLabels`; Go walks the map in random order, Skiff in key order.
    static func validateLabels(_ labels: JSONValue?, path: FieldPath) -> [StatusCause] {
        guard let labels = labels?.objectValue else { return [] }
        var errors: [StatusCause] = []
        for key in labels.keys.sorted() {
            for message in NameRules.qualifiedName(key) {
                errors.append(.invalid(path.description, value: .string(key), message))
            }
            let value = labels[key]?.stringValue ?? ""
            for message in NameRules.labelValue(value) {
                errors.append(.invalid(path.description, value: .string(value), message))
            }
        }
        return errors
    }

    static func validateAnnotations(_ annotations: JSONValue?, path: FieldPath) -> [StatusCause] {
        guard let annotations = annotations?.objectValue else { return [] }
        var errors: [StatusCause] = []
        var size = 0
        for key in annotations.keys.sorted() {
            // Annotation keys are qualified names in any letter case.
            for message in NameRules.qualifiedName(key.lowercased()) {
                errors.append(.invalid(path.description, value: .string(key), message))
            }
            size += key.utf8.count + (annotations[key]?.stringValue ?? "").utf8.count
        }
        if size > totalAnnotationSizeLimit {
            errors.append(.tooLong(path.description, value: "", maximum: totalAnnotationSizeLimit))
        }
        return errors
    }

    static func validateOwnerReferences(_ references: [JSONValue], path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        var controllers: [String] = []
        for reference in references {
            let apiVersion = reference.text("apiVersion")
            let version = GroupVersion(apiVersion: apiVersion).version
            if version.isEmpty {
                errors.append(.invalid(path.child("apiVersion").description, value: .string(apiVersion), "version must not be empty"))
            }
            if reference.text("kind").isEmpty {
                errors.append(.invalid(path.child("kind").description, value: "", "kind must not be empty"))
            }
            if reference.text("name").isEmpty {
                errors.append(.invalid(path.child("name").description, value: "", "name must not be empty"))
            }
            if reference.text("uid").isEmpty {
                errors.append(.invalid(path.child("uid").description, value: "", "uid must not be empty"))
            }
            if reference["controller"]?.boolValue == true {
                controllers.append("\(reference.text("kind"))/\(reference.text("name"))")
            }
        }
        if controllers.count > 1 {
            errors.append(
                .invalid(
                    path.description, renderedValue: GoSyntax.stringSlice(controllers),
                    "Only one reference can have Controller set to true. Found \"true\" in references for \(controllers.joined(separator: " and "))"))
        }
        return errors
    }

    static func validateFinalizers(_ finalizers: [String], path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        for finalizer in finalizers {
            for message in NameRules.qualifiedName(finalizer) {
                errors.append(.invalid(path.description, value: .string(finalizer), message))
            }
        }
        if finalizers.contains("orphan") && finalizers.contains("foregroundDeletion") {
            errors.append(
                .invalid(path.description, renderedValue: GoSyntax.stringSlice(finalizers), "finalizer orphan and foregroundDeletion cannot be both set"))
        }
        for (index, finalizer) in finalizers.enumerated() where !finalizer.contains("/") {
            if !["kubernetes", "orphan", "foregroundDeletion"].contains(finalizer) {
                errors.append(
                    .invalid(path.index(index).description, value: .string(finalizer), "name is neither a standard finalizer name nor is it fully qualified"))
            }
        }
        return errors
    }

    static func validateLabelSelector(_ selector: JSONValue?, path: FieldPath) -> [StatusCause] {
        guard let selector, selector.objectValue != nil else { return [] }
        var errors = validateLabels(selector["matchLabels"], path: path.child("matchLabels"))
        for (index, requirement) in selector.items("matchExpressions").enumerated() {
            let requirementPath = path.child("matchExpressions").index(index)
            let values = requirement.items("values").compactMap(\.stringValue)
            switch requirement.text("operator") {
            case "In", "NotIn":
                if values.isEmpty {
                    errors.append(.required(requirementPath.child("values").description, "must be specified when `operator` is 'In' or 'NotIn'"))
                }
            case "Exists", "DoesNotExist":
                if !values.isEmpty {
                    errors.append(
                        .forbidden(requirementPath.child("values").description, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
                }
            default:
                errors.append(
                    .invalid(requirementPath.child("operator").description, value: .string(requirement.text("operator")), "not a valid selector operator"))
            }
            for message in NameRules.qualifiedName(requirement.text("key")) {
                errors.append(.invalid(requirementPath.child("key").description, value: .string(requirement.text("key")), message))
            }
            for (valueIndex, value) in values.enumerated() {
                for message in NameRules.labelValue(value) {
                    errors.append(.invalid(requirementPath.child("values").index(valueIndex).description, value: .string(value), message))
                }
            }
        }
        return errors
    }

    /// Whether a `metav1.LabelSelector` selects the labels; an empty selector selects everything.
    static func selector(_ selector: JSONValue, matches labels: [String: String]) -> Bool {
        for (key, value) in selector.stringMap("matchLabels") ?? [:] where labels[key] != value { return false }
        for requirement in selector.items("matchExpressions") {
            let key = requirement.text("key")
            let values = requirement.items("values").compactMap(\.stringValue)
            switch requirement.text("operator") {
            case "In": guard let label = labels[key], values.contains(label) else { return false }
            case "NotIn": if let label = labels[key], values.contains(label) { return false }
            case "Exists": if labels[key] == nil { return false }
            case "DoesNotExist": if labels[key] != nil { return false }
            default: return false
            }
        }
        return true
    }

    static func isEmptySelector(_ selector: JSONValue) -> Bool {
        (selector.fields("matchLabels") ?? [:]).isEmpty && selector.items("matchExpressions").isEmpty
    }

    /// `ValidateNonnegativeField`: `<path>: Invalid value: -1: must be greater than or equal to 0`.
    static func nonNegative(_ object: JSONValue, _ key: String, _ path: FieldPath) -> [StatusCause] {
        guard let value = object.number(key), value < 0 else { return [] }
        return [.invalid(path.child(key).description, value: .integer(value), "must be greater than or equal to 0")]
    }
}
