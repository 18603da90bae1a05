import APIMachinery

/// ConfigMaps, Secrets, Namespaces and ServiceAccounts.
extension Validation {
    /// Secrets and ConfigMaps share one size limit: they must fit an etcd request.
    static let maxConfigSize = 1024 * 1024
    private static let immutableMessage = "field is immutable when `immutable` is set"

    static func validateSecret(_ secret: JSONValue) -> [StatusCause] {
        let dataPath = FieldPath("data")
        var errors: [StatusCause] = []
        let data = secret.fields("data") ?? [:]
        var totalSize = 0
        for key in data.keys.sorted() {
            errors += NameRules.configKey(key).map { .invalid(dataPath.key(key).description, value: .string(key), $0) }
            let encoded = data[key]?.stringValue ?? ""
            totalSize += Base64.decodedLength(encoded) ?? encoded.utf8.count
        }
        if totalSize > maxConfigSize { errors.append(.tooLong(dataPath.description, value: "", maximum: maxConfigSize)) }
        switch secret.text("type") {
        case "kubernetes.io/service-account-token":
            if (secret[path: "metadata", "annotations", "kubernetes.io/service-account.name"]?.stringValue ?? "").isEmpty {
                errors.append(.required("metadata.annotations[kubernetes.io/service-account.name]"))
            }
        case "kubernetes.io/dockercfg":
            if data[".dockercfg"] == nil { errors.append(.required(dataPath.key(".dockercfg").description)) }
        case "kubernetes.io/dockerconfigjson":
            if data[".dockerconfigjson"] == nil { errors.append(.required(dataPath.key(".dockerconfigjson").description)) }
        case "kubernetes.io/basic-auth":
            if data["username"] == nil && data["password"] == nil {
                errors.append(.required(dataPath.key("username").description))
                errors.append(.required(dataPath.key("password").description))
            }
        case "kubernetes.io/ssh-auth":
            if (data["ssh-privatekey"]?.stringValue ?? "").isEmpty { errors.append(.required(dataPath.key("ssh-privatekey").description)) }
        case "kubernetes.io/tls":
            if data["tls.crt"] == nil { errors.append(.required(dataPath.key("tls.crt").description)) }
            if data["tls.key"] == nil { errors.append(.required(dataPath.key("tls.key").description)) }
        default:
            break
        }
        return errors
    }

    static func validateSecretUpdate(_ secret: JSONValue, old: JSONValue) -> [StatusCause] {
        var errors = immutable(.string(secret.text("type")), .string(old.text("type")), FieldPath("type"))
        if old["immutable"]?.boolValue == true {
            if secret["immutable"]?.boolValue != true { errors.append(.forbidden("immutable", immutableMessage)) }
            if (secret.fields("data") ?? [:]) != (old.fields("data") ?? [:]) { errors.append(.forbidden("data", immutableMessage)) }
        }
        return errors
    }

    static func validateConfigMap(_ configMap: JSONValue) -> [StatusCause] {
        var errors: [StatusCause] = []
        let data = configMap.fields("data") ?? [:]
        let binaryData = configMap.fields("binaryData") ?? [:]
        var totalSize = 0
        for key in data.keys.sorted() {
            let path = FieldPath("data").key(key).description
            errors += NameRules.configKey(key).map { .invalid(path, value: .string(key), $0) }
            if binaryData[key] != nil { errors.append(.invalid(path, value: .string(key), "duplicate of key present in binaryData")) }
            totalSize += (data[key]?.stringValue ?? "").utf8.count
        }
        for key in binaryData.keys.sorted() {
            let path = FieldPath("binaryData").key(key).description
            errors += NameRules.configKey(key).map { .invalid(path, value: .string(key), $0) }
            if data[key] != nil { errors.append(.invalid(path, value: .string(key), "duplicate of key present in data")) }
            let encoded = binaryData[key]?.stringValue ?? ""
            totalSize += Base64.decodedLength(encoded) ?? encoded.utf8.count
        }
        // Kubernetes reports the size against the whole object, with an empty field path.
        if totalSize > maxConfigSize { errors.append(.tooLong("", value: "", maximum: maxConfigSize)) }
        return errors
    }

    static func validateConfigMapUpdate(_ configMap: JSONValue, old: JSONValue) -> [StatusCause] {
        guard old["immutable"]?.boolValue == true else { return [] }
        var errors: [StatusCause] = []
        if configMap["immutable"]?.boolValue != true { errors.append(.forbidden("immutable", immutableMessage)) }
        if (configMap.fields("data") ?? [:]) != (old.fields("data") ?? [:]) { errors.append(.forbidden("data", immutableMessage)) }
        if (configMap.fields("binaryData") ?? [:]) != (old.fields("binaryData") ?? [:]) {
            errors.append(.forbidden("binaryData", immutableMessage))
        }
        return errors
    }

    static func validateNamespace(_ namespace: JSONValue) -> [StatusCause] {
        var errors: [StatusCause] = []
        let path = FieldPath("spec.finalizers")
        for finalizer in namespace[path: "spec", "finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            errors += NameRules.qualifiedName(finalizer).map { .invalid(path.description, value: .string(finalizer), $0) }
            if !finalizer.contains("/") && !["kubernetes", "orphan", "foregroundDeletion"].contains(finalizer) {
                errors.append(.invalid(path.description, value: .string(finalizer), "name is neither a standard finalizer name nor is it fully qualified"))
            }
        }
        return errors
    }

    static func validateServiceAccount(_ account: JSONValue) -> [StatusCause] {
        var errors: [StatusCause] = []
        for (index, secret) in account.items("secrets").enumerated() {
            let name = secret.text("name")
            guard !name.isEmpty else { continue }
            errors += NameRules.dns1123Subdomain(name).map { .invalid(FieldPath("secrets").index(index).child("name").description, value: .string(name), $0) }
        }
        return errors
    }
}
