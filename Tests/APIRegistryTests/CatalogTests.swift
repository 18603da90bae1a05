import APIMachinery
import Testing

@testable import APIRegistry

@Suite struct CatalogTests {
    let catalog = ResourceCatalog.builtIn

    @Test func deploymentsAreNamespacedAppsResourcesInCategoryAll() throws {
        let deployments = try #require(catalog.resource(group: "apps", version: "v1", resource: "deployments"))
        #expect(deployments.kind == "Deployment")
        #expect(deployments.listKind == "DeploymentList")
        #expect(deployments.singular == "deployment")
        #expect(deployments.namespaced)
        #expect(deployments.shortNames == ["deploy"])
        #expect(deployments.categories == ["all"])
        #expect(deployments.verbs == ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"])
        #expect(deployments.apiVersion == "apps/v1")
        let scale = try #require(deployments.subresources.first { $0.name == "scale" })
        #expect(scale == SubresourceDefinition(name: "scale", group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"]))
        #expect(deployments.subresources.map(\.name) == ["scale", "status"])
    }

    @Test func clusterScopedResources() throws {
        let nodes = try #require(catalog.resource(group: "", version: "v1", resource: "nodes"))
        #expect(!nodes.namespaced)
        #expect(nodes.shortNames == ["no"])
        let namespaces = try #require(catalog.resource(group: "", version: "v1", resource: "namespaces"))
        #expect(!namespaces.namespaced)
        #expect(namespaces.verbs == ["create", "delete", "get", "list", "patch", "update", "watch"])
        #expect(namespaces.subresources.map(\.name) == ["finalize", "status"])
        #expect(catalog.resource(group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles")?.namespaced == false)
        #expect(catalog.resource(group: "storage.k8s.io", version: "v1", resource: "storageclasses")?.shortNames == ["sc"])
    }

    @Test func podSubresourcesAsDiscoveryShowsThem() throws {
        let pods = try #require(catalog.resource(group: "", version: "v1", resource: "pods"))
        #expect(pods.shortNames == ["po"])
        let byName = Dictionary(uniqueKeysWithValues: pods.subresources.map { ($0.name, $0) })
        for name in ["attach", "binding", "ephemeralcontainers", "eviction", "exec", "log", "portforward", "proxy", "status"] {
            #expect(byName[name] != nil, "pods/\(name)")
        }
        #expect(byName["log"] == SubresourceDefinition(name: "log", group: "", version: "v1", kind: "Pod", verbs: ["get"]))
        #expect(byName["eviction"] == SubresourceDefinition(name: "eviction", group: "policy", version: "v1", kind: "Eviction", verbs: ["create"]))
        #expect(byName["binding"]?.kind == "Binding")
        #expect(byName["exec"] == SubresourceDefinition(name: "exec", group: "", version: "v1", kind: "PodExecOptions", verbs: ["create", "get"]))
        #expect(byName["proxy"]?.verbs == ["create", "delete", "get", "patch", "update"])
        #expect(byName["status"]?.verbs == ["get", "patch", "update"])
    }

