import APIMachinery
import ClusterTestSupport
import ControllerRuntime
import KubeObjects
import Testing

@testable import Controllers

/// The clusterrole-aggregation controller on the bootstrap policy's `admin`, `edit` and `view`.
struct ClusterRoleAggregationTests {
    static func role(_ name: String, labels: [String: String] = [:], rules: [PolicyRule]) -> JSONValue {
        [
            "metadata": ["name": .string(name), "labels": .object(labels.mapValues { .string($0) })],
            "rules": .array(rules.map(\.json)),
        ]
    }

    @Test func rulesComeFromEveryPickedRoleInNameOrderOnce() throws {
        let get = PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"])
        let list = PolicyRule(verbs: ["list"], apiGroups: [""], resources: ["pods"])
        var aggregate = Self.role("aggregate", rules: [])
        aggregate["aggregationRule"] = ["clusterRoleSelectors": [["matchLabels": ["pick": "yes"]]]]
        let roles = [
            Self.role("b", labels: ["pick": "yes"], rules: [list, get]), Self.role("a", labels: ["pick": "yes"], rules: [get]),
            Self.role("c", labels: ["pick": "no"], rules: [PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"])]), aggregate,
        ]
        #expect(try ClusterRoleAggregationController.aggregatedRules(of: aggregate, among: roles) == [get, list])
        #expect(try ClusterRoleAggregationController.aggregatedRules(of: roles[0], among: roles) == nil)
    }

    @Test func viewGrowsWithALabelledRole() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.shutdown() }
        let client = cluster.client()
        let context = ControllerContext(client: client, logger: cluster.logger)
        let controller = ClusterRoleAggregationController(context: context)
        let running = Workloads.start([context.run, controller.run])
        defer { running.cancel() }

        @Sendable func viewRules() async throws -> [PolicyRule] { RoleObject(try await client.get(.clusterRoles, name: "view")).rules }
        let podsReadable = try await eventually(timeout: .seconds(10)) {
            try await viewRules().contains { $0.allowsReading("pods") }
        }
        #expect(podsReadable)
        #expect(try await !viewRules().contains { $0.allowsReading("widgets") })

        let widgets = PolicyRule(verbs: ["get", "list", "watch"], apiGroups: ["example.com"], resources: ["widgets"])
        var labelled = Self.role("widget-viewer", labels: ["rbac.authorization.k8s.io/aggregate-to-view": "true"], rules: [widgets])
        labelled["apiVersion"] = "rbac.authorization.k8s.io/v1"
        labelled["kind"] = "ClusterRole"
        _ = try await client.create(.clusterRoles, labelled)
        #expect(try await eventually(timeout: .seconds(10)) { try await viewRules().contains(widgets) })
        // edit and admin aggregate view's rules too.
        #expect(try await eventually(timeout: .seconds(10)) { RoleObject(try await client.get(.clusterRoles, name: "admin")).rules.contains(widgets) })
    }
}

extension PolicyRule {
    fileprivate func allowsReading(_ resource: String) -> Bool {
        verbs.contains("get") && resources.contains(resource)
    }
}
