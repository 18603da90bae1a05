import APIMachinery
import CRI
import Foundation
import KubeObjects

/// How a pod and its containers are described to the container runtime, as the kubelet does it: labels that tie
/// sandboxes and containers back to the pod, log paths under the pod's log directory, the network namespace, ports,
/// and Linux resources and security settings from the container spec.
enum RuntimeConfigs {
    static let podNameLabel = "io.kubernetes.pod.name"
    static let podNamespaceLabel = "io.kubernetes.pod.namespace"
    static let podUIDLabel = "io.kubernetes.pod.uid"
    static let containerNameLabel = "io.kubernetes.container.name"
    static let restartCountAnnotation = "io.kubernetes.container.restartCount"
    /// Kubernetes' CFS period (100 ms) and the smallest quota and shares it sets.
    static let cpuPeriod: Int64 = 100_000
    static let minimumQuota: Int64 = 1000
    static let minimumShares: Int64 = 2

    static func podIdentity(_ pod: JSONValue) -> (name: String, namespace: String, uid: String) {
        (
            pod.metadata.name, pod.metadata.namespace ?? "default",
            pod.metadata.uid
        )
    }

    /// `<logRoot>/<namespace>_<name>_<uid>`, the kubelet's per-pod log directory.
    static func logDirectory(_ pod: JSONValue, logRoot: String) -> String {
        let (name, namespace, uid) = podIdentity(pod)
        return "\(logRoot)/\(namespace)_\(name)_\(uid)"
    }

    static func sandboxConfig(_ pod: JSONValue, attempt: UInt32, logRoot: String, dns: PodDNS) -> Runtime_V1_PodSandboxConfig {
        let (name, namespace, uid) = podIdentity(pod)
        let spec = pod["spec"] ?? .emptyObject
        var config = Runtime_V1_PodSandboxConfig()
        config.metadata = .with {
            $0.name = name
            $0.namespace = namespace
            $0.uid = uid
            $0.attempt = attempt
        }
        let hostNetwork = spec["hostNetwork"]?.boolValue == true
        if !hostNetwork { config.hostname = dns.hostname(for: pod) }
        config.dnsConfig = dns.sandboxConfig(for: pod)
        config.logDirectory = logDirectory(pod, logRoot: logRoot)
        var labels = pod.metadata.labels
        labels[podNameLabel] = name
        labels[podNamespaceLabel] = namespace
        labels[podUIDLabel] = uid
        config.labels = labels
        config.annotations = pod.metadata.annotations
        for container in spec["containers"]?.arrayValue ?? [] {
            for port in container["ports"]?.arrayValue ?? [] {
                guard let hostPort = port["hostPort"]?.integerValue, hostPort > 0 else { continue }
                config.portMappings.append(
                    .with {
                        $0.protocol = Self.transport(port["protocol"]?.stringValue)
                        $0.containerPort = Int32(port["containerPort"]?.integerValue ?? hostPort)
                        $0.hostPort = Int32(hostPort)
                        $0.hostIp = port["hostIP"]?.stringValue ?? ""
                    })
            }
        }
        config.linux = .with { linux in
            linux.securityContext = .with { security in
                security.namespaceOptions = .with {
                    $0.network = hostNetwork ? .node : .pod
                    $0.pid = spec["hostPID"]?.boolValue == true ? .node : (spec["shareProcessNamespace"]?.boolValue == true ? .pod : .container)
                    $0.ipc = spec["hostIPC"]?.boolValue == true ? .node : .pod
                }
                if let user = spec[path: "securityContext", "runAsUser"]?.integerValue { security.runAsUser = .with { $0.value = user } }
                if let group = spec[path: "securityContext", "runAsGroup"]?.integerValue { security.runAsGroup = .with { $0.value = group } }
                security.supplementalGroups = (spec[path: "securityContext", "supplementalGroups"]?.arrayValue ?? []).compactMap(\.integerValue)
            }
        }
        return config
    }

    static func transport(_ name: String?) -> Runtime_V1_Protocol {
        switch name {
        case "UDP": .udp
        case "SCTP": .sctp
        default: .tcp
        }
    }

