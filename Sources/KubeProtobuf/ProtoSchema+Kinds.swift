extension ProtoSchema {
    /// The schema compiled into the binary, parsed on first use.
    static let builtIn: Result<ProtoSchema, KubeProtobufError> = Result { () throws(KubeProtobufError) in
        try ProtoSchema(compactText: compactText)
    }

    /// The message that carries `kind` of `apiVersion`: an object with metadata in its group's proto package
    /// (`apps/v1` → `k8s.io.api.apps.v1`, `v1` → `k8s.io.api.core.v1`), else one of the meta/v1 kinds that every
    /// group version accepts (`DeleteOptions`, `Status`, ...).
    func messageIndex(apiVersion: String, kind: String) -> Int? {
        guard !kind.isEmpty else { return nil }
        let parts = apiVersion.split(separator: "/", omittingEmptySubsequences: false)
        let group: Substring
        let version: Substring
        switch parts.count {
        case 1: (group, version) = ("", parts[0])
        case 2: (group, version) = (parts[0], parts[1])
        default: return nil
        }
        guard !version.isEmpty, !version.contains("."), !group.hasPrefix(".") else { return nil }

        if group != "meta.k8s.io",
            let index = messageIndex(named: Self.packageName(group: group, version: version) + "." + kind),
            messages[index].fields[1]?.jsonName == "metadata"
        {
            return index
        }
        guard Self.sharedMetaKinds.contains(kind) else { return nil }
        return messageIndex(named: "k8s.io.apimachinery.pkg.apis.meta." + version + "." + kind)
    }

    private static let sharedMetaKinds: Set<String> = [
        "CreateOptions", "DeleteOptions", "GetOptions", "ListOptions", "PatchOptions", "UpdateOptions", "Status",
        "WatchEvent",
    ]

    /// Kubernetes names each API package after its group's first label, with a few historical exceptions.
    private static func packageName(group: Substring, version: Substring) -> String {
        let short: Substring
        switch group {
        case "": short = "core"
        case "internal.apiserver.k8s.io": short = "apiserverinternal"
        default: short = group.split(separator: ".").first ?? group
        }
        return "k8s.io.api." + short + "." + version
    }
}
