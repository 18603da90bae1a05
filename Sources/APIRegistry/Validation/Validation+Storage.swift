import APIMachinery

/// PersistentVolumes, PersistentVolumeClaims and StorageClasses.
extension Validation {
    static let accessModes = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
    static let persistentVolumeSources = [
        "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "glusterfs", "flocker", "nfs", "rbd", "quobyte", "cinder", "cephfs", "iscsi", "fc",
        "azureFile", "vsphereVolume", "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "local", "storageos", "csi", "flexVolume",
    ]

    static func validatePersistentVolumeClaim(_ claim: JSONValue) -> [StatusCause] {
        validateClaimSpec(claim["spec"] ?? .emptyObject, path: FieldPath("spec"))
    }

    static func validateClaimSpec(_ spec: JSONValue, path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        let modes = spec.items("accessModes").compactMap(\.stringValue)
        if modes.isEmpty { errors.append(.required(path.child("accessModes").description, "at least 1 access mode is required")) }
        errors += validateLabelSelector(spec["selector"], path: path.child("selector"))
        errors += validateAccessModes(modes, path: path.child("accessModes"))
        let storagePath = path.child("resources").key("storage")
        if let raw = spec[path: "resources", "requests", "storage"] {
            if let quantity = parseQuantity(raw, path: storagePath, errors: &errors), quantity.isNegative || quantity.isZero {
                errors.append(.invalid(storagePath.description, value: .string(quantity.description), "must be greater than zero"))
            }
        } else {
            errors.append(.required(storagePath.description))
        }
        let className = spec.text("storageClassName")
        if !className.isEmpty {
            errors += NameRules.dns1123Subdomain(className).map { .invalid(path.child("storageClassName").description, value: .string(className), $0) }
        }
        if spec.isSet("volumeMode") {
            let mode = spec.text("volumeMode")
            if mode != "Block" && mode != "Filesystem" {
                errors.append(.notSupported(path.child("volumeMode").description, value: .string(mode), supported: ["Block", "Filesystem"]))
            }
        }
        return errors
    }

    private static func validateAccessModes(_ modes: [String], path: FieldPath) -> [StatusCause] {
        var errors: [StatusCause] = []
        for mode in modes where !accessModes.contains(mode) {
            errors.append(.notSupported(path.description, value: .string(mode), supported: accessModes))
        }
        if modes.contains("ReadWriteOncePod") && modes.count > 1 {
            errors.append(.forbidden(path.description, "may not use ReadWriteOncePod with other access modes"))
        }
        return errors
    }

    /// Only a bound claim may grow its storage request; everything else in the spec is fixed at creation.
    static func validatePersistentVolumeClaimUpdate(_ claim: JSONValue, old: JSONValue) -> [StatusCause] {
        var spec = claim["spec"] ?? .emptyObject
        var oldSpec = old["spec"] ?? .emptyObject
        var errors: [StatusCause] = []
        if old[path: "status", "phase"]?.stringValue == "Bound" {
            let newStorage = spec[path: "resources", "requests", "storage"].flatMap { Quantity(json: $0) }
            let oldStorage = oldSpec[path: "resources", "requests", "storage"].flatMap { Quantity(json: $0) }
            if let newStorage, let oldStorage, newStorage < oldStorage {
                errors.append(.forbidden("spec.resources.requests.storage", "field can not be less than status.capacity"))
            }
            spec[path: "resources", "requests", "storage"] = nil
            oldSpec[path: "resources", "requests", "storage"] = nil
        }
        // A claim created before binding gets its volume name from the binder, which is not a user change.
        if oldSpec.text("volumeName").isEmpty {
            spec["volumeName"] = nil
            oldSpec["volumeName"] = nil
        }
        if spec != oldSpec {
            errors.append(.forbidden("spec", "spec is immutable after creation except resources.requests for bound claims"))
        }
        return errors
    }

