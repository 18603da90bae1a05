import APIMachinery
import Testing

@testable import APIRegistry

@Suite struct DiscoveryTests {
    let catalog = ResourceCatalog.builtIn

    @Test func coreAPIVersions() {
        let document = catalog.coreAPIVersions(serverAddress: "10.0.0.1:6443")
        #expect(
            document == [
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:6443"]],
            ])
    }

    @Test func apiGroupListListsNamedGroupsWithPreferredVersions() throws {
        let document = catalog.apiGroupList()
        #expect(document["kind"] == "APIGroupList")
        #expect(document["apiVersion"] == "v1")
        let groups = try #require(document["groups"]?.arrayValue)
        #expect(groups.first?["name"] == "apps")
        #expect(!groups.contains { $0["name"] == "" })
        let autoscaling = try #require(groups.first { $0["name"] == "autoscaling" })
        #expect(
            autoscaling == [
                "kind": "APIGroup", "apiVersion": "v1", "name": "autoscaling",
                "versions": [["groupVersion": "autoscaling/v2", "version": "v2"], ["groupVersion": "autoscaling/v1", "version": "v1"]],
                "preferredVersion": ["groupVersion": "autoscaling/v2", "version": "v2"],
            ])
        #expect(groups.contains { $0["name"] == "metrics.k8s.io" })
    }

    @Test func apiResourceListListsSubresourcesAsPaths() throws {
        let document = try #require(catalog.apiResourceList(group: "", version: "v1"))
        #expect(document["kind"] == "APIResourceList")
        #expect(document["apiVersion"] == "v1")
        #expect(document["groupVersion"] == "v1")
        let resources = try #require(document["resources"]?.arrayValue)
        let pods = try #require(resources.first { $0["name"] == "pods" })
        #expect(
            pods == [
                "name": "pods", "singularName": "pod", "namespaced": true, "kind": "Pod",
                "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
                "shortNames": ["po"], "categories": ["all"],
            ])
        #expect(
            resources.first { $0["name"] == "pods/log" }
                == ["name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]])
        #expect(
            resources.first { $0["name"] == "pods/eviction" }
                == [
                    "name": "pods/eviction", "singularName": "", "namespaced": true, "group": "policy", "version": "v1",
                    "kind": "Eviction", "verbs": ["create"],
                ])
        let names = resources.compactMap { $0["name"]?.stringValue }
        #expect(names.firstIndex(of: "pods").map { names[$0 + 1] } == "pods/attach")
        #expect(catalog.apiResourceList(group: "apps", version: "v2") == nil)
    }

    @Test func scaleSubresourceNamesItsOwnGroup() throws {
        let document = try #require(catalog.apiResourceList(group: "apps", version: "v1"))
        #expect(document["groupVersion"] == "apps/v1")
        let scale = try #require(document["resources"]?.arrayValue?.first { $0["name"] == "deployments/scale" })
        #expect(scale["group"] == "autoscaling")
        #expect(scale["version"] == "v1")
        #expect(scale["kind"] == "Scale")
        let status = try #require(document["resources"]?.arrayValue?.first { $0["name"] == "deployments/status" })
        #expect(status["group"] == nil)
    }

    @Test func aggregatedDiscoveryOfTheCoreGroup() throws {
        let document = catalog.aggregatedDiscovery(core: true)
        #expect(document["kind"] == "APIGroupDiscoveryList")
        #expect(document["apiVersion"] == "apidiscovery.k8s.io/v2")
        #expect(document["metadata"] == .emptyObject)
        let items = try #require(document["items"]?.arrayValue)
        #expect(items.count == 1)
        #expect(items[0]["metadata"] == ["creationTimestamp": nil])
        let version = try #require(items[0]["versions"]?.arrayValue?.first)
        #expect(version["version"] == "v1")
        #expect(version["freshness"] == "Current")
        let resources = try #require(version["resources"]?.arrayValue)
        let nodes = try #require(resources.first { $0["resource"] == "nodes" })
        #expect(nodes["scope"] == "Cluster")
        #expect(nodes["singularResource"] == "node")
        #expect(nodes["responseKind"] == ["group": "", "version": "", "kind": "Node"])
        let pods = try #require(resources.first { $0["resource"] == "pods" })
        #expect(pods["scope"] == "Namespaced")
        #expect(pods["shortNames"] == ["po"])
        #expect(pods["categories"] == ["all"])
        let subresources = try #require(pods["subresources"]?.arrayValue)
        #expect(
            subresources.first { $0["subresource"] == "eviction" }
                == ["subresource": "eviction", "responseKind": ["group": "policy", "version": "v1", "kind": "Eviction"], "verbs": ["create"]])
        #expect(
            subresources.first { $0["subresource"] == "log" }
                == ["subresource": "log", "responseKind": ["group": "", "version": "", "kind": "Pod"], "verbs": ["get"]])
        #expect(resources.first { $0["resource"] == "configmaps" }?["subresources"] == nil)
    }

    @Test func aggregatedDiscoveryOfNamedGroups() throws {
        let items = try #require(catalog.aggregatedDiscovery(core: false)["items"]?.arrayValue)
        let names = items.compactMap { $0[path: "metadata", "name"]?.stringValue }
        #expect(Array(names.prefix(3)) == ["apps", "events.k8s.io", "authentication.k8s.io"])
        #expect(names.last == "metrics.k8s.io")
        let autoscaling = try #require(items.first { $0[path: "metadata", "name"] == "autoscaling" })
        #expect(autoscaling["versions"]?.arrayValue?.compactMap { $0["version"]?.stringValue } == ["v2", "v1"])
        let metrics = try #require(items.first { $0[path: "metadata", "name"] == "metrics.k8s.io" })
        let metricsResources = try #require(metrics["versions"]?.arrayValue?.first?["resources"]?.arrayValue)
        #expect(
            metricsResources.first { $0["resource"] == "pods" }
                == [
                    "resource": "pods", "responseKind": ["group": "", "version": "", "kind": "PodMetrics"], "scope": "Namespaced",
                    "singularResource": "", "verbs": ["get", "list"],
                ])
        let apps = try #require(items.first)
        let deployments = try #require(apps["versions"]?.arrayValue?.first?["resources"]?.arrayValue?.first { $0["resource"] == "deployments" })
        let scale = try #require(deployments["subresources"]?.arrayValue?.first { $0["subresource"] == "scale" })
        #expect(scale["responseKind"] == ["group": "autoscaling", "version": "v1", "kind": "Scale"])
        #expect(scale["verbs"] == ["get", "patch", "update"])
    }
}
