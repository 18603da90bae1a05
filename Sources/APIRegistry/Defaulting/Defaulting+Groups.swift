import APIMachinery

/// Defaults of the smaller API groups: autoscaling, networking, RBAC, storage, discovery.
extension Defaulting {
    /// autoscaling/v1 only defaults `minReplicas`; v2 also adds the CPU metric and fills a partial `behavior`.
    static func defaultHorizontalPodAutoscaler(_ autoscaler: inout JSONValue) {
        let isV1 = autoscaler["apiVersion"]?.stringValue == "autoscaling/v1"
        autoscaler.updateStruct("spec") { spec in
            spec.setDefault("minReplicas", 1)
            guard !isV1 else { return }
            if spec.items("metrics").isEmpty {
                spec["metrics"] = [
                    ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 80]]]
                ]
            }
            spec.updateObject("behavior") { behavior in
                behavior.updateStruct("scaleUp") { rules in
                    rules.setDefault("stabilizationWindowSeconds", 0)
                    rules.setDefault("selectPolicy", "Max")
                    rules.setDefault(
                        "policies",
                        [["type": "Pods", "value": 4, "periodSeconds": 15], ["type": "Percent", "value": 100, "periodSeconds": 15]])
                }
                // Scale-down keeps a nil stabilization window: the controller then uses its command-line default.
                behavior.updateStruct("scaleDown") { rules in
                    rules.setDefault("selectPolicy", "Max")
                    rules.setDefault("policies", [["type": "Percent", "value": 100, "periodSeconds": 15]])
                }
            }
        }
    }

    static func defaultNetworkPolicy(_ policy: inout JSONValue) {
        policy.updateStruct("spec") { spec in
            for direction in ["ingress", "egress"] {
                spec.updateEach(direction) { rule in rule.updateEach("ports") { $0.setDefault("protocol", "TCP") } }
            }
            if spec.items("policyTypes").isEmpty {
                spec["policyTypes"] = spec.items("egress").isEmpty ? ["Ingress"] : ["Ingress", "Egress"]
            }
        }
    }

    static func defaultIngressClass(_ ingressClass: inout JSONValue) {
        ingressClass.updateObject("spec") { spec in spec.updateObject("parameters") { $0.setDefault("scope", "Cluster") } }
    }

    static func defaultRoleBinding(_ binding: inout JSONValue) {
        binding.updateStruct("roleRef") { $0.setDefaultIfEmpty("apiGroup", "rbac.authorization.k8s.io") }
        binding.updateEach("subjects") { subject in
            guard subject.text("apiGroup").isEmpty else { return }
            switch subject.text("kind") {
            case "User", "Group": subject["apiGroup"] = "rbac.authorization.k8s.io"
            case "ServiceAccount": subject["apiGroup"] = ""
            default: break
            }
        }
    }

    static func defaultStorageClass(_ storageClass: inout JSONValue) {
        storageClass.setDefault("reclaimPolicy", "Delete")
        storageClass.setDefault("volumeBindingMode", "Immediate")
    }

    static func defaultCSIDriver(_ driver: inout JSONValue) {
        driver.updateStruct("spec") { spec in
            spec.setDefault("attachRequired", true)
            spec.setDefault("podInfoOnMount", false)
            spec.setDefault("storageCapacity", false)
            spec.setDefault("fsGroupPolicy", "ReadWriteOnceWithFSType")
            if spec.items("volumeLifecycleModes").isEmpty { spec["volumeLifecycleModes"] = ["Persistent"] }
            spec.setDefault("requiresRepublish", false)
            spec.setDefault("seLinuxMount", false)
        }
    }

    static func defaultEndpointSlice(_ slice: inout JSONValue) {
        slice.updateEach("ports") { port in
            port.setDefault("name", "")
            port.setDefault("protocol", "TCP")
        }
    }
}
