import APIMachinery

/// `SetDefaults_Pod`, `SetDefaults_PodSpec` and everything nested in a pod spec (containers, probes, volumes).
extension Defaulting {
    /// Pods get a few defaults pod templates do not (`enableServiceLinks`, requests copied from limits), because
    /// Kubernetes keeps new template defaults out of workloads to avoid rolling every existing Deployment.
    static func defaultPod(_ pod: inout JSONValue) {
        pod.updateStruct("spec") { spec in
            defaultPodSpec(&spec)
            for key in ["containers", "initContainers"] {
                spec.updateEach(key) { container in
                    guard let limits = container[path: "resources", "limits"]?.objectValue else { return }
                    var requests = container[path: "resources", "requests"]?.objectValue ?? [:]
                    for (name, limit) in limits where requests[name] == nil { requests[name] = limit }
                    container[path: "resources", "requests"] = .object(requests)
                }
            }
            spec.setDefault("enableServiceLinks", true)
            if spec["hostNetwork"]?.boolValue == true {
                for key in ["containers", "initContainers"] {
                    spec.updateEach(key) { container in
                        container.updateEach("ports") { port in
                            if let containerPort = port["containerPort"] { port.setDefaultIfEmpty("hostPort", containerPort) }
                        }
                    }
                }
            }
        }
    }

    static func defaultPodTemplate(_ template: inout JSONValue) {
        template.updateStruct("spec") { defaultPodSpec(&$0) }
    }

    static func defaultPodSpec(_ spec: inout JSONValue) {
        spec.setDefaultIfEmpty("dnsPolicy", "ClusterFirst")
        spec.setDefaultIfEmpty("restartPolicy", "Always")
        spec.setDefault("securityContext", .emptyObject)
        spec.setDefault("terminationGracePeriodSeconds", 30)
        spec.setDefaultIfEmpty("schedulerName", "default-scheduler")
        // As the v1 conversion: the deprecated `serviceAccount` names the account when `serviceAccountName` does not,
        // and always repeats it.
        if spec.text("serviceAccountName").isEmpty && !spec.text("serviceAccount").isEmpty {
            spec["serviceAccountName"] = .string(spec.text("serviceAccount"))
        }
        if !spec.text("serviceAccountName").isEmpty {
            spec["serviceAccount"] = .string(spec.text("serviceAccountName"))
        }
        for key in ["containers", "initContainers", "ephemeralContainers"] {
            spec.updateEach(key) { defaultContainer(&$0) }
        }
        spec.updateEach("volumes") { defaultVolume(&$0) }
    }

