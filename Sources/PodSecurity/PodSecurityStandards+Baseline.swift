import APIMachinery

/// The baseline profile: no known privilege escalation (policy/check_*.go of the baseline level). Each check's
/// reason and detail are Kubernetes' words.
extension PodSecurityStandards {
    /// In the order of their IDs (as Go sorts bytes), the order Kubernetes evaluates and reports them in.
    static let baselineChecks: [PodSecurityCheck] = [
        appArmorProfile, capabilitiesBaseline, hostNamespaces, hostPathVolumes, hostPorts, privileged, procMount, seLinuxOptions,
        seccompProfileBaseline, sysctls, windowsHostProcess,
    ]

    /// AppArmor may be left at the runtime's default or set to a profile on the node, never to `Unconfined`; the same
    /// for the deprecated per-container annotations.
    static let appArmorProfile = PodSecurityCheck("appArmorProfile") { pod, _ in
        let allowedTypes: Set = ["RuntimeDefault", "Localhost"]
        let podBadType = pod.securityContext?.appArmorProfileType.flatMap { allowedTypes.contains($0) ? nil : $0 }
        var badValues = Set([podBadType].compactMap { $0 })
        var badContainers: [String] = []
        for container in pod.containers {
            guard let type = container.securityContext?.appArmorProfileType, !allowedTypes.contains(type) else { continue }
            badContainers.append(container.name)
            badValues.insert(type)
        }
        let annotationPrefix = "container.apparmor.security.beta.kubernetes.io/"
        let badAnnotations = pod.metadata.annotations.filter { key, value in
            key.hasPrefix(annotationPrefix) && !(value.isEmpty || value == "runtime/default" || value.hasPrefix("localhost/"))
        }.map { "\($0.key)=\(GoText.quoted($0.value))" }

        var setters: [String] = []
        if podBadType != nil { setters.append("pod") }
        if !badContainers.isEmpty { setters.append(Wording.containers(badContainers)) }
        var values = Wording.sortedSet(badValues)
        if !badAnnotations.isEmpty {
            values += Wording.sorted(badAnnotations)
            setters.append(Wording.pluralize("annotation", "annotations", count: badAnnotations.count))
        }
        guard !setters.isEmpty else { return nil }
        return (
            Wording.pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", count: values.count),
            "\(setters.joined(separator: " and ")) must not set AppArmor profile type to \(Wording.quotedList(values))"
        )
    }

    /// The capabilities a container runtime grants by default (Docker's set, less NET_RAW).
    static let defaultCapabilities: Set = [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP",
        "SETUID", "SYS_CHROOT",
    ]

    /// Containers may add only capabilities of the default set.
    static let capabilitiesBaseline = PodSecurityCheck("capabilities_baseline") { pod, _ in
        var badContainers: [String] = []
        var added: Set<String> = []
        for container in pod.containers {
            let forbidden = (container.securityContext?.capabilities?.add ?? []).filter { !defaultCapabilities.contains($0) }
            guard !forbidden.isEmpty else { continue }
            badContainers.append(container.name)
            added.formUnion(forbidden)
        }
        guard !badContainers.isEmpty else { return nil }
        return (
            "non-default capabilities",
            "\(Wording.containers(badContainers)) must not include \(Wording.quotedList(Wording.sortedSet(added))) in securityContext.capabilities.add"
        )
    }

    /// No sharing of the host's network, PID or IPC namespace.
    static let hostNamespaces = PodSecurityCheck("hostNamespaces") { pod, _ in
        var shared: [String] = []
        if pod.spec.hostNetwork { shared.append("hostNetwork=true") }
        if pod.spec.hostPID { shared.append("hostPID=true") }
        if pod.spec.hostIPC { shared.append("hostIPC=true") }
        guard !shared.isEmpty else { return nil }
        return ("host namespaces", shared.joined(separator: ", "))
    }

    static let hostPathVolumes = PodSecurityCheck("hostPathVolumes") { pod, _ in
        let names = pod.volumes.filter { $0.sources.contains("hostPath") }.map(\.name)
        guard !names.isEmpty else { return nil }
        return ("hostPath volumes", "\(Wording.pluralize("volume", "volumes", count: names.count)) \(Wording.quotedList(names))")
    }

    static let hostPorts = PodSecurityCheck("hostPorts") { pod, _ in
        let badContainers = pod.containers.filter { !$0.hostPorts.isEmpty }
        guard !badContainers.isEmpty else { return nil }
        // Kubernetes lists the ports as a sorted set of strings: 10, 20, 8080, 9.
        let ports = Wording.sortedSet(badContainers.flatMap(\.hostPorts).map(String.init))
        return (
            "hostPort",
            [
                Wording.containers(badContainers.map(\.name)), Wording.pluralize("uses", "use", count: badContainers.count),
                Wording.pluralize("hostPort", "hostPorts", count: ports.count), ports.joined(separator: ", "),
            ].joined(separator: " ")
        )
    }

    static let privileged = PodSecurityCheck("privileged") { pod, _ in
        let names = pod.containers.filter { $0.securityContext?.privileged == true }.map(\.name)
        guard !names.isEmpty else { return nil }
        return ("privileged", "\(Wording.containers(names)) must not set securityContext.privileged=true")
    }

    /// /proc keeps its default masks.
    static let procMount = PodSecurityCheck("procMount") { pod, _ in
        var badContainers: [String] = []
        var types: Set<String> = []
        for container in pod.containers {
            guard let type = container.securityContext?.procMount, type != "Default" else { continue }
            badContainers.append(container.name)
            types.insert(type)
        }
        guard !badContainers.isEmpty else { return nil }
        return (
            "procMount",
            "\(Wording.containers(badContainers)) must not set securityContext.procMount to \(Wording.quotedList(Wording.sortedSet(types)))"
        )
    }

