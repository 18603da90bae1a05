import APIMachinery
import Foundation
import KubeObjects

/// Quota for services (`services.go`): every Service counts, NodePort and LoadBalancer Services count their node
/// ports, LoadBalancer Services count as load balancers.
public struct ServiceEvaluator: UsageEvaluator {
    public init() {}

    public var groupResource: GroupResource { GroupResource(group: "", resource: "services") }

    static let objectCountName = ObjectCountEvaluator.quotaName(for: GroupResource(group: "", resource: "services"))
    static let names: Set<String> = [objectCountName, "services", "services.nodeports", "services.loadbalancers"]

    /// Creates and updates: an update can change the type or the ports.
    public func handles(_ operation: QuotaOperation, subresource: String) -> Bool { subresource.isEmpty }

    public func matchingResources(_ names: Set<String>) -> Set<String> { names.intersection(Self.names) }

    public func usage(of object: JSONValue, now: Date) -> ResourceList {
        let spec = Service(object).spec
        var nodePorts = Int64(0)
        var loadBalancers = Int64(0)
        switch spec.type {
        case "NodePort":
            nodePorts = Int64(spec.ports.count)
        case "LoadBalancer":
            // Node ports are allocated after admission, so a Service counts the ports it will get: all of them, or,
            // when it turns allocation off, those it names a node port for.
            let allocates = spec.json["allocateLoadBalancerNodePorts"]?.boolValue ?? true
            nodePorts = Int64(allocates ? spec.ports.count : spec.ports.filter { ($0.nodePort ?? 0) != 0 }.count)
            loadBalancers = 1
        default:
            break
        }
        return ResourceList([
            Self.objectCountName: Quantity(1), "services": Quantity(1), "services.nodeports": Quantity(nodePorts),
            "services.loadbalancers": Quantity(loadBalancers),
        ])
    }
}
