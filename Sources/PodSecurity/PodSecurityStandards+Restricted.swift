/// The restricted profile: baseline plus current hardening practice (policy/check_*.go of the restricted level).
/// Each check's reason and detail are Kubernetes' words.
extension PodSecurityStandards {
    /// In the order of their IDs (as Go sorts bytes), the order Kubernetes evaluates and reports them in, after the
    /// baseline checks.
    static let restrictedChecks: [PodSecurityCheck] = [
        allowPrivilegeEscalation, capabilitiesRestricted, restrictedVolumes, runAsNonRoot, runAsUser, seccompProfileRestricted,
    ]

    /// Every container sets `allowPrivilegeEscalation: false` (a field since 1.8); from 1.25 Windows pods, which
    /// cannot set it, are exempt.
    static let allowPrivilegeEscalation = PodSecurityCheck("allowPrivilegeEscalation", since: 8) { pod, minor in
        if minor >= 25 && pod.isWindows { return nil }
        let names = pod.containers.filter { $0.securityContext?.allowPrivilegeEscalation != false }.map(\.name)
        guard !names.isEmpty else { return nil }
        return ("allowPrivilegeEscalation != false", "\(Wording.containers(names)) must set securityContext.allowPrivilegeEscalation=false")
    }

    /// Every container drops ALL capabilities and adds back at most NET_BIND_SERVICE (since 1.22; Windows pods are
    /// exempt from 1.25).
    static let capabilitiesRestricted = PodSecurityCheck("capabilities_restricted", since: 22, replaces: ["capabilities_baseline"]) { pod, minor in
        if minor >= 25 && pod.isWindows { return nil }
        var missingDropAll: [String] = []
        var addingForbidden: [String] = []
        var forbiddenCapabilities: Set<String> = []
        for container in pod.containers {
            guard let capabilities = container.securityContext?.capabilities else {
                missingDropAll.append(container.name)
                continue
            }
            if !capabilities.drop.contains("ALL") { missingDropAll.append(container.name) }
            let forbidden = capabilities.add.filter { $0 != "NET_BIND_SERVICE" }
            if !forbidden.isEmpty {
                addingForbidden.append(container.name)
                forbiddenCapabilities.formUnion(forbidden)
            }
        }
        var details: [String] = []
        if !missingDropAll.isEmpty { details.append(#"\#(Wording.containers(missingDropAll)) must set securityContext.capabilities.drop=["ALL"]"#) }
        if !addingForbidden.isEmpty {
            let capabilities = Wording.quotedList(Wording.sortedSet(forbiddenCapabilities))
            details.append("\(Wording.containers(addingForbidden)) must not include \(capabilities) in securityContext.capabilities.add")
        }
        guard !details.isEmpty else { return nil }
        return ("unrestricted capabilities", details.joined(separator: "; "))
    }

    /// The volume sources a restricted pod may use: the pod's own data and claims, nothing of the node's or a
    /// network file system mounted by the node.
    static let allowedVolumeSources: Set = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]

    /// The sources Kubernetes names when it refuses a volume, in the order it tests them; any other is `unknown`.
    static let namedVolumeSources = [
        "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs", "rbd", "flexVolume", "cinder", "cephfs",
        "flocker", "fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos",
    ]

    static let restrictedVolumes = PodSecurityCheck("restrictedVolumes", replaces: ["hostPathVolumes"]) { pod, _ in
        var badVolumes: [String] = []
        var badTypes: Set<String> = []
        for volume in pod.volumes where volume.sources.isDisjoint(with: allowedVolumeSources) {
            badVolumes.append(volume.name)
            badTypes.insert(namedVolumeSources.first { volume.sources.contains($0) } ?? "unknown")
        }
        guard !badVolumes.isEmpty else { return nil }
        return (
            "restricted volume types",
            [
                Wording.pluralize("volume", "volumes", count: badVolumes.count), Wording.quotedList(badVolumes),
                Wording.pluralize("uses", "use", count: badVolumes.count),
                Wording.pluralize("restricted volume type", "restricted volume types", count: badTypes.count),
                Wording.quotedList(Wording.sortedSet(badTypes)),
            ].joined(separator: " ")
        )
    }

    /// The pod, or else every container, sets `runAsNonRoot: true`, and none sets it false.
    static let runAsNonRoot = PodSecurityCheck("runAsNonRoot") { pod, _ in
        let podSetting = pod.securityContext?.runAsNonRoot
        var explicitlyBad: [String] = []
        var implicitlyBad: [String] = []
        for container in pod.containers {
            if let setting = container.securityContext?.runAsNonRoot {
                if !setting { explicitlyBad.append(container.name) }
            } else if podSetting != true {
                implicitlyBad.append(container.name)
            }
        }
        if podSetting == false || !explicitlyBad.isEmpty {
            return (
                "runAsNonRoot != true",
                "\(Wording.setters(pod: podSetting == false, containers: explicitlyBad)) must not set securityContext.runAsNonRoot=false"
            )
        }
        guard !implicitlyBad.isEmpty else { return nil }
        return ("runAsNonRoot != true", "pod or \(Wording.containers(implicitlyBad)) must set securityContext.runAsNonRoot=true")
    }

    /// Neither the pod nor a container sets `runAsUser: 0` (since 1.23).
    static let runAsUser = PodSecurityCheck("runAsUser", since: 23) { pod, _ in
        let podIsBad = pod.securityContext?.runAsUser == 0
        let badContainers = pod.containers.filter { $0.securityContext?.runAsUser == 0 }.map(\.name)
        guard podIsBad || !badContainers.isEmpty else { return nil }
        return ("runAsUser=0", "\(Wording.setters(pod: podIsBad, containers: badContainers)) must not set runAsUser=0")
    }

    /// The pod, or else every container, sets the runtime's default seccomp profile or one on the node (since 1.19;
    /// Windows pods are exempt from 1.25).
    static let seccompProfileRestricted = PodSecurityCheck("seccompProfile_restricted", since: 19, replaces: ["seccompProfile_baseline"]) { pod, minor in
        if minor >= 25 && pod.isWindows { return nil }
        let podType = pod.securityContext?.seccompProfileType
        let podBadType = podType.flatMap { seccompAllowedTypes.contains($0) ? nil : $0 }
        var badValues = Set([podBadType].compactMap { $0 })
        // A valid pod-level profile covers the containers that set none.
        let podIsSet = podType != nil && podBadType == nil
        var explicitlyBad: [String] = []
        var implicitlyBad: [String] = []
        for container in pod.containers {
            if let type = container.securityContext?.seccompProfileType {
                if !seccompAllowedTypes.contains(type) {
                    explicitlyBad.append(container.name)
                    badValues.insert(type)
                }
            } else if !podIsSet {
                implicitlyBad.append(container.name)
            }
        }
        if podBadType != nil || !explicitlyBad.isEmpty {
            return forbiddenSeccompProfiles(pod: podBadType != nil, containers: explicitlyBad, types: badValues)
        }
        guard !implicitlyBad.isEmpty else { return nil }
        return (
            "seccompProfile",
            #"pod or \#(Wording.containers(implicitlyBad)) must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#
        )
    }
}
