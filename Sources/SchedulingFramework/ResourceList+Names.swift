import APIMachinery

/// Kubernetes' resource-name classes (`v1helper.IsScalarResourceName` and friends).
extension ResourceList {
    /// Extended resources, huge pages and attachable volumes: the resources the scheduler tracks by name.
    static func isScalarResourceName(_ name: String) -> Bool {
        isExtendedResourceName(name) || name.hasPrefix("hugepages-") || name.hasPrefix("attachable-volumes-")
    }

    /// A domain-qualified name outside `kubernetes.io/` (such as `nvidia.com/gpu`) that stays a qualified name
    /// under the `requests.` quota prefix.
    static func isExtendedResourceName(_ name: String) -> Bool {
        guard name.contains("/"), !name.contains("kubernetes.io/"), !name.hasPrefix("requests.") else { return false }
        return LabelSelector.qualifiedNameErrors("requests." + name).isEmpty
    }
}