    /// A container's config; `environment` comes from `ContainerEnvironment`, `mounts` from the pod's volumes.
    static func containerConfig(
        _ pod: JSONValue, container: JSONValue, attempt: UInt32, image: String, environment: [(name: String, value: String)],
        mounts: [Runtime_V1_Mount], memoryCapacity: Int64
    ) -> Runtime_V1_ContainerConfig {
        let (name, namespace, uid) = podIdentity(pod)
        let containerName = container["name"]?.stringValue ?? ""
        var config = Runtime_V1_ContainerConfig()
        config.metadata = .with {
            $0.name = containerName
            $0.attempt = attempt
        }
        config.image = .with { $0.image = image }
        let (command, args) = ContainerEnvironment.expandedCommand(container, environment: environment)
        config.command = command
        config.args = args
        config.workingDir = container["workingDir"]?.stringValue ?? ""
        config.envs = environment.map { variable in .with { $0.key = variable.name; $0.value = Data(variable.value.utf8) } }
        config.mounts = mounts
        config.labels = [podNameLabel: name, podNamespaceLabel: namespace, podUIDLabel: uid, containerNameLabel: containerName]
        config.annotations = [restartCountAnnotation: String(attempt)]
        config.logPath = "\(containerName)/\(attempt).log"
        config.stdin = container["stdin"]?.boolValue == true
        config.stdinOnce = container["stdinOnce"]?.boolValue == true
        config.tty = container["tty"]?.boolValue == true
        config.linux = .with { linux in
            linux.resources = resources(container, qosClass: Pod(pod).status.qosClass ?? "BestEffort", memoryCapacity: memoryCapacity)
            linux.securityContext = securityContext(container, pod: pod)
        }
        return config
    }

    /// CPU shares from the request, a CFS quota from the limit, the memory limit, and the OOM score the QoS class
    /// earns (Guaranteed pods are killed last, BestEffort first).
    static func resources(_ container: JSONValue, qosClass: String, memoryCapacity: Int64) -> Runtime_V1_LinuxContainerResources {
        func quantity(_ kind: String, _ resource: String) -> Quantity? {
            container[path: "resources", kind, resource].flatMap(Quantity.init(json:))
        }
        var resources = Runtime_V1_LinuxContainerResources()
        let cpuRequest = quantity("requests", "cpu")?.milliValue ?? quantity("limits", "cpu")?.milliValue ?? 0
        resources.cpuShares = max(minimumShares, cpuRequest * 1024 / 1000)
        if let cpuLimit = quantity("limits", "cpu")?.milliValue {
            resources.cpuPeriod = cpuPeriod
            resources.cpuQuota = max(minimumQuota, cpuLimit * cpuPeriod / 1000)
        }
        if let memoryLimit = quantity("limits", "memory")?.value { resources.memoryLimitInBytes = memoryLimit }
        switch qosClass {
        case "Guaranteed": resources.oomScoreAdj = -997
        case "BestEffort": resources.oomScoreAdj = 1000
        default:
            let request = quantity("requests", "memory")?.value ?? 0
            let score = memoryCapacity > 0 ? 1000 - (1000 * request) / memoryCapacity : 1000
            resources.oomScoreAdj = min(999, max(2, score))
        }
        return resources
    }

    /// The container's security context over the pod's: user and group, read-only root, privilege, capabilities.
    static func securityContext(_ container: JSONValue, pod: JSONValue) -> Runtime_V1_LinuxContainerSecurityContext {
        let own = container["securityContext"] ?? .emptyObject
        let podLevel = pod[path: "spec", "securityContext"] ?? .emptyObject
        var security = Runtime_V1_LinuxContainerSecurityContext()
        if let user = own["runAsUser"]?.integerValue ?? podLevel["runAsUser"]?.integerValue { security.runAsUser = .with { $0.value = user } }
        if let group = own["runAsGroup"]?.integerValue ?? podLevel["runAsGroup"]?.integerValue { security.runAsGroup = .with { $0.value = group } }
        security.supplementalGroups = (podLevel["supplementalGroups"]?.arrayValue ?? []).compactMap(\.integerValue)
        security.readonlyRootfs = own["readOnlyRootFilesystem"]?.boolValue == true
        security.privileged = own["privileged"]?.boolValue == true
        let capabilities = own["capabilities"] ?? .emptyObject
        security.capabilities = .with {
            $0.addCapabilities = (capabilities["add"]?.arrayValue ?? []).compactMap(\.stringValue)
            $0.dropCapabilities = (capabilities["drop"]?.arrayValue ?? []).compactMap(\.stringValue)
        }
        security.namespaceOptions = .with {
            $0.network = Pod(pod).spec.hostNetwork ? .node : .pod
            $0.pid = Pod(pod).spec.hostPID ? .node : (Pod(pod).spec.shareProcessNamespace ? .pod : .container)
            $0.ipc = Pod(pod).spec.hostIPC ? .node : .pod
        }
        return security
    }
}