    /// Only the container SELinux types (1.31 added `container_engine_t`), and no custom user or role.
    static let seLinuxOptions = PodSecurityCheck("seLinuxOptions") { pod, minor in
        var allowedTypes: Set = ["", "container_t", "container_init_t", "container_kvm_t"]
        if minor >= 31 { allowedTypes.insert("container_engine_t") }
        let podOptions = pod.securityContext?.seLinuxOptions
        let containerOptions = pod.containers.compactMap { container in
            container.securityContext?.seLinuxOptions.map { (container: container.name, options: $0) }
        }
        func isForbidden(_ options: SecurityContext.SELinuxOptions) -> Bool {
            !allowedTypes.contains(options.type) || !options.user.isEmpty || !options.role.isEmpty
        }
        let podIsBad = podOptions.map(isForbidden) ?? false
        let badContainers = containerOptions.filter { isForbidden($0.options) }.map(\.container)
        guard podIsBad || !badContainers.isEmpty else { return nil }
        let allOptions = (podOptions.map { [$0] } ?? []) + containerOptions.map(\.options)
        let badTypes = Wording.sortedSet(allOptions.map(\.type).filter { !allowedTypes.contains($0) })
        var problems: [String] = []
        if !badTypes.isEmpty { problems.append("\(Wording.pluralize("type", "types", count: badTypes.count)) \(Wording.quotedList(badTypes))") }
        if allOptions.contains(where: { !$0.user.isEmpty }) { problems.append("user may not be set") }
        if allOptions.contains(where: { !$0.role.isEmpty }) { problems.append("role may not be set") }
        let setters = Wording.setters(pod: podIsBad, containers: badContainers)
        return ("seLinuxOptions", "\(setters) set forbidden securityContext.seLinuxOptions: \(problems.joined(separator: "; "))")
    }

    static let seccompAllowedTypes: Set = ["RuntimeDefault", "Localhost"]

    /// A seccomp profile, when set, is the runtime's default or one on the node. Before 1.19 the profile was set by
    /// annotations, and those are checked instead.
    static let seccompProfileBaseline = PodSecurityCheck("seccompProfile_baseline") { pod, minor in
        minor >= 19 ? seccompProfileFields(pod) : seccompProfileAnnotations(pod)
    }

    private static func seccompProfileFields(_ pod: ReviewedPod) -> (reason: String, detail: String)? {
        let podBadType = pod.securityContext?.seccompProfileType.flatMap { seccompAllowedTypes.contains($0) ? nil : $0 }
        var badValues = Set([podBadType].compactMap { $0 })
        var badContainers: [String] = []
        for container in pod.containers {
            guard let type = container.securityContext?.seccompProfileType, !seccompAllowedTypes.contains(type) else { continue }
            badContainers.append(container.name)
            badValues.insert(type)
        }
        guard podBadType != nil || !badContainers.isEmpty else { return nil }
        return forbiddenSeccompProfiles(pod: podBadType != nil, containers: badContainers, types: badValues)
    }

    /// The failure when the pod or `containers` set seccomp profiles of `types` that are not allowed.
    static func forbiddenSeccompProfiles(pod: Bool, containers: [String], types: Set<String>) -> (reason: String, detail: String) {
        let setters = Wording.setters(pod: pod, containers: containers)
        return ("seccompProfile", "\(setters) must not set securityContext.seccompProfile.type to \(Wording.quotedList(Wording.sortedSet(types)))")
    }

    private static func seccompProfileAnnotations(_ pod: ReviewedPod) -> (reason: String, detail: String)? {
        func isAllowed(_ value: String) -> Bool { value == "runtime/default" || value == "docker/default" || value.hasPrefix("localhost/") }
        let annotations = pod.metadata.annotations
        let keys = ["seccomp.security.alpha.kubernetes.io/pod"] + pod.containers.map { "container.seccomp.security.alpha.kubernetes.io/" + $0.name }
        let forbidden = Wording.sortedSet(
            keys.compactMap { key in annotations[key].flatMap { isAllowed($0) ? nil : "\(key)=\(GoText.quoted($0))" } })
        guard !forbidden.isEmpty else { return nil }
        return (
            "seccompProfile",
            "forbidden \(Wording.pluralize("annotation", "annotations", count: forbidden.count)) \(forbidden.joined(separator: ", "))"
        )
    }

    /// Only sysctls namespaced to the pod and isolated from other pods; each of 1.27, 1.29 and 1.32 allowed more.
    static let sysctls = PodSecurityCheck("sysctls") { pod, minor in
        var allowed: Set = [
            "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
            "net.ipv4.ip_unprivileged_port_start",
        ]
        if minor >= 27 { allowed.insert("net.ipv4.ip_local_reserved_ports") }
        if minor >= 29 {
            allowed.formUnion(["net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"])
        }
        if minor >= 32 { allowed.formUnion(["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]) }
        let forbidden = (pod.securityContext?.sysctlNames ?? []).filter { !allowed.contains($0) }
        guard !forbidden.isEmpty else { return nil }
        return ("forbidden sysctls", forbidden.joined(separator: ", "))
    }

    static let windowsHostProcess = PodSecurityCheck("windowsHostProcess") { pod, _ in
        let podIsBad = pod.securityContext?.windowsHostProcess == true
        let badContainers = pod.containers.filter { $0.securityContext?.windowsHostProcess == true }.map(\.name)
        guard podIsBad || !badContainers.isEmpty else { return nil }
        return (
            "hostProcess",
            "\(Wording.setters(pod: podIsBad, containers: badContainers)) must not set securityContext.windowsOptions.hostProcess=true"
        )
    }
}
