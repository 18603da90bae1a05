import APIMachinery

/// Core (`v1`) defaults other than pods: services, secrets, namespaces, volumes, endpoints, nodes.
extension Defaulting {
    static func defaultService(_ service: inout JSONValue) {
        service.updateStruct("spec") { spec in
            spec.setDefaultIfEmpty("sessionAffinity", "None")
            switch spec.text("sessionAffinity") {
            case "None":
                spec["sessionAffinityConfig"] = nil
            case "ClientIP" where spec[path: "sessionAffinityConfig", "clientIP", "timeoutSeconds"]?.isNull != false:
                spec["sessionAffinityConfig"] = ["clientIP": ["timeoutSeconds": 10800]]
            default:
                break
            }
            spec.setDefaultIfEmpty("type", "ClusterIP")
            spec.updateEach("ports") { port in
                port.setDefaultIfEmpty("protocol", "TCP")
                if let number = port["port"] { port.setDefaultIfEmpty("targetPort", number) }
            }
            let type = spec.text("type")
            let externallyAccessible =
                type == "LoadBalancer" || type == "NodePort" || (type == "ClusterIP" && !spec.items("externalIPs").isEmpty)
            if externallyAccessible { spec.setDefaultIfEmpty("externalTrafficPolicy", "Cluster") }
            if ["NodePort", "LoadBalancer", "ClusterIP"].contains(type) { spec.setDefault("internalTrafficPolicy", "Cluster") }
            if type == "LoadBalancer" { spec.setDefault("allocateLoadBalancerNodePorts", true) }
            defaultIPFamilies(&spec)
        }
        if service[path: "spec", "type"]?.stringValue == "LoadBalancer" {
            service.updateObject("status") { status in
                status.updateObject("loadBalancer") { balancer in
                    balancer.updateEach("ingress") { ingress in
                        if !ingress.text("ip").isEmpty { ingress.setDefault("ipMode", "VIP") }
                    }
                }
            }
        }
    }

    /// The family fields Kubernetes' service REST storage fills in before allocating addresses, for Skiff's
    /// single-stack IPv4 service network. Headless services without a selector are dual-stack by default.
    private static func defaultIPFamilies(_ spec: inout JSONValue) {
        guard spec.text("type") != "ExternalName" else { return }
        if spec.items("clusterIPs").isEmpty, !spec.text("clusterIP").isEmpty {
            spec["clusterIPs"] = [.string(spec.text("clusterIP"))]
        }
        let headless = spec.text("clusterIP") == "None"
        let selectorless = (spec.fields("selector") ?? [:]).isEmpty
        spec.setDefault("ipFamilyPolicy", headless && selectorless ? "RequireDualStack" : "SingleStack")
        if spec.items("ipFamilies").isEmpty { spec["ipFamilies"] = ["IPv4"] }
    }

    /// `stringData` is write-only: Kubernetes' conversion merges it into `data` (base64) and drops it.
    static func defaultSecret(_ secret: inout JSONValue) {
        secret.setDefaultIfEmpty("type", "Opaque")
        guard let stringData = secret.fields("stringData") else {
            if secret["stringData"] != nil { secret["stringData"] = nil }
            return
        }
        var data = secret.fields("data") ?? [:]
        for (key, value) in stringData {
            data[key] = .string(Base64.encode(Array((value.stringValue ?? "").utf8)))
        }
        secret["data"] = .object(data)
        secret["stringData"] = nil
    }

    /// The `kubernetes` finalizer is added only when `spec.finalizers` is empty: Kubernetes adds it on create and
    /// otherwise keeps the stored list, which only the `finalize` subresource (never defaulted) may shrink.
    static func defaultNamespace(_ namespace: inout JSONValue) {
        let name = namespace[path: "metadata", "name"]?.stringValue ?? ""
        if !name.isEmpty {
            namespace.updateStruct("metadata") { metadata in
                var labels = metadata.fields("labels") ?? [:]
                labels["kubernetes.io/metadata.name"] = .string(name)
                metadata["labels"] = .object(labels)
            }
        }
        namespace.updateStruct("spec") { spec in
            if spec.items("finalizers").isEmpty { spec["finalizers"] = ["kubernetes"] }
        }
        namespace.updateStruct("status") { $0.setDefaultIfEmpty("phase", "Active") }
    }

    static func defaultPersistentVolume(_ volume: inout JSONValue) {
        volume.updateStruct("spec") { spec in
            spec.setDefaultIfEmpty("persistentVolumeReclaimPolicy", "Retain")
            spec.setDefault("volumeMode", "Filesystem")
            spec.updateObject("hostPath") { $0.setDefault("type", "") }
        }
        volume.updateStruct("status") { $0.setDefaultIfEmpty("phase", "Pending") }
    }

    static func defaultPersistentVolumeClaim(_ claim: inout JSONValue) {
        claim.updateStruct("spec") { defaultClaimSpec(&$0) }
        claim.updateStruct("status") { $0.setDefaultIfEmpty("phase", "Pending") }
    }

    static func defaultEndpoints(_ endpoints: inout JSONValue) {
        endpoints.updateEach("subsets") { subset in
            subset.updateEach("ports") { $0.setDefaultIfEmpty("protocol", "TCP") }
        }
    }

    static func defaultNode(_ node: inout JSONValue) {
        node.updateObject("status") { status in
            if let capacity = status["capacity"], capacity.objectValue != nil { status.setDefault("allocatable", capacity) }
        }
    }

    /// Container limits: default limit from max, default request from the default limit, then from min.
    static func defaultLimitRange(_ limitRange: inout JSONValue) {
        limitRange.updateObject("spec") { spec in
            spec.updateEach("limits") { item in
                guard item.text("type") == "Container" else { return }
                var limit = item.fields("default") ?? [:]
                var request = item.fields("defaultRequest") ?? [:]
                for (name, value) in item.fields("max") ?? [:] where limit[name] == nil { limit[name] = value }
                for (name, value) in limit where request[name] == nil { request[name] = value }
                for (name, value) in item.fields("min") ?? [:] where request[name] == nil { request[name] = value }
                // Empty lists are left out, as Kubernetes' `omitempty` leaves them.
                if !limit.isEmpty { item["default"] = .object(limit) }
                if !request.isEmpty { item["defaultRequest"] = .object(request) }
            }
        }
    }
}
