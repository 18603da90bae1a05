import APIMachinery
import ControllerRuntime
import KubeClient
import KubeObjects
import Logging

/// Kubernetes' clusterrole-aggregation controller: a ClusterRole with an `aggregationRule` gets, as its rules, the
/// rules of every other ClusterRole its selectors pick — how `admin`, `edit` and `view` grow when a ClusterRole
/// labelled `rbac.authorization.k8s.io/aggregate-to-edit: "true"` appears.
public final class ClusterRoleAggregationController: Sendable {
    private let client: KubeClient
    private let clusterRoles: Informer
    private let logger: Logger
    private let queue = WorkQueue<String>()

    public init(context: ControllerContext) {
        client = context.client
        clusterRoles = context.informer(.clusterRoles)
        logger = context.logger
    }

    public func run() async {
        // Any ClusterRole may be picked by any aggregating one: every change looks at all of them again, as upstream does.
        let enqueueAggregating: @Sendable (JSONValue) -> Void = { [clusterRoles, queue] _ in
            for role in clusterRoles.list() where RoleObject(role).aggregationSelectors != nil {
                queue.add(role.metadata.name)
            }
        }
        let watch = Watch(clusterRoles, InformerHandler(onAdd: enqueueAggregating, onUpdate: { _, new in enqueueAggregating(new) }, onDelete: enqueueAggregating))
        await ControllerWorkers.run(queue, watching: [watch], workers: 1, name: "clusterrole-aggregation", logger: logger) { name throws(APIError) in
            try await self.reconcile(name)
        }
    }

    private func reconcile(_ name: String) async throws(APIError) -> ReconcileResult {
        guard var role = clusterRoles.get(ObjectKey(namespace: nil, name: name)),
            let rules = try Self.aggregatedRules(of: role, among: clusterRoles.list())
        else { return .done }
        guard RoleObject(role).rules != rules else { return .done }
        role["rules"] = .array(rules.map(\.json))
        _ = try await client.update(.clusterRoles, role)
        return .done
    }

    /// The rules an aggregating ClusterRole must have: those of the other ClusterRoles each selector picks, in the
    /// order of the selectors and then of the roles' names, each rule once. Nil when the role does not aggregate.
    static func aggregatedRules(of role: JSONValue, among roles: [JSONValue]) throws(APIError) -> [PolicyRule]? {
        guard let selectors = RoleObject(role).aggregationSelectors else { return nil }
        var rules: [PolicyRule] = []
        for selector in selectors {
            let matching = try LabelSelector(object: selector)
            let picked = roles.filter { $0.metadata.name != role.metadata.name && matching.matches($0.metadata.labels) }
            for other in picked.sorted(by: { $0.metadata.name < $1.metadata.name }) {
                for rule in RoleObject(other).rules where !rules.contains(rule) {
                    rules.append(rule)
                }
            }
        }
        return rules
    }
}