    @Test func serviceAccountTokensAreTokenRequests() throws {
        let serviceAccounts = try #require(catalog.resource(group: "", version: "v1", resource: "serviceaccounts"))
        #expect(serviceAccounts.shortNames == ["sa"])
        #expect(
            serviceAccounts.subresources == [
                SubresourceDefinition(name: "token", group: "authentication.k8s.io", version: "v1", kind: "TokenRequest", verbs: ["create"])
            ])
    }

    @Test func createOnlyAndReadOnlyKindsAsKubernetesListsThem() {
        #expect(catalog.resource(group: "", version: "v1", resource: "bindings")?.verbs == ["create"])
        #expect(catalog.resource(group: "", version: "v1", resource: "componentstatuses")?.verbs == ["get", "list"])
        #expect(catalog.resource(group: "", version: "v1", resource: "componentstatuses")?.shortNames == ["cs"])
        #expect(catalog.resource(group: "authorization.k8s.io", version: "v1", resource: "selfsubjectaccessreviews")?.verbs == ["create"])
        #expect(catalog.resource(group: "authentication.k8s.io", version: "v1", resource: "selfsubjectreviews")?.namespaced == false)
    }

    @Test func eventsAndAutoscalersInBothGroupsOrVersions() {
        #expect(catalog.resource(group: "", version: "v1", resource: "events")?.shortNames == ["ev"])
        #expect(catalog.resource(group: "events.k8s.io", version: "v1", resource: "events")?.kind == "Event")
        for version in ["v1", "v2"] {
            let autoscalers = catalog.resource(group: "autoscaling", version: version, resource: "horizontalpodautoscalers")
            #expect(autoscalers?.shortNames == ["hpa"])
            #expect(autoscalers?.categories == ["all"])
        }
    }

    @Test func categoryAllIsWhatKubectlGetAllLists() {
        let all = Set(catalog.resources.filter { $0.categories.contains("all") }.map { "\($0.groupResource)/\($0.version)" })
        #expect(
            all == [
                "pods/v1", "services/v1", "replicationcontrollers/v1", "deployments.apps/v1", "replicasets.apps/v1",
                "statefulsets.apps/v1", "daemonsets.apps/v1", "jobs.batch/v1", "cronjobs.batch/v1",
                "horizontalpodautoscalers.autoscaling/v1", "horizontalpodautoscalers.autoscaling/v2",
            ])
    }

    @Test func shortNamesOfCommonResources() {
        let expected: [(String, String, [String])] = [
            ("", "services", ["svc"]), ("", "configmaps", ["cm"]), ("", "namespaces", ["ns"]),
            ("", "persistentvolumes", ["pv"]), ("", "persistentvolumeclaims", ["pvc"]), ("", "endpoints", ["ep"]),
            ("", "resourcequotas", ["quota"]), ("", "limitranges", ["limits"]), ("", "replicationcontrollers", ["rc"]),
            ("apps", "replicasets", ["rs"]), ("apps", "statefulsets", ["sts"]), ("apps", "daemonsets", ["ds"]),
            ("batch", "cronjobs", ["cj"]), ("networking.k8s.io", "ingresses", ["ing"]),
            ("networking.k8s.io", "networkpolicies", ["netpol"]), ("policy", "poddisruptionbudgets", ["pdb"]),
            ("scheduling.k8s.io", "priorityclasses", ["pc"]), ("certificates.k8s.io", "certificatesigningrequests", ["csr"]),
        ]
        for (group, resource, shortNames) in expected {
            let version = catalog.preferredVersion(group: group) ?? ""
            #expect(catalog.resource(group: group, version: version, resource: resource)?.shortNames == shortNames, "\(resource)")
        }
    }

    @Test func groupVersionsInDiscoveryOrder() {
        #expect(catalog.groupVersions.first == GroupVersion(group: "", version: "v1"))
        #expect(catalog.groupVersions.dropFirst().first == GroupVersion(group: "apps", version: "v1"))
        let named = Set(catalog.groupVersions.map(\.group).filter { !$0.isEmpty && $0 != "metrics.k8s.io" })
        #expect(named.count == 16)
        #expect(catalog.groupVersions.last == GroupVersion(group: "metrics.k8s.io", version: "v1beta1"))
        #expect(catalog.preferredVersion(group: "autoscaling") == "v2")
        #expect(catalog.versions(group: "autoscaling") == ["v2", "v1"])
        #expect(catalog.preferredVersion(group: "") == "v1")
        #expect(catalog.preferredVersion(group: "example.com") == nil)
    }

    @Test func lookupByKind() {
        #expect(catalog.resource(group: "apps", version: "v1", kind: "StatefulSet")?.resource == "statefulsets")
        #expect(catalog.resource(group: "", version: "v1", kind: "Endpoints")?.singular == "endpoints")
        #expect(catalog.resource(group: "metrics.k8s.io", version: "v1beta1", kind: "PodMetrics")?.verbs == ["get", "list"])
        #expect(catalog.resource(group: "apps", version: "v1", kind: "Pod") == nil)
    }
}