    static func defaultContainer(_ container: inout JSONValue) {
        if container.text("imagePullPolicy").isEmpty {
            container["imagePullPolicy"] = imageTag(container.text("image")) == "latest" ? "Always" : "IfNotPresent"
        }
        container.setDefaultIfEmpty("terminationMessagePath", "/dev/termination-log")
        container.setDefaultIfEmpty("terminationMessagePolicy", "File")
        // `resources` is a struct, not a pointer, in Go, so Kubernetes always serializes it.
        container.setDefault("resources", .emptyObject)
        container.updateEach("ports") { $0.setDefaultIfEmpty("protocol", "TCP") }
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            container.updateObject(probe) { defaultProbe(&$0) }
        }
        container.updateObject("lifecycle") { lifecycle in
            for hook in ["postStart", "preStop"] {
                lifecycle.updateObject(hook) { $0.updateObject("httpGet") { defaultHTTPGet(&$0) } }
            }
        }
        container.updateEach("env") { variable in
            variable.updateObject("valueFrom") { $0.updateObject("fieldRef") { $0.setDefaultIfEmpty("apiVersion", "v1") } }
        }
    }

    static func defaultProbe(_ probe: inout JSONValue) {
        probe.setDefaultIfEmpty("timeoutSeconds", 1)
        probe.setDefaultIfEmpty("periodSeconds", 10)
        probe.setDefaultIfEmpty("successThreshold", 1)
        probe.setDefaultIfEmpty("failureThreshold", 3)
        probe.updateObject("httpGet") { defaultHTTPGet(&$0) }
        probe.updateObject("grpc") { $0.setDefault("service", "") }
    }

    static func defaultHTTPGet(_ action: inout JSONValue) {
        action.setDefaultIfEmpty("path", "/")
        action.setDefaultIfEmpty("scheme", "HTTP")
    }

    /// The volume sources, one of which a volume must name; a volume naming none becomes an emptyDir.
    static let volumeSourceKeys: [String] = [
        "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi",
        "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc",
        "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected",
        "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image",
    ]

    static func defaultVolume(_ volume: inout JSONValue) {
        if !volumeSourceKeys.contains(where: { volume.isSet($0) }) { volume["emptyDir"] = .emptyObject }
        volume.updateObject("secret") { $0.setDefault("defaultMode", 420) }
        volume.updateObject("configMap") { $0.setDefault("defaultMode", 420) }
        volume.updateObject("downwardAPI") { downward in
            downward.setDefault("defaultMode", 420)
            defaultDownwardAPIItems(&downward)
        }
        volume.updateObject("projected") { projected in
            projected.setDefault("defaultMode", 420)
            projected.updateEach("sources") { source in
                source.updateObject("downwardAPI") { defaultDownwardAPIItems(&$0) }
                source.updateObject("serviceAccountToken") { $0.setDefault("expirationSeconds", 3600) }
            }
        }
        volume.updateObject("hostPath") { $0.setDefault("type", "") }
        volume.updateObject("iscsi") { $0.setDefaultIfEmpty("iscsiInterface", "default") }
        volume.updateObject("rbd") { rbd in
            rbd.setDefaultIfEmpty("pool", "rbd")
            rbd.setDefaultIfEmpty("user", "admin")
            rbd.setDefaultIfEmpty("keyring", "/etc/ceph/keyring")
        }
        volume.updateObject("azureDisk") { disk in
            disk.setDefault("cachingMode", "ReadWrite")
            disk.setDefault("fsType", "ext4")
            disk.setDefault("readOnly", false)
            disk.setDefault("kind", "Shared")
        }
        volume.updateObject("scaleIO") { scaleIO in
            scaleIO.setDefaultIfEmpty("storageMode", "ThinProvisioned")
            scaleIO.setDefaultIfEmpty("fsType", "xfs")
        }
        volume.updateObject("ephemeral") { ephemeral in
            ephemeral.updateObject("volumeClaimTemplate") { $0.updateStruct("spec") { defaultClaimSpec(&$0) } }
        }
        volume.updateObject("image") { image in
            if image.text("pullPolicy").isEmpty {
                image["pullPolicy"] = imageTag(image.text("reference")) == "latest" ? "Always" : "IfNotPresent"
            }
        }
    }

    private static func defaultDownwardAPIItems(_ source: inout JSONValue) {
        source.updateEach("items") { $0.updateObject("fieldRef") { $0.setDefaultIfEmpty("apiVersion", "v1") } }
    }

    static func defaultClaimSpec(_ spec: inout JSONValue) {
        spec.setDefault("volumeMode", "Filesystem")
    }

    /// The tag of an image reference as Kubernetes' `parsers.ParseImageName` sees it: "latest" when neither a
    /// tag nor a digest is given, and "" for a digest-only or unparseable reference.
    static func imageTag(_ image: String) -> String {
        var reference = Substring(image)
        var hasDigest = false
        if let at = reference.firstIndex(of: "@") {
            hasDigest = true
            reference = reference[..<at]
        }
        var repository = reference
        var tag = ""
        let lastComponent = reference.split(separator: "/", omittingEmptySubsequences: false).last ?? reference
        if let colon = lastComponent.lastIndex(of: ":") {
            tag = String(lastComponent[lastComponent.index(after: colon)...])
            repository = reference[..<colon]
        }
        // Docker references reject upper-case repositories; Kubernetes ignores the parse error and the empty
        // tag it leaves behind.
        let uppercase = repository.utf8.contains { $0 >= 0x41 && $0 <= 0x5A }
        if repository.isEmpty || uppercase { return "" }
        if tag.isEmpty && !hasDigest { return "latest" }
        return tag
    }
}
