import APIMachinery
import KubeObjects

/// What a pod asks of a node, as Kubernetes adds it up (`resourcehelper.PodRequests`/`PodLimits`): the sum over its
/// containers, at least what any init container needs while it runs (sidecars, init containers with
/// `restartPolicy: Always`, keep running beside the ones after them), plus the pod's overhead.
public enum PodResources {
    /// The pod's requests; `includingOverhead` adds `spec.overhead` as quota does (LimitRanger leaves it out).
    public static func requests(of pod: JSONValue, includingOverhead: Bool) -> ResourceList {
        var requests = aggregate(Pod(pod).spec, ContainerResources.requests(of:))
        if includingOverhead { requests += overhead(of: pod) }
        return requests
    }

    /// The pod's limits; `includingOverhead` adds the overhead of the resources that have a limit.
    public static func limits(of pod: JSONValue, includingOverhead: Bool) -> ResourceList {
        var limits = aggregate(Pod(pod).spec, ContainerResources.limits(of:))
        if includingOverhead {
            limits += overhead(of: pod).masked(to: limits.names)
        }
        return limits
    }

    /// Whether no container asks for or is limited to any CPU or memory: the BestEffort QoS class
    /// (`qos.GetPodQOS`), or the class the pod's status already reports.
    public static func isBestEffort(_ pod: JSONValue) -> Bool {
        if let reported = Pod(pod).status.qosClass, !reported.isEmpty { return reported == "BestEffort" }
        let spec = Pod(pod).spec
        return (spec.containers + spec.initContainers).allSatisfy { container in
            [ContainerResources.requests(of: container), ContainerResources.limits(of: container)].allSatisfy { list in
                list.masked(to: ["cpu", "memory"]).quantities.values.allSatisfy { !($0 > .zero) }
            }
        }
    }

    private static func overhead(of pod: JSONValue) -> ResourceList {
        ResourceList(json: Pod(pod).spec.json["overhead"])
    }

    private static func aggregate(_ spec: Pod.Spec, _ read: (Container) -> ResourceList) -> ResourceList {
        var total = ResourceList()
        for container in spec.containers { total += read(container) }
        var sidecars = ResourceList()
        var initPeak = ResourceList()
        for container in spec.initContainers {
            let own = read(container)
            let whileRunning: ResourceList
            if container.json["restartPolicy"]?.stringValue == "Always" {
                total += own
                sidecars += own
                whileRunning = sidecars
            } else {
                whileRunning = own + sidecars
            }
            initPeak = initPeak.maximum(with: whileRunning)
        }
        return total.maximum(with: initPeak)
    }
}

/// A container's `resources.requests` and `resources.limits`.
public enum ContainerResources {
    public static func requests(of container: Container) -> ResourceList {
        ResourceList(json: container.json[path: "resources", "requests"])
    }

    public static func limits(of container: Container) -> ResourceList {
        ResourceList(json: container.json[path: "resources", "limits"])
    }
}