    static func validatePersistentVolume(_ volume: JSONValue) -> [StatusCause] {
        let spec = volume["spec"] ?? .emptyObject
        let path = FieldPath("spec")
        var errors: [StatusCause] = []
        let modes = spec.items("accessModes").compactMap(\.stringValue)
        if modes.isEmpty { errors.append(.required(path.child("accessModes").description)) }
        let capacity = spec.fields("capacity") ?? [:]
        if capacity.isEmpty { errors.append(.required(path.child("capacity").description)) }
        if capacity["storage"] == nil || capacity.count > 1 {
            errors.append(
                .notSupported(path.child("capacity").description, value: .string(capacity.keys.sorted().joined(separator: ",")), supported: ["storage"]))
        }
        for (name, raw) in capacity.sorted(by: { $0.key < $1.key }) {
            let quantityPath = path.child("capacity").key(name)
            if let quantity = parseQuantity(raw, path: quantityPath, errors: &errors), quantity.isNegative || quantity.isZero {
                errors.append(.invalid(quantityPath.description, value: .string(quantity.description), "must be greater than zero"))
            }
        }
        errors += validateAccessModes(modes, path: path.child("accessModes"))
        let className = spec.text("storageClassName")
        if !className.isEmpty {
            errors += NameRules.dns1123Subdomain(className).map { .invalid(path.child("storageClassName").description, value: .string(className), $0) }
        }
        let policy = spec.text("persistentVolumeReclaimPolicy")
        if !policy.isEmpty && !["Delete", "Recycle", "Retain"].contains(policy) {
            errors.append(.notSupported(path.child("persistentVolumeReclaimPolicy").description, value: .string(policy), supported: ["Delete", "Recycle", "Retain"]))
        }
        var sources = 0
        for key in persistentVolumeSources where spec.isSet(key) {
            if sources > 0 {
                errors.append(.forbidden(path.child(key).description, "may not specify more than 1 volume type"))
                continue
            }
            sources += 1
            let source = spec[key] ?? .emptyObject
            if key == "hostPath" || key == "local" {
                let hostPath = source.text("path")
                if hostPath.isEmpty { errors.append(.required(path.child(key, "path").description)) }
            }
            if key == "nfs" {
                if source.text("server").isEmpty { errors.append(.required(path.child("nfs", "server").description)) }
                if source.text("path").isEmpty { errors.append(.required(path.child("nfs", "path").description)) }
            }
            if key == "csi" {
                if source.text("driver").isEmpty { errors.append(.required(path.child("csi", "driver").description)) }
                if source.text("volumeHandle").isEmpty { errors.append(.required(path.child("csi", "volumeHandle").description)) }
            }
        }
        if sources == 0 { errors.append(.required(path.description, "must specify a volume type")) }
        if spec.isSet("volumeMode") {
            let mode = spec.text("volumeMode")
            if mode != "Block" && mode != "Filesystem" {
                errors.append(.notSupported(path.child("volumeMode").description, value: .string(mode), supported: ["Block", "Filesystem"]))
            }
        }
        return errors
    }

    static func validatePersistentVolumeUpdate(_ volume: JSONValue, old: JSONValue) -> [StatusCause] {
        let spec = volume["spec"] ?? .emptyObject
        let oldSpec = old["spec"] ?? .emptyObject
        var errors: [StatusCause] = []
        let changedSource = persistentVolumeSources.contains { spec[$0] != oldSpec[$0] }
        if changedSource {
            errors.append(.forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation"))
        }
        errors += immutable(spec["volumeMode"], oldSpec["volumeMode"], FieldPath("volumeMode"))
        if oldSpec.isSet("nodeAffinity") && spec["nodeAffinity"] != oldSpec["nodeAffinity"] {
            errors += immutable(spec["nodeAffinity"], oldSpec["nodeAffinity"], FieldPath("spec.nodeAffinity"))
        }
        return errors
    }

    static func validateStorageClass(_ storageClass: JSONValue) -> [StatusCause] {
        var errors: [StatusCause] = []
        let provisioner = storageClass.text("provisioner")
        if provisioner.isEmpty {
            errors.append(.required("provisioner"))
        } else {
            errors += NameRules.qualifiedName(provisioner.lowercased()).map { .invalid("provisioner", value: .string(provisioner), $0) }
        }
        let parameters = storageClass.fields("parameters") ?? [:]
        if parameters.count > 512 { errors.append(.tooMany("parameters", actual: parameters.count, maximum: 512)) }
        let size = parameters.reduce(0) { $0 + $1.key.utf8.count + ($1.value.stringValue ?? "").utf8.count }
        if size > 256 * 1024 { errors.append(.tooLong("parameters", value: "", maximum: 256 * 1024)) }
        if storageClass.isSet("reclaimPolicy") {
            let policy = storageClass.text("reclaimPolicy")
            if !policy.isEmpty && policy != "Delete" && policy != "Retain" {
                errors.append(.notSupported("reclaimPolicy", value: .string(policy), supported: ["Delete", "Retain"]))
            }
        }
        if !storageClass.isSet("volumeBindingMode") {
            errors.append(.required("volumeBindingMode"))
        } else {
            let mode = storageClass.text("volumeBindingMode")
            if mode != "Immediate" && mode != "WaitForFirstConsumer" {
                errors.append(.notSupported("volumeBindingMode", value: .string(mode), supported: ["Immediate", "WaitForFirstConsumer"]))
            }
        }
        return errors
    }

    static func validateStorageClassUpdate(_ storageClass: JSONValue, old: JSONValue) -> [StatusCause] {
        var errors: [StatusCause] = []
        if (storageClass.fields("parameters") ?? [:]) != (old.fields("parameters") ?? [:]) {
            errors.append(.forbidden("parameters", "updates to parameters are forbidden."))
        }
        if storageClass.text("provisioner") != old.text("provisioner") {
            errors.append(.forbidden("provisioner", "updates to provisioner are forbidden."))
        }
        if storageClass.text("reclaimPolicy") != old.text("reclaimPolicy") {
            errors.append(.forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
        }
        errors += immutable(storageClass["volumeBindingMode"], old["volumeBindingMode"], FieldPath("volumeBindingMode"))
        return errors
    }
}
