import APIMachinery

/// Persistent volumes and claims, storage classes, CSI drivers and nodes, volume attachments.
extension TablePrinter {
    /// The annotation that predates `storageClassName` and still wins over it.
    private static let betaStorageClassAnnotation = "volume.beta.kubernetes.io/storage-class"

    static let persistentVolumes = TablePrinter(
        columns: [
            .name, TableColumn("Capacity", "capacity is the description of the persistent volume's resources and capacity."),
            TableColumn("Access Modes", "accessModes contains all ways the volume can be mounted."),
            TableColumn("Reclaim Policy", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim."),
            TableColumn("Status", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
            TableColumn("Claim", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
            TableColumn("StorageClass", "StorageClass of the pv"),
            TableColumn("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
            TableColumn("Reason", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI."),
            .age,
            TableColumn("VolumeMode", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.", priority: 1),
        ],
        cells: { volume in
            var claim = ""
            if let reference = volume.value("spec", "claimRef"), reference.objectValue != nil {
                claim = (reference["namespace"]?.stringValue ?? "") + "/" + (reference["name"]?.stringValue ?? "")
            }
            let phase = volume.isDeleting ? "Terminating" : volume.string("status", "phase")
            return [
                .string(volume.name), .string(TableFormat.scalar(volume.value("spec", "capacity", "storage")) ?? "0"),
                .string(TableFormat.accessModes(volume.array("spec", "accessModes"))),
                .string(volume.string("spec", "persistentVolumeReclaimPolicy")), .string(phase), .string(claim),
                .string(storageClass(volume)), .string(volume.optionalString("spec", "volumeAttributesClassName") ?? "<unset>"),
                .string(volume.string("status", "reason")), .string(volume.age),
                .string(volume.optionalString("spec", "volumeMode") ?? "<unset>"),
            ]
        })

    static let persistentVolumeClaims = TablePrinter(
        columns: [
            .name, TableColumn("Status", "phase represents the current phase of PersistentVolumeClaim."),
            TableColumn("Volume", "volumeName is the binding reference to the PersistentVolume backing this claim."),
            TableColumn("Capacity", "capacity represents the actual resources of the underlying volume."),
            TableColumn("Access Modes", "accessModes contains the actual access modes the volume backing the PVC has."),
            TableColumn("StorageClass", "StorageClass of the pvc"),
            TableColumn("VolumeAttributesClass", "VolumeAttributesClass of the pvc"), .age,
            TableColumn("VolumeMode", "volumeMode defines what type of volume is required by the claim.", priority: 1),
        ],
        cells: { claim in
            let volumeName = claim.string("spec", "volumeName")
            var capacity = ""
            var accessModes = ""
            // Capacity and access modes are the bound volume's, so they show only once the claim is bound.
            if !volumeName.isEmpty {
                accessModes = TableFormat.accessModes(claim.array("status", "accessModes"))
                capacity = TableFormat.scalar(claim.value("status", "capacity", "storage")) ?? "0"
            }
            return [
                .string(claim.name), .string(claim.isDeleting ? "Terminating" : claim.string("status", "phase")),
                .string(volumeName), .string(capacity), .string(accessModes), .string(storageClass(claim)),
                .string(claim.optionalString("spec", "volumeAttributesClassName") ?? "<unset>"), .string(claim.age),
                .string(claim.optionalString("spec", "volumeMode") ?? "<unset>"),
            ]
        })

    private static func storageClass(_ object: PrintedObject) -> String {
        if let annotated = object.stringMap("metadata", "annotations")[betaStorageClassAnnotation] { return annotated }
        return object.string("spec", "storageClassName")
    }

    static let storageClasses = TablePrinter(
        columns: [
            .name, TableColumn("Provisioner", "provisioner indicates the type of the provisioner."),
            TableColumn("ReclaimPolicy", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class."),
            TableColumn("VolumeBindingMode", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound."),
            TableColumn("AllowVolumeExpansion", "allowVolumeExpansion shows whether the storage class allow volume expand."), .age,
        ],
        cells: { storageClass in
            let annotations = storageClass.stringMap("metadata", "annotations")
            let isDefault =
                annotations["storageclass.kubernetes.io/is-default-class"] == "true"
                || annotations["storageclass.beta.kubernetes.io/is-default-class"] == "true"
            return [
                .string(storageClass.name + (isDefault ? " (default)" : "")), .string(storageClass.string("provisioner")),
                .string(storageClass.optionalString("reclaimPolicy") ?? "Delete"),
                .string(storageClass.optionalString("volumeBindingMode") ?? "Immediate"),
                .bool(storageClass.value("allowVolumeExpansion")?.boolValue ?? false), .string(storageClass.age),
            ]
        })

    static let csiDrivers = TablePrinter(
        columns: [
            .name,
            TableColumn("AttachRequired", "attachRequired indicates this CSI volume driver requires an attach operation.", type: "boolean"),
            TableColumn("PodInfoOnMount", "podInfoOnMount indicates this CSI volume driver requires additional pod information during mount operations.", type: "boolean"),
            TableColumn("StorageCapacity", "storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity.", type: "boolean"),
            TableColumn("TokenRequests", "tokenRequests indicates the CSI driver needs pods' service account tokens it is mounting volume for."),
            TableColumn("RequiresRepublish", "requiresRepublish indicates the CSI driver wants NodePublishVolume being periodically called.", type: "boolean"),
            TableColumn("Modes", "volumeLifecycleModes defines what kind of volumes this CSI volume driver supports."), .age,
        ],
        cells: { driver in
            let modes = driver.array("spec", "volumeLifecycleModes").compactMap(\.stringValue).joined(separator: ",")
            var tokenRequests = "<unset>"
            if let requests = driver.value("spec", "tokenRequests")?.arrayValue {
                tokenRequests = requests.map { $0["audience"]?.stringValue ?? "" }.joined(separator: ",")
            }
            func flag(_ field: String, _ fallback: Bool) -> JSONValue {
                .bool(driver.value("spec", field)?.boolValue ?? fallback)
            }
            return [
                .string(driver.name), flag("attachRequired", true), flag("podInfoOnMount", false),
                flag("storageCapacity", false), .string(tokenRequests), flag("requiresRepublish", false),
                .string(modes.isEmpty ? "<none>" : modes), .string(driver.age),
            ]
        })

    static let csiNodes = TablePrinter(
        columns: [
            .name, TableColumn("Drivers", "Drivers indicates the number of CSI drivers registered on the node", type: "integer"), .age,
        ],
        cells: { node in [.string(node.name), .integer(Int64(node.array("spec", "drivers").count)), .string(node.age)] })

    static let volumeAttachments = TablePrinter(
        columns: [
            .name, TableColumn("Attacher", "attacher indicates the name of the volume driver that MUST handle this request.", format: "name"),
            TableColumn("PV", "persistentVolumeName represents the name of the persistent volume to attach."),
            TableColumn("Node", "nodeName represents the node that the volume should be attached to."),
            TableColumn("Attached", "attached indicates the volume is successfully attached.", type: "boolean"), .age,
        ],
        cells: { attachment in
            [
                .string(attachment.name), .string(attachment.string("spec", "attacher")),
                .string(attachment.string("spec", "source", "persistentVolumeName")),
                .string(attachment.string("spec", "nodeName")),
                .bool(attachment.value("status", "attached")?.boolValue ?? false), .string(attachment.age),
            ]
        })
}
