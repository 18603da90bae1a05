import APIMachinery

/// Kubernetes' `DefaultTolerationSeconds` admission plugin: a pod stays bound to a node that turns not-ready or
/// unreachable for five minutes before it is evicted, unless it already says otherwise.
enum DefaultTolerationSeconds {
    static let notReadyTaint = "node.kubernetes.io/not-ready"
    static let unreachableTaint = "node.kubernetes.io/unreachable"
    /// Kubernetes' `--default-not-ready-toleration-seconds` and `--default-unreachable-toleration-seconds`.
    static let seconds: Int64 = 300

    /// Appends the not-ready and then the unreachable toleration, each only if no toleration of the pod covers it.
    static func admit(_ pod: inout JSONValue) {
        var tolerations = pod[path: "spec", "tolerations"]?.arrayValue ?? []
        let missing = [notReadyTaint, unreachableTaint].filter { taint in !tolerations.contains { covers($0, taint: taint) } }
        guard !missing.isEmpty else { return }
        for taint in missing {
            tolerations.append(["key": .string(taint), "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": .integer(seconds)])
        }
        pod[path: "spec", "tolerations"] = .array(tolerations)
    }

    /// As the plugin decides it: only key and effect count, and an empty one matches any.
    static func covers(_ toleration: JSONValue, taint: String) -> Bool {
        let key = toleration["key"]?.stringValue ?? ""
        let effect = toleration["effect"]?.stringValue ?? ""
        return (key.isEmpty || key == taint) && (effect.isEmpty || effect == "NoExecute")
    }
}
